"""The statements of the inbound hot path, built once and run as Core where the ORM costs most.

Each message runs the same few statements; building them once (with bound parameters) saves
their construction and cache-key work, and a Core INSERT/UPDATE skips the unit-of-work flush.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ventanilla.domain.enums import ConversationStatus
from ventanilla.storage.models import Conversation, Inbox, Message

# The inbox and, in the same query, the message already stored with this external id.
INBOX_AND_EXISTING = (
    select(Inbox, Message.id, Message.conversation_id, Conversation.contact_id)
    .outerjoin(
        Message,
        and_(Message.inbox_id == Inbox.id, Message.external_id == bindparam("external_id")),
    )
    .outerjoin(Conversation, Conversation.id == Message.conversation_id)
    .where(Inbox.id == bindparam("inbox_id"))
)

OPEN_CONVERSATION = (
    select(Conversation)
    .where(
        Conversation.contact_id == bindparam("contact_id"),
        Conversation.status != ConversationStatus.RESOLVED.value,
    )
    .order_by(Conversation.updated_at.desc())
    .limit(1)
)

_MESSAGES = cast(Table, Message.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
_INSERT_MESSAGE = insert(_MESSAGES)
_TOUCH_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conv_id"))
    .values(
        last_message_at=bindparam("now"),
        updated_at=bindparam("now"),
        last_inbox_id=bindparam("last_inbox_id"),
    )
)


def inbox_and_existing(s: Session, inbox_id: int, external_id: str) -> Any:
    """(inbox, message id, conversation id, contact id) or None when the inbox is missing."""
    return s.execute(INBOX_AND_EXISTING, {"inbox_id": inbox_id, "external_id": external_id}).first()


def open_conversation(s: Session, contact_id: int) -> Conversation | None:
    return s.scalars(OPEN_CONVERSATION, {"contact_id": contact_id}).first()


def insert_message(
    s: Session, conv: Conversation, values: dict[str, Any], now: datetime
) -> Message:
    """INSERT the message and touch its conversation; returns the message, not in the session.

    The conversation object is updated in place as committed state, so the session does not
    write it again.
    """
    conn = s.connection()
    row = {**values, "conversation_id": conv.id, "created_at": now}
    key = conn.execute(_INSERT_MESSAGE, row).inserted_primary_key
    assert key is not None
    message_id = key[0]
    inbox_id = values["inbox_id"]
    conn.execute(_TOUCH_CONVERSATION, {"conv_id": conv.id, "now": now, "last_inbox_id": inbox_id})
    set_committed_value(conv, "last_message_at", now)
    set_committed_value(conv, "updated_at", now)
    set_committed_value(conv, "last_inbox_id", inbox_id)
    message = Message(id=int(message_id), private=False, author_user_id=None, delivery_error=None)
    for name, value in row.items():
        setattr(message, name, value)
    set_committed_value(message, "attachments", [])
    return message
