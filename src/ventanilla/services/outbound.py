"""Replies and notes: store, queue for delivery in the outbox, release after commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import AuthorType, ChannelKind, DeliveryStatus, Direction
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import MessageCreated
from ventanilla.services import outbox
from ventanilla.services.uow import UnitOfWork
from ventanilla.services.views import message_view
from ventanilla.storage.models import Conversation, Inbox, Message
from ventanilla.storage.ordering import lock_contact_messages

MAX_REPLY = 20_000
MAX_QUICK = 10  # quick replies on one message
MAX_QUICK_REPLY = 80  # characters of one quick reply
# Channels whose customers read our messages from the conversation stream itself.
STREAMED = {ChannelKind.WEBCHAT.value}
# A link to one of our own public pages written as a path ("/help/es/payment-methods"), as
# the web chat shows it: not inside a longer word or address, trailing punctuation left out.
_OWN_PATH = re.compile(r"(?<![\w/.:~@%-])/help(?:/[^\s<>\"'()\[\]{}]*)?(?![\w-])")
_TRAILING = ".,;:!?"
_ROOT_HREF = re.compile(r"""(\b(?:href|src)\s*=\s*["']?)/(?![/\\])""", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    text: str
    author_type: AuthorType = AuthorType.AGENT
    author_user_id: int | None = None
    private: bool = False
    inbox_id: int | None = None
    html: str | None = None
    automatic: bool = False
    # Answers the customer can tap (web chat shows them as buttons; every channel also
    # gets them in the text).
    quick_replies: tuple[str, ...] = ()


def post(uow: UnitOfWork, conversation_id: int, reply: Reply) -> Message:
    """Add an outgoing message or private note to a conversation."""
    s = uow.session
    text = reply.text.strip()
    if not text:
        raise InvalidInput("text must not be empty")
    if len(text) > MAX_REPLY:
        raise InvalidInput(f"text longer than {MAX_REPLY} characters")
    conv = s.get(Conversation, conversation_id)
    if conv is None:
        raise NotFound(f"conversation {conversation_id} not found")
    inbox = _reply_inbox(s, conv, reply.inbox_id)
    lock_contact_messages(s, conv.contact_id)
    msg = Message(
        conversation_id=conv.id,
        inbox_id=None if reply.private else inbox.id,
        direction=Direction.OUTBOUND.value,
        author_type=reply.author_type.value,
        author_user_id=reply.author_user_id,
        text=text,
        html=reply.html,
        private=reply.private,
        delivery_status=_initial_status(reply.private, inbox.channel),
        meta=_meta(reply),
    )
    s.add(msg)
    s.flush()
    if not reply.private and inbox.channel not in STREAMED:
        outbox.enqueue(s, "deliver", {"message_id": msg.id}, f"deliver:{msg.id}")
    conv.updated_at = utcnow()
    if not reply.private:
        conv.last_message_at = conv.updated_at
    s.flush()
    s.refresh(msg, ["attachments"])
    uow.emit(MessageCreated(conv.id, conv.contact_id, msg.id, reply.private, message_view(msg)))
    return msg


def _meta(reply: Reply) -> dict[str, Any]:
    meta: dict[str, Any] = {"automatic": "1"} if reply.automatic else {}
    if reply.quick_replies and not reply.private:
        meta["quick_replies"] = [q[:MAX_QUICK_REPLY] for q in reply.quick_replies[:MAX_QUICK]]
    return meta


def _initial_status(private: bool, channel: str) -> str:
    if private:
        return DeliveryStatus.SENT.value
    if channel in STREAMED:
        return DeliveryStatus.SENT.value
    return DeliveryStatus.QUEUED.value


def _reply_inbox(s: Session, conv: Conversation, inbox_id: int | None) -> Inbox:
    """By default we answer on the channel the customer used last."""
    chosen = s.get(Inbox, inbox_id or conv.last_inbox_id)
    if chosen is None:
        raise NotFound(f"inbox {inbox_id} not found")
    return chosen


def absolute_links(text: str, base_url: str) -> str:
    """``text`` with the paths of our own public pages made absolute under ``base_url``.

    The web chat is served from our own host and shows such paths as links; mail, messaging
    apps and SMS are read elsewhere, where only a full address can be opened.
    """
    base = base_url.rstrip("/")

    def full(m: re.Match[str]) -> str:
        path = m.group(0)
        kept = path.rstrip(_TRAILING)
        return base + kept + path[len(kept) :]

    return _OWN_PATH.sub(full, text)


def absolute_html_links(html: str, base_url: str) -> str:
    """``html`` with root-relative ``href`` and ``src`` addresses made absolute."""
    base = base_url.rstrip("/")
    return _ROOT_HREF.sub(lambda m: f"{m.group(1)}{base}/", html)
