"""A batch of plain inbound messages stored with a handful of statements, on SQLite.

SQLite runs one writing transaction at a time, and a batch's transaction holds the write
lock from its first statement: until it commits, nothing else can add a message, a contact
or an identity. So the batch can read every duplicate and every sender up front, decide
each message in memory in arrival order, and then write all the messages with one statement
and their conversations with another, numbering the messages itself (the ids after the
largest one, which is what SQLite would have given them).

The outcome is the one `inbound.receive_in` gives each message: the same checks, the same
rows, the same events and jobs. A message that fails a check fails alone and writes
nothing. Anything unexpected raises, and the caller rolls the whole batch back and stores it
the general way (inbound_batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ventanilla.channels.base import InboundMessage
from ventanilla.domain.clock import utcnow
from ventanilla.domain.conversations import status_after_customer_message
from ventanilla.domain.enums import ConversationStatus
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import ConversationStatusChanged, MessageCreated
from ventanilla.services import contacts, inbound, inbound_store
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Conversation

Outcome = Received | Exception
_LAST_MESSAGE_ID = "SELECT max(id) FROM messages"


def applies(uow: UnitOfWork, msgs: Sequence[InboundMessage]) -> bool:
    """SQLite, and every message plain (see `inbound.is_plain`)."""
    bind = uow.session.get_bind()
    return bind.dialect.name == "sqlite" and all(inbound.is_plain(m) for m in msgs)


@dataclass
class _Batch:
    """What the batch has decided and not written yet."""

    conn: Connection
    next_id: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    # conversation id -> (inbox the customer last wrote on, status to set or None)
    touches: dict[int, tuple[int, str | None]] = field(default_factory=dict)

    def touch(self, conv_id: int, inbox_id: int, new_status: str | None) -> None:
        earlier = self.touches.get(conv_id)
        if new_status is None and earlier is not None:
            new_status = earlier[1]  # a wake-up earlier in the batch still has to be written
        self.touches[conv_id] = (inbox_id, new_status)

    def write_touches(self, now: Any) -> None:
        plain, waking = [], []
        for conv_id, (inbox_id, status) in self.touches.items():
            row = {"conv_id": conv_id, "now": now, "last_inbox_id": inbox_id}
            if status is None:
                plain.append(row)
            else:
                waking.append({**row, "new_status": status})
        inbound_store.touch_conversations(self.conn, plain, waking)
        self.touches.clear()


def receive(uow: UnitOfWork, items: Sequence[tuple[int, InboundMessage]]) -> list[Outcome]:
    """Store the messages in the unit of work's transaction; one outcome per message."""
    s = uow.session
    conn = s.connection()
    now = utcnow()
    outcomes: list[Outcome | None] = [None] * len(items)
    inboxes = {}
    for i, (inbox_id, msg) in enumerate(items):
        inbox = inbound_store.cached_inbox(s, inbox_id)
        if inbox is None:
            outcomes[i] = NotFound(f"inbox {inbox_id} not found")
        elif inbox.channel != msg.channel.value:
            outcomes[i] = InvalidInput(
                f"inbox {inbox_id} is a {inbox.channel} inbox, not {msg.channel.value}"
            )
        elif len(msg.text) > inbound.MAX_TEXT:
            outcomes[i] = InvalidInput(f"message text longer than {inbound.MAX_TEXT} characters")
        else:
            inboxes[inbox_id] = inbox
    stored = _already_stored(conn, [items[i] for i, o in enumerate(outcomes) if o is None])
    senders = inbound.prefetch_senders(s, [m for _, m in items])
    top = inbound_store.driver_rows(conn, _LAST_MESSAGE_ID, [])[0][0]
    batch = _Batch(conn, int(top or 0) + 1)
    for i, (inbox_id, msg) in enumerate(items):
        if outcomes[i] is not None:
            continue
        key = (inbox_id, msg.external_id)
        if key in stored:
            message_id, conv_id, contact_id = stored[key]
            outcomes[i] = Received(message_id, conv_id, contact_id, duplicate=True)
            continue
        got = _decide(uow, batch, inboxes[inbox_id], msg, senders, now)
        stored[key] = (got.message_id, got.conversation_id, got.contact_id)
        outcomes[i] = got
    batch.write_touches(now)
    inbound_store.insert_message_rows(conn, batch.rows)
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(items)
    return done


