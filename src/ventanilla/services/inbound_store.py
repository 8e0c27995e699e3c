"""The statements of the inbound hot path, built once and run as Core where the ORM costs most.

Each message runs the same few statements; building them once (with bound parameters) saves
their construction and cache-key work, and a Core INSERT/UPDATE skips the unit-of-work flush.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Mapper, Session, SessionTransaction, object_session
from sqlalchemy.orm.attributes import set_committed_value

from ventanilla.domain.enums import ConversationStatus
from ventanilla.services import driver_sql
from ventanilla.storage.models import Contact, ContactIdentity, Conversation, Inbox, Message

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


# The lean path: plain rows instead of ORM objects, for the common message (see
# inbound._receive_lean).
_CONTACTS = cast(Table, Contact.__table__)
_IDENTITIES = cast(Table, ContactIdentity.__table__)

EXISTING = (
    select(_MESSAGES.c.id, _MESSAGES.c.conversation_id, _CONVERSATIONS.c.contact_id)
    .join(_CONVERSATIONS, _CONVERSATIONS.c.id == _MESSAGES.c.conversation_id)
    .where(
        _MESSAGES.c.inbox_id == bindparam("inbox_id"),
        _MESSAGES.c.external_id == bindparam("external_id"),
    )
)
IDENTITY_ROW = (
    select(
        _IDENTITIES.c.contact_id,
        _IDENTITIES.c.verified,
        _CONTACTS.c.merged_into_id,
        _CONTACTS.c.name,
    )
    .join(_CONTACTS, _CONTACTS.c.id == _IDENTITIES.c.contact_id)
    .where(_IDENTITIES.c.kind == bindparam("kind"), _IDENTITIES.c.address == bindparam("address"))
)
OPEN_CONVERSATION_ROW = (
    select(_CONVERSATIONS.c.id, _CONVERSATIONS.c.status)
    .where(
        _CONVERSATIONS.c.contact_id == bindparam("contact_id"),
        _CONVERSATIONS.c.status != ConversationStatus.RESOLVED.value,
    )
    .order_by(_CONVERSATIONS.c.updated_at.desc())
    .limit(1)
)
_LATEST = _CONVERSATIONS.alias("latest")
_OPEN_CONVERSATION_OF_IDENTITY = (
    select(_LATEST.c.id)
    .where(
        _LATEST.c.contact_id == _IDENTITIES.c.contact_id,
        _LATEST.c.status != ConversationStatus.RESOLVED.value,
    )
    .order_by(_LATEST.c.updated_at.desc())
    .limit(1)
    .correlate(_IDENTITIES)
    .scalar_subquery()
)
SENDERS = (
    select(
        _IDENTITIES.c.kind,
        _IDENTITIES.c.address,
        _IDENTITIES.c.contact_id,
        _IDENTITIES.c.verified,
        _CONTACTS.c.merged_into_id,
        _CONTACTS.c.name,
        _CONVERSATIONS.c.id,
        _CONVERSATIONS.c.status,
    )
    .join(_CONTACTS, _CONTACTS.c.id == _IDENTITIES.c.contact_id)
    .outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.id == _OPEN_CONVERSATION_OF_IDENTITY)
    .where(tuple_(_IDENTITIES.c.kind, _IDENTITIES.c.address).in_(bindparam("keys", expanding=True)))
)
_ADDRESSES = func.json_each(bindparam("addresses")).table_valued("value")
SENDERS_OF_KIND = (
    select(*SENDERS.selected_columns)
    .select_from(_IDENTITIES)
    .join(_CONTACTS, _CONTACTS.c.id == _IDENTITIES.c.contact_id)
    .outerjoin(_CONVERSATIONS, _CONVERSATIONS.c.id == _OPEN_CONVERSATION_OF_IDENTITY)
    .where(
        _IDENTITIES.c.kind == bindparam("kind"),
        _IDENTITIES.c.address.in_(select(_ADDRESSES.c.value)),
    )
)
_INSERT_CONTACT = insert(_CONTACTS)
_INSERT_IDENTITY = insert(_IDENTITIES)
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_TOUCH_AND_WAKE = _TOUCH_CONVERSATION.values(status=bindparam("new_status"), snoozed_until=None)


def existing_row(conn: Connection, inbox_id: int, external_id: str) -> Any:
    """(message id, conversation id, contact id) of the message with this external id."""
    return driver_sql.first(conn, EXISTING, {"inbox_id": inbox_id, "external_id": external_id})


def identity_row(conn: Connection, kind: str, address: str) -> Any:
    """(contact id, verified, merged into, contact name) behind an identity, or None."""
    return driver_sql.first(conn, IDENTITY_ROW, {"kind": kind, "address": address})


def insert_contact(
    conn: Connection, kind: str, address: str, name: str | None, verified: bool, now: datetime
) -> int:
    """A new contact and its first identity; returns the contact id."""
    contact_id = driver_sql.insert(
        conn, _INSERT_CONTACT, {"name": name, "created_at": now, "updated_at": now}
    )
    identity = {"contact_id": contact_id, "kind": kind, "address": address}
    driver_sql.insert(conn, _INSERT_IDENTITY, {**identity, "verified": verified, "created_at": now})
    return contact_id


def senders(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """For each (kind, address) that has an identity: (contact id, verified, merged into,
    contact name, open conversation id, its status), in one query."""
    if not keys:
        return {}
    if conn.dialect.name == "sqlite":
        by_kind: dict[str, list[str]] = {}
        for kind, address in keys:
            by_kind.setdefault(kind, []).append(address)
        rows: list[Any] = []
        for kind, addresses in by_kind.items():
            params = {"kind": kind, "addresses": json.dumps(addresses)}
            rows += driver_sql.execute(conn, SENDERS_OF_KIND, params).fetchall()
    else:
        rows = list(conn.execute(SENDERS, {"keys": keys}).all())
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def open_conversation_row(conn: Connection, contact_id: int) -> Any:
    """(id, status) of the contact's latest conversation that is not resolved, or None."""
    return driver_sql.first(conn, OPEN_CONVERSATION_ROW, {"contact_id": contact_id})


