"""The one inbound pipeline for every channel: dedupe, identity, conversation, message."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ventanilla.channels.base import InboundMessage
from ventanilla.domain.clock import utcnow
from ventanilla.domain.conversations import status_after_customer_message
from ventanilla.domain.enums import (
    AuthorType,
    ConversationStatus,
    DeliveryStatus,
    Direction,
)
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import ConversationStatusChanged, MessageCreated
from ventanilla.services import contacts, inbound_store, outbox
from ventanilla.services.assistant_rules import assistant_on
from ventanilla.services.attachments import store_inbound_attachments
from ventanilla.services.sanitize import clean_html
from ventanilla.services.uow import UnitOfWork, UowFactory
from ventanilla.services.views import message_view
from ventanilla.storage.models import (
    Attachment,
    Contact,
    Conversation,
    EmailThreadRef,
    Inbox,
)

MAX_TEXT = 100_000


@dataclass(frozen=True)
class Received:
    message_id: int
    conversation_id: int
    contact_id: int
    duplicate: bool
    automatic: bool = False


def receive(uow_factory: UowFactory, inbox_id: int, msg: InboundMessage) -> Received:
    """Store one inbound message exactly once; retries once on a concurrent insert race."""
    for attempt in (1, 2):
        try:
            with uow_factory() as uow:
                result = _receive(uow, inbox_id, msg)
                uow.commit()
                return result
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive(uow: UnitOfWork, inbox_id: int, msg: InboundMessage) -> Received:
    s = uow.session
    inbox, existing = _inbox_and_existing(s, inbox_id, msg.external_id)
    if inbox is None:
        raise NotFound(f"inbox {inbox_id} not found")
    if inbox.channel != msg.channel.value:
        raise InvalidInput(f"inbox {inbox_id} is a {inbox.channel} inbox, not {msg.channel.value}")
    if len(msg.text) > MAX_TEXT:
        raise InvalidInput(f"message text longer than {MAX_TEXT} characters")
    if existing is not None:
        return existing

    contact = contacts.resolve(
        s, msg.sender.kind, msg.sender.address, msg.sender.name, msg.sender.verified
    )
    for other in msg.other_identities:
        contact = contacts.add_identity(s, contact, other.kind, other.address, other.verified)
    conv = _conversation_for(uow, inbox, contact, msg)
    values = {
        "inbox_id": inbox.id,
        "direction": Direction.INBOUND.value,
        "author_type": AuthorType.CUSTOMER.value,
        "text": msg.text,
        "html": clean_html(msg.html) if msg.html else None,
        "external_id": msg.external_id,
        "delivery_status": DeliveryStatus.RECEIVED.value,
        "meta": {**dict(msg.meta), **({"automatic": "1"} if msg.automatic else {})},
    }
    message = inbound_store.insert_message(s, conv, values, utcnow())
    if msg.channel.value == "email":
        _remember_thread_ref(s, msg.external_id, conv.id, message.id)
    if msg.attachments:
        store_inbound_attachments(s, message, msg.attachments)  # flushes
        stored = s.scalars(select(Attachment).where(Attachment.message_id == message.id))
        set_committed_value(message, "attachments", sorted(stored, key=lambda a: a.id))
    uow.emit(MessageCreated(conv.id, conv.contact_id, message.id, False, message_view(message)))
    if not msg.automatic and assistant_on(inbox):
        outbox.enqueue(s, "assistant_turn", {"message_id": message.id}, f"assistant:{message.id}")
    return Received(message.id, conv.id, contact.id, duplicate=False, automatic=msg.automatic)


def _inbox_and_existing(
    s: Session, inbox_id: int, external_id: str
) -> tuple[Inbox | None, Received | None]:
    """The inbox, and the message already stored with this external id, in one query."""
    row = inbound_store.inbox_and_existing(s, inbox_id, external_id)
    if row is None:
        return None, None
    inbox, message_id, conversation_id, contact_id = row
    if message_id is None:
        return inbox, None
    return inbox, Received(message_id, conversation_id, contact_id or 0, duplicate=True)


def _conversation_for(
    uow: UnitOfWork, inbox: Inbox, contact: Contact, msg: InboundMessage
) -> Conversation:
    """The conversation this message belongs to: thread, else the contact's open one, else new."""
    s = uow.session
    conv = _thread_conversation(s, msg.thread_refs)
    if conv is not None and conv.contact_id != contact.id:
        conv = None  # a forged or forwarded reference never crosses customers
    if conv is None:
        conv = inbound_store.open_conversation(s, contact.id)
    if conv is None:
        conv = Conversation(
            contact_id=contact.id,
            inbox_id=inbox.id,
            last_inbox_id=inbox.id,
            team_id=inbox.team_id,
            subject=msg.subject[:300] if msg.subject else None,
        )
        s.add(conv)
        s.flush()
        return conv
    old = ConversationStatus(conv.status)
    new = status_after_customer_message(old)
    if old is ConversationStatus.RESOLVED:
        new = ConversationStatus.OPEN  # a reply in a resolved email thread reopens it
    if new is not old and not msg.automatic:
        conv.status = new.value
        conv.snoozed_until = None
        uow.emit(ConversationStatusChanged(conv.id, conv.contact_id, old.value, new.value))
    return conv


def _thread_conversation(s: Session, refs: tuple[str, ...]) -> Conversation | None:
    if not refs:
        return None
    ref = s.scalars(
        select(EmailThreadRef)
        .where(EmailThreadRef.message_id_header.in_(refs[-50:]))
        .order_by(EmailThreadRef.message_id.desc())
    ).first()
    return s.get(Conversation, ref.conversation_id) if ref else None


def _remember_thread_ref(s: Session, header: str, conversation_id: int, message_id: int) -> None:
    if s.get(EmailThreadRef, header) is None:
        s.add(
            EmailThreadRef(
                message_id_header=header, conversation_id=conversation_id, message_id=message_id
            )
        )
