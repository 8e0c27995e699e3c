"""The statements of the inbound hot path, built once and run as Core where the ORM costs most.

Each message runs the same few statements; building them once (with bound parameters) saves
their construction and cache-key work, and a Core INSERT/UPDATE skips the unit-of-work flush.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ventanilla.domain.enums import ConversationStatus
from ventanilla.storage.models import Contact, ContactIdentity, Conversation, Message

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
_INSERT_CONTACT = insert(_CONTACTS)
_INSERT_IDENTITY = insert(_IDENTITIES)
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_TOUCH_AND_WAKE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conv_id"))
    .values(
        last_message_at=bindparam("now"),
        updated_at=bindparam("now"),
        last_inbox_id=bindparam("last_inbox_id"),
        status=bindparam("new_status"),
        snoozed_until=None,
    )
)


def existing_row(conn: Connection, inbox_id: int, external_id: str) -> Any:
    """(message id, conversation id, contact id) of the message with this external id."""
    return conn.execute(EXISTING, {"inbox_id": inbox_id, "external_id": external_id}).first()


def identity_row(conn: Connection, kind: str, address: str) -> Any:
    """(contact id, verified, merged into, contact name) behind an identity, or None."""
    return conn.execute(IDENTITY_ROW, {"kind": kind, "address": address}).first()


def insert_contact(
    conn: Connection, kind: str, address: str, name: str | None, verified: bool, now: datetime
) -> int:
    """A new contact and its first identity; returns the contact id."""
    got = conn.execute(
        _INSERT_CONTACT, {"name": name, "created_at": now, "updated_at": now}
    ).inserted_primary_key
    assert got is not None
    contact_id = int(got[0])
    conn.execute(
        _INSERT_IDENTITY,
        {
            "contact_id": contact_id,
            "kind": kind,
            "address": address,
            "verified": verified,
            "created_at": now,
        },
    )
    return contact_id


def open_conversation_row(conn: Connection, contact_id: int) -> Any:
    """(id, status) of the contact's latest conversation that is not resolved, or None."""
    return conn.execute(OPEN_CONVERSATION_ROW, {"contact_id": contact_id}).first()


def insert_conversation(conn: Connection, values: dict[str, Any], now: datetime) -> int:
    row = {**values, "created_at": now, "updated_at": now, "last_message_at": now}
    got = conn.execute(_INSERT_CONVERSATION, row).inserted_primary_key
    assert got is not None
    return int(got[0])


def touch_conversation(
    conn: Connection, conv_id: int, inbox_id: int, now: datetime, new_status: str | None
) -> None:
    """A new message arrived: its time, the inbox to answer on, and a status change if any."""
    params = {"conv_id": conv_id, "now": now, "last_inbox_id": inbox_id}
    if new_status is None:
        conn.execute(_TOUCH_CONVERSATION, params)
    else:
        conn.execute(_TOUCH_AND_WAKE, {**params, "new_status": new_status})


def insert_message_row(conn: Connection, row: dict[str, Any]) -> int:
    got = conn.execute(_INSERT_MESSAGE, row).inserted_primary_key
    assert got is not None
    return int(got[0])