def _already_stored(
    conn: Connection, items: Sequence[tuple[int, InboundMessage]]
) -> dict[tuple[int, str], tuple[int, int, int]]:
    """(inbox id, external id) -> (message, conversation, contact) of those stored before."""
    by_inbox: dict[int, list[str]] = {}
    for inbox_id, msg in items:
        by_inbox.setdefault(inbox_id, []).append(msg.external_id)
    found = {}
    for inbox_id, external_ids in by_inbox.items():
        for ext, message_id, conv_id, contact_id in inbound_store.stored_external_ids(
            conn, inbox_id, external_ids
        ):
            found[(inbox_id, ext)] = (int(message_id), int(conv_id), int(contact_id))
    return found


def _decide(
    uow: UnitOfWork,
    batch: _Batch,
    inbox: Any,
    msg: InboundMessage,
    senders: inbound.Senders,
    now: Any,
) -> Received:
    """`inbound._receive_lean` for one message, with its writes of messages and
    conversation touches left to the end of the batch."""
    conn = batch.conn
    sender = msg.sender
    key = inbound.sender_key(msg)
    if key in senders:
        found = senders[key]
    else:
        batch.write_touches(now)  # the lookups below read conversations
        found = inbound_store.identity_row(conn, *key)
        if found is not None:
            open_conv = inbound_store.open_conversation_row(conn, int(found[0]))
            found = (*found, *(open_conv or (None, None)))
    if found is None:
        contact_id = inbound_store.insert_contact(conn, *key, sender.name, sender.verified, now)
        conv_id, old_status = None, None
    else:
        merged, name_missing = found[2] is not None, bool(sender.name and not found[3])
        if merged or name_missing or (sender.verified and not found[1]):
            batch.write_touches(now)
            contact_id = contacts.resolve(
                uow.session, sender.kind, sender.address, sender.name, sender.verified
            ).id
            open_conv = inbound_store.open_conversation_row(conn, contact_id)
            conv_id, old_status = open_conv or (None, None)
            senders.pop(key, None)  # read it again next time
        else:
            contact_id = int(found[0])
            conv_id, old_status = found[4], found[5]
    new_status = ConversationStatus.OPEN.value
    if conv_id is None:
        conv_id = inbound_store.insert_conversation(
            conn,
            {
                "contact_id": contact_id,
                "inbox_id": inbox.id,
                "last_inbox_id": inbox.id,
                "team_id": inbox.team_id,
                "subject": msg.subject[:300] if msg.subject else None,
            },
            now,
        )
    else:
        old = ConversationStatus(str(old_status))
        new = status_after_customer_message(old)
        wake = new is not old and not msg.automatic
        new_status = new.value if wake else old.value
        batch.touch(conv_id, inbox.id, new.value if wake else None)
        inbound.forget(uow.session, Conversation, conv_id)
        if wake:
            uow.emit(ConversationStatusChanged(conv_id, contact_id, old.value, new.value))
    if found is None or key in senders:
        verified = sender.verified if found is None else found[1]
        name = sender.name if found is None else found[3]
        senders[key] = (contact_id, verified, None, name, conv_id, new_status)
    message_id = batch.next_id
    batch.next_id += 1
    row = {
        **inbound.message_values(inbox, msg),
        "id": message_id,
        "conversation_id": conv_id,
        "created_at": now,
    }
    batch.rows.append(row)
    view = inbound.lean_view(message_id, row)
    uow.emit(MessageCreated(conv_id, contact_id, message_id, False, view))
    inbound.after_store(uow, inbox, msg, message_id)
    return Received(message_id, conv_id, contact_id, duplicate=False, automatic=msg.automatic)
