"""The one inbound pipeline for every channel: dedupe, identity, conversation, message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ventanilla.channels.base import InboundMessage, SenderIdentity
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
from ventanilla.domain.identity import normalize_address
from ventanilla.services import contacts, inbound_store, outbox
from ventanilla.services.assistant_rules import assistant_on
from ventanilla.services.attachments import store_inbound_attachments
from ventanilla.services.sanitize import clean_html
from ventanilla.services.uow import UnitOfWork, UowFactory
from ventanilla.services.views import message_view, sender_auth
from ventanilla.storage.models import (
    Attachment,
    Contact,
    Conversation,
    EmailThreadRef,
    Inbox,
)
from ventanilla.storage.ordering import lock_contact_messages

MAX_TEXT = 100_000
# (kind, address) -> (contact id, verified, merged into, contact name, open conversation id,
# its status), or None for a sender without an identity yet.
Senders = dict[tuple[str, str], tuple[Any, ...] | None]


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
                result = receive_in(uow, inbox_id, msg)
                uow.commit()
                return result
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def is_plain(msg: InboundMessage) -> bool:
    """No attachments, thread references or extra identities, and not email: a message
    stored with plain statements only (its contact may still be updated through the
    session)."""
    plain = not (msg.attachments or msg.other_identities or msg.thread_refs)
    return plain and msg.channel.value != "email"


def receive_in(
    uow: UnitOfWork,
    inbox_id: int,
    msg: InboundMessage,
    check_existing: bool = True,
    senders: Senders | None = None,
) -> Received:
    """Store one message in the caller's transaction (group commit: inbound_batch).

    With `check_existing` false the dedupe lookup is skipped: a message already stored then
    fails its INSERT on the unique (inbox, external_id) constraint, and the caller, having
    rolled back to its savepoint, asks again with the lookup.
    """
    s = uow.session
    inbox = inbound_store.cached_inbox(s, inbox_id)
    if inbox is None:
        raise NotFound(f"inbox {inbox_id} not found")
    if inbox.channel != msg.channel.value:
        raise InvalidInput(f"inbox {inbox_id} is a {inbox.channel} inbox, not {msg.channel.value}")
    if len(msg.text) > MAX_TEXT:
        raise InvalidInput(f"message text longer than {MAX_TEXT} characters")
    if check_existing or not is_plain(msg):
        existing = inbound_store.existing_row(s.connection(), inbox_id, msg.external_id)
        if existing is not None:
            return Received(existing[0], existing[1], existing[2], duplicate=True)
    if is_plain(msg):
        return _receive_lean(uow, inbox, msg, senders)

    contact = contacts.resolve(
        s, msg.sender.kind, msg.sender.address, msg.sender.name, msg.sender.verified
    )
    for other in msg.other_identities:
        contact = contacts.add_identity(s, contact, other.kind, other.address, other.verified)
    lock_contact_messages(s, contact.id)
    conv = _conversation_for(uow, inbox, contact, msg)
    message = inbound_store.insert_message(s, conv, message_values(inbox, msg), utcnow())
    if msg.channel.value == "email":
        _remember_thread_ref(s, msg.external_id, conv.id, message.id)
    if msg.attachments:
        store_inbound_attachments(s, message, msg.attachments)  # flushes
        stored = s.scalars(select(Attachment).where(Attachment.message_id == message.id))
        set_committed_value(message, "attachments", sorted(stored, key=lambda a: a.id))
    uow.emit(MessageCreated(conv.id, conv.contact_id, message.id, False, message_view(message)))
    after_store(uow, inbox, msg, message.id)
    return Received(message.id, conv.id, contact.id, duplicate=False, automatic=msg.automatic)


# Read once: an enum member's value costs an attribute lookup through a descriptor.
_INBOUND = Direction.INBOUND.value
_CUSTOMER = AuthorType.CUSTOMER.value
_RECEIVED = DeliveryStatus.RECEIVED.value


def message_values(inbox: Inbox, msg: InboundMessage) -> dict[str, Any]:
    return {
        "inbox_id": inbox.id,
        "direction": _INBOUND,
        "author_type": _CUSTOMER,
        "text": msg.text,
        "html": clean_html(msg.html) if msg.html else None,
        "external_id": msg.external_id,
        "delivery_status": _RECEIVED,
        "meta": {**dict(msg.meta), **({"automatic": "1"} if msg.automatic else {})},
    }


def after_store(uow: UnitOfWork, inbox: Inbox, msg: InboundMessage, message_id: int) -> None:
    if not msg.automatic and assistant_on(inbox):
        key = f"assistant:{message_id}"
        outbox.enqueue(uow.session, "assistant_turn", {"message_id": message_id}, key)


def prefetch_senders(s: Session, msgs: list[InboundMessage]) -> Senders:
    """What a batch needs to know about its plain messages' senders, in one query."""
    keys = {sender_key(m) for m in msgs if is_plain(m)}
    found = inbound_store.senders(s.connection(), sorted(keys))
    return {k: found.get(k) for k in keys}


def sender_key(msg: InboundMessage) -> tuple[str, str]:
    sender = msg.sender
    return sender.kind.value, normalize_address(sender.kind, sender.address)