def insert_conversation(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    row = {**values, "created_at": now, "updated_at": now, "last_message_at": now}
    return driver_sql.insert(conn, _INSERT_CONVERSATION, row)


def touch_conversation(
    conn: Connection, conv_id: int, inbox_id: int, now: datetime, new_status: str | None
) -> None:
    """A new message arrived: its time, the inbox to answer on, and a status change if any."""
    params = {"conv_id": conv_id, "now": now, "last_inbox_id": inbox_id}
    if new_status is None:
        driver_sql.write(conn, _TOUCH_CONVERSATION, params)
    else:
        driver_sql.write(conn, _TOUCH_AND_WAKE, {**params, "new_status": new_status})


def insert_message_row(conn: Connection, row: dict[str, Any]) -> int:
    return driver_sql.insert(conn, _INSERT_MESSAGE, row)


# For a batch written at once (inbound_bulk).
def _stored_external_ids(external_ids: Any) -> Executable:
    return (
        select(
            _MESSAGES.c.external_id,
            _MESSAGES.c.id,
            _MESSAGES.c.conversation_id,
            _CONVERSATIONS.c.contact_id,
        )
        .join(_CONVERSATIONS, _CONVERSATIONS.c.id == _MESSAGES.c.conversation_id)
        .where(
            _MESSAGES.c.inbox_id == bindparam("inbox_id"), _MESSAGES.c.external_id.in_(external_ids)
        )
    )


# SQLite: the ids as one JSON array, so the statement is compiled once for any number.
_EXTERNAL_IDS = func.json_each(bindparam("external_ids")).table_valued("value")
STORED_EXTERNAL_IDS = _stored_external_ids(select(_EXTERNAL_IDS.c.value))
_MESSAGE_IDS_PG = text(
    "SELECT nextval(pg_get_serial_sequence('messages', 'id')) FROM generate_series(1, :n)"
)
_LAST_MESSAGE_ID = select(func.max(_MESSAGES.c.id))


def stored_external_ids(conn: Connection, inbox_id: int, external_ids: list[str]) -> list[Any]:
    """(external id, message id, conversation id, contact id) of those already stored
    (SQLite; on PostgreSQL a batch reads them with `inbound_pg.read_locked`)."""
    params = {"inbox_id": inbox_id, "external_ids": json.dumps(external_ids)}
    return list(driver_sql.execute(conn, STORED_EXTERNAL_IDS, params).fetchall())


def new_message_ids(conn: Connection, n: int) -> list[int]:
    """Ids for n messages about to be inserted in this transaction, in order.

    On SQLite the transaction holds the write lock: the next ids after the largest are the
    ones SQLite would give. On PostgreSQL they come from the table's sequence, as usual.
    """
    if n == 0:
        return []
    if conn.dialect.name == "sqlite":
        top = driver_sql.execute(conn, _LAST_MESSAGE_ID, {}).fetchone()[0] or 0
        return list(range(top + 1, top + 1 + n))
    return sorted(int(r[0]) for r in conn.execute(_MESSAGE_IDS_PG, {"n": n}))


def touch_conversations(
    conn: Connection, plain: list[dict[str, Any]], waking: list[dict[str, Any]]
) -> None:
    """`touch_conversation` for many: rows of conv_id, now, last_inbox_id (and new_status)."""
    driver_sql.executemany(conn, _TOUCH_CONVERSATION, plain)
    driver_sql.executemany(conn, _TOUCH_AND_WAKE, waking)


def insert_message_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Messages whose ids the caller has chosen, all with the same keys (on PostgreSQL a
    batch writes its own with `inbound_pg.write`)."""
    driver_sql.executemany(conn, _INSERT_MESSAGE, rows)


# Inboxes are read for every message and almost never change: a copy is kept per database
# for INBOX_TTL_S. A change committed in this process is seen at once (a version counter
# bumped after the commit); one made by another process within INBOX_TTL_S.
INBOX_TTL_S = 1.0
_INBOX_CHANGED_KEY = "ventanilla.inbound.inbox_changed"


class _InboxCache:
    def __init__(self) -> None:
        self.version = 0
        self._lock = threading.Lock()
        self._items: weakref.WeakKeyDictionary[Engine, dict[int, tuple[int, float, Inbox]]] = (
            weakref.WeakKeyDictionary()
        )

    def bump(self) -> None:
        with self._lock:
            self.version += 1

    def get(self, s: Session, inbox_id: int) -> Inbox | None:
        engine = s.bind
        items = self._items.get(engine) if isinstance(engine, Engine) else None
        now = time.monotonic()
        hit = items.get(inbox_id) if items is not None else None
        if hit is not None and hit[0] == self.version and hit[1] > now:
            return hit[2]
        version = self.version  # read before the query: a commit meanwhile invalidates it
        inbox = s.get(Inbox, inbox_id)
        if inbox is None:
            return None
        copy = Inbox(
            id=inbox.id,
            name=inbox.name,
            channel=inbox.channel,
            settings=dict(inbox.settings or {}),
            team_id=inbox.team_id,
            created_at=inbox.created_at,
        )  # not in any session; its secret is left out
        if isinstance(engine, Engine):
            with self._lock:
                self._items.setdefault(engine, {})[inbox_id] = (version, now + INBOX_TTL_S, copy)
        return copy


_inboxes = _InboxCache()


def cached_inbox(s: Session, inbox_id: int) -> Inbox | None:
    """The inbox (a copy outside the session: read it, do not change it), or None."""
    return _inboxes.get(s, inbox_id)


def _inbox_changed(_mapper: Mapper[Any], _conn: Any, target: Inbox) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_INBOX_CHANGED_KEY] = True


def _inbox_transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop(_INBOX_CHANGED_KEY, False):
        _inboxes.bump()


for _name in ("after_update", "after_delete"):
    event.listen(Inbox, _name, _inbox_changed)
event.listen(Session, "after_transaction_end", _inbox_transaction_ended)
