"""A batch of plain inbound messages stored with a handful of statements.

A batch reads every duplicate and every sender up front, decides each message in memory in
arrival order, and then writes all the messages with one statement and the conversations
they touch with another: a few round trips per batch instead of several per message.

On SQLite the batch's transaction holds the write lock from its first statement, so nothing
else can add a message, a contact or an identity meanwhile. On PostgreSQL (inbound_pg) the
batch first takes the ordering locks of all its senders (storage.ordering, in key order)
and reads them, its duplicates and its message ids only under the locks, all in one round
trip; the ids are drawn again if it takes another lock later, so one customer's messages
still get their ids in commit order. Its writes then go as one statement.

The outcome is the one `inbound.receive_in` gives each message: the same checks, the same
rows, the same events and jobs. A message that fails a check fails alone and writes
nothing. Anything unexpected (a constraint that another writer's commit now violates, a
deadlock) raises, and the caller rolls the whole batch back and stores it the general way,
one savepoint per message (inbound_batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ventanilla.channels.base import InboundMessage
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import ConversationStatus
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import Event, MessageCreated
from ventanilla.services import inbound, inbound_pg, inbound_store
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Conversation, Inbox
from ventanilla.storage.ordering import lock_contact_messages, lock_contacts_messages, unlocked

Outcome = Received | Exception


def applies(msgs: Sequence[InboundMessage]) -> bool:
    """Every message plain (see `inbound.is_plain`)."""
    return all(inbound.is_plain(m) for m in msgs)


@dataclass
class _New:
    """A message decided and not written yet (its id comes once every lock is held)."""

    inbox: Inbox
    msg: InboundMessage
    contact_id: int
    row: dict[str, Any]
    wake: Event | None


@dataclass
class _Batch:
    """What the batch has decided and not written yet."""

    conn: Connection
    new: list[_New] = field(default_factory=list)
    # conversation id -> (inbox the customer last wrote on, status to set or None)
    touches: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    locked_late: bool = False  # a lock taken while deciding, after the batch's own

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
    todo = [i for i, o in enumerate(outcomes) if o is None]
    pairs = list(dict.fromkeys((items[i][0], items[i][1].external_id) for i in todo))
    drawn: list[int] = []
    if conn.dialect.name == "postgresql":
        keys = sorted({inbound.sender_key(items[i][1]) for i in todo})
        read = inbound_pg.read_locked(conn, keys, pairs, len(pairs))
        senders: inbound.Senders = {k: read.senders.get(k) for k in keys}
        stored = {k: Received(*ids, duplicate=True) for k, ids in read.stored.items()}
        late = unlocked({int(f[0]) for f in senders.values() if f is not None}, read.locked_keys)
        if late:  # identities another batch committed while this one waited for its locks
            lock_contacts_messages(conn, late)
        else:
            drawn = read.ids
    else:
        senders = inbound.prefetch_senders(s, [items[i][1] for i in todo])
        stored = _already_stored(conn, [items[i] for i in todo])
    batch = _Batch(conn)
    first: dict[int, int] = {}  # position -> its message in batch.new
    repeat: dict[int, int] = {}  # position -> the message in batch.new it repeats
    seen: dict[tuple[int, str], int] = {}
    for i in todo:
        inbox_id, msg = items[i]
        key = (inbox_id, msg.external_id)
        if key in stored:
            outcomes[i] = stored[key]
        elif key in seen:
            repeat[i] = seen[key]
        else:
            batch.new.append(_decide(uow, batch, inboxes[inbox_id], msg, senders, now))
            seen[key] = first[i] = len(batch.new) - 1
    if batch.locked_late or len(drawn) < len(batch.new):
        # Ids only once every lock is held: draw them (again) after the locks taken since.
        drawn = inbound_store.new_message_ids(conn, len(batch.new))
    numbered = zip(batch.new, drawn[: len(batch.new)], strict=True)
    received = [_received(uow, new, n) for new, n in numbered]
    rows = [new.row for new in batch.new]
    if conn.dialect.name == "postgresql":
        inbound_pg.write(conn, now, batch.touches, rows)
    else:
        batch.write_touches(now)
        inbound_store.insert_message_rows(conn, rows)
    for i, j in first.items():
        outcomes[i] = received[j]
    for i, j in repeat.items():
        got = received[j]
        outcomes[i] = Received(got.message_id, got.conversation_id, got.contact_id, duplicate=True)
    done = [o for o in outcomes if isinstance(o, Received | Exception)]
    assert len(done) == len(items)
    return done


def _received(uow: UnitOfWork, new: _New, message_id: int) -> Received:
    """Number the message and emit what storing it emits, in the order it would."""
    row = new.row
    row["id"] = message_id
    conv_id = int(row["conversation_id"])
    if new.wake is not None:
        uow.emit(new.wake)
    view = inbound.lean_view(message_id, row)
    uow.emit(MessageCreated(conv_id, new.contact_id, message_id, False, view))
    inbound.after_store(uow, new.inbox, new.msg, message_id)
    automatic = new.msg.automatic
    return Received(message_id, conv_id, new.contact_id, duplicate=False, automatic=automatic)


def _already_stored(
    conn: Connection, items: Sequence[tuple[int, InboundMessage]]
) -> dict[tuple[int, str], Received]:
    """(inbox id, external id) -> the answer to a repeat of a message stored before."""
    by_inbox: dict[int, list[str]] = {}
    for inbox_id, msg in items:
        by_inbox.setdefault(inbox_id, []).append(msg.external_id)
    found = {}
    for inbox_id, external_ids in by_inbox.items():
        for ext, message_id, conv_id, contact_id in inbound_store.stored_external_ids(
            conn, inbox_id, external_ids
        ):
            got = Received(int(message_id), int(conv_id), int(contact_id), duplicate=True)
            found[(inbox_id, ext)] = got
    return found


def _decide(
    uow: UnitOfWork,
    batch: _Batch,
    inbox: Inbox,
    msg: InboundMessage,
    senders: inbound.Senders,
    now: Any,
) -> _New:
    """`inbound._receive_lean` for one message, with the writes of the message and of its
    conversation's touch left to the end of the batch."""
    conn = batch.conn
    sender = msg.sender
    key = inbound.sender_key(msg)
    if key in senders:
        found = senders[key]
    else:
        batch.write_touches(now)  # the lookups below read conversations
        found = inbound_store.identity_row(conn, *key)
        if found is not None:
            lock_contact_messages(conn, int(found[0]))
            batch.locked_late = True
            open_conv = inbound_store.open_conversation_row(conn, int(found[0]))
            found = (*found, *(open_conv or (None, None)))
    if found is None:
        contact_id = inbound_store.insert_contact(conn, *key, sender.name, sender.verified, now)
        conv_id, old_status = None, None
    elif inbound.contact_changes(found, sender):
        batch.write_touches(now)
        contact_id, conv_id, old_status = inbound.resolve_sender(uow.session, sender)
        batch.locked_late = True
        senders.pop(key, None)  # read it again next time
    else:
        contact_id = int(found[0])
        conv_id, old_status = found[4], found[5]
    new_status = ConversationStatus.OPEN.value
    wake_event = None
    if conv_id is None:
        conv_id = inbound.new_conversation(conn, inbox, msg, contact_id, now)
    else:
        wake_event = inbound.waking(conv_id, contact_id, old_status, msg)
        new_status = wake_event.new_status if wake_event else str(old_status)
        batch.touch(conv_id, inbox.id, wake_event.new_status if wake_event else None)
        inbound.forget(uow.session, Conversation, conv_id)
    if found is None or key in senders:
        verified = sender.verified if found is None else found[1]
        name = sender.name if found is None else found[3]
        senders[key] = (contact_id, verified, None, name, conv_id, new_status)
    row = {**inbound.message_values(inbox, msg), "conversation_id": conv_id, "created_at": now}
    return _New(inbox, msg, contact_id, row, wake_event)