def _receive_lean(
    uow: UnitOfWork, inbox: Inbox, msg: InboundMessage, senders: Senders | None
) -> Received:
    """The common message (no attachments, threads or extra identities) as plain statements.

    Same outcome as the general path: a known, unmerged sender whose identity needs no
    update is read as a row; a new sender gets its contact and identity in two INSERTs; the
    open conversation is read as a row and touched (and woken) in one UPDATE, or created with
    one INSERT. Anything else about the contact goes through `contacts.resolve`.

    `senders` (in a batch) holds what is known of the batch's senders, read at its start and
    kept current by its messages; the caller empties it when a message fails.
    """
    s = uow.session
    conn = s.connection()
    now = utcnow()
    sender = msg.sender
    key = sender_key(msg)
    if senders is not None and key in senders:
        found = senders[key]
    else:
        found = inbound_store.identity_row(conn, *key)
        if found is not None:
            open_conv = inbound_store.open_conversation_row(conn, int(found[0]))
            found = (*found, *(open_conv or (None, None)))
    if found is None:
        contact_id = inbound_store.insert_contact(conn, *key, sender.name, sender.verified, now)
        conv_id, old_status = None, None
    elif contact_changes(found, sender):
        contact_id, conv_id, old_status = resolve_sender(s, sender)  # takes its lock
        if senders is not None:
            senders.pop(key, None)  # read it again next time
    else:
        contact_id = int(found[0])
        conv_id, old_status = found[4], found[5]
    lock_contact_messages(conn, contact_id)
    new_status = ConversationStatus.OPEN.value
    if conv_id is None:
        conv_id = new_conversation(conn, inbox, msg, contact_id, now)
    else:
        wake = waking(conv_id, contact_id, old_status, msg)
        new_status = wake.new_status if wake else str(old_status)
        inbound_store.touch_conversation(
            conn, conv_id, inbox.id, now, wake.new_status if wake else None
        )
        forget(s, Conversation, conv_id)
        if wake:
            uow.emit(wake)
    if senders is not None and (found is None or key in senders):
        verified = sender.verified if found is None else found[1]
        name = sender.name if found is None else found[3]
        senders[key] = (contact_id, verified, None, name, conv_id, new_status)
    row = {**message_values(inbox, msg), "conversation_id": conv_id, "created_at": now}
    message_id = inbound_store.insert_message_row(conn, row)
    uow.emit(MessageCreated(conv_id, contact_id, message_id, False, lean_view(message_id, row)))
    after_store(uow, inbox, msg, message_id)
    return Received(message_id, conv_id, contact_id, duplicate=False, automatic=msg.automatic)


def contact_changes(found: tuple[Any, ...], sender: SenderIdentity) -> bool:
    """Whether storing a message from this known sender (a `Senders` row) changes its
    contact: merged into another, a name to fill in, or an identity newly verified."""
    merged, name_missing = found[2] is not None, bool(sender.name and not found[3])
    return merged or name_missing or (sender.verified and not found[1])


def resolve_sender(s: Session, sender: SenderIdentity) -> tuple[int, Any, Any]:
    """`contacts.resolve` for such a sender, under its contact's ordering lock: (contact id,
    its open conversation's id and status, or None and None)."""
    contact_id = contacts.resolve(s, sender.kind, sender.address, sender.name, sender.verified).id
    conn = s.connection()
    lock_contact_messages(conn, contact_id)
    conv_id, status = inbound_store.open_conversation_row(conn, contact_id) or (None, None)
    return contact_id, conv_id, status


def new_conversation(
    conn: Connection, inbox: Inbox, msg: InboundMessage, contact_id: int, now: datetime
) -> int:
    """INSERT the conversation a customer's first message opens; returns its id."""
    values = {
        "contact_id": contact_id,
        "inbox_id": inbox.id,
        "last_inbox_id": inbox.id,
        "team_id": inbox.team_id,
        "subject": msg.subject[:300] if msg.subject else None,
    }
    return inbound_store.insert_conversation(conn, values, now)


def waking(
    conv_id: int, contact_id: int, old_status: Any, msg: InboundMessage
) -> ConversationStatusChanged | None:
    """The status change a customer's message makes to its open conversation, if any."""
    old = ConversationStatus(str(old_status))
    new = status_after_customer_message(old)
    if new is old or msg.automatic:
        return None
    return ConversationStatusChanged(conv_id, contact_id, old.value, new.value)


def lean_view(message_id: int, row: dict[str, Any]) -> dict[str, Any]:
    """views.message_view of the new message, from the row just inserted (no ORM object):
    an inbound message without attachments, not private, written by no user."""
    meta = row["meta"]
    return {
        "id": message_id,
        "conversation_id": row["conversation_id"],
        "inbox_id": row["inbox_id"],
        "direction": row["direction"],
        "author_type": row["author_type"],
        "author_user_id": None,
        "text": row["text"],
        "html": row["html"],
        "private": False,
        "external_id": row["external_id"],
        "delivery_status": row["delivery_status"],
        "delivery_error": None,
        "sender_auth": sender_auth(meta) if "sender_auth" in meta else None,
        "quick_replies": [],
        "created_at": row["created_at"].isoformat(),
        "attachments": [],
    }


def forget(s: Session, model: type[Conversation], ident: int) -> None:
    """Expire a copy the session may hold of a row just changed by a plain statement."""
    if not s.identity_map:  # the session holds nothing (a batch, as a rule)
        return
    held = s.identity_map.get(identity_key(model, ident))
    if held is not None:
        s.expire(held)


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
