"""All ORM models; importing this module registers every table."""

from ventanilla.storage.models.conversations import (
    Attachment,
    Conversation,
    ConversationOffer,
    EmailThreadRef,
    Inbox,
    Message,
)
from ventanilla.storage.models.knowledge import KbArticle, KbArticleVersion, Resolution
from ventanilla.storage.models.operations import OutboxJob, RawEvent, WebhookSubscription
from ventanilla.storage.models.people import (
    ApiToken,
    AuditEntry,
    Contact,
    ContactIdentity,
    Team,
    TeamMember,
    User,
)

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "ConversationOffer",
    "EmailThreadRef",
    "Inbox",
    "KbArticle",
    "KbArticleVersion",
    "Message",
    "OutboxJob",
    "RawEvent",
    "Resolution",
    "Team",
    "TeamMember",
    "User",
    "WebhookSubscription",
]
