"""Messages of one customer become visible in the order of their ids.

Readers resume from the last message id they saw (the widget's reconnect-and-resume, the
agent's history), so a message must never commit after another message of the same
customer that has a higher id. On PostgreSQL ids come from a sequence when the row is
inserted, and two transactions may commit in the other order; taking a transaction-scoped
advisory lock on the customer before inserting makes their message transactions take turns,
so ids are handed out in commit order for that customer. SQLite already runs one writing
transaction at a time, so there is nothing to do there.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# A namespace for the lock keys, so they cannot collide with other advisory locks.
_NAMESPACE = 0x56_54_4E  # "VTN"
_LOCK = text("SELECT pg_advisory_xact_lock(:ns, :key)")


def lock_contact_messages(s: Session | Connection, contact_id: int) -> None:
    """Wait for any other open transaction that is adding messages for this contact.

    Take it before writing the contact's conversations too: every writer then takes the
    advisory lock before the conversation's row lock, so two writers cannot deadlock.
    """
    conn = s.connection() if isinstance(s, Session) else s
    if conn.dialect.name != "postgresql":
        return
    conn.execute(_LOCK, {"ns": _NAMESPACE, "key": _key(contact_id)})


_LOCK_MANY = text(
    "SELECT pg_advisory_xact_lock(:ns, k) FROM unnest(CAST(:keys AS integer[])) AS k ORDER BY k"
)


def lock_contacts_messages(conn: Connection, contact_ids: list[int]) -> None:
    """`lock_contact_messages` for several contacts in one round trip, in the order of their
    keys: two transactions locking overlapping sets this way cannot deadlock on them."""
    if conn.dialect.name != "postgresql" or not contact_ids:
        return
    keys = sorted({_key(c) for c in contact_ids})
    conn.execute(_LOCK_MANY, {"ns": _NAMESPACE, "keys": keys})


# The same locks, for the contacts behind sender identities given as a JSON array of
# [kind, address] pairs, found and locked in one statement; returns the keys it locked (the
# key is `_key` in SQL).
# Each identity is looked up on its own (a subquery the planner may not merge: OFFSET 0),
# not joined to the array as a whole, which it would do by reading the whole table.
LOCK_IDENTITIES = text(
    "SELECT k, pg_advisory_xact_lock(:ns, k) FROM ("
    " SELECT DISTINCT CAST((i.contact_id & 4294967295)"
    " - CASE WHEN (i.contact_id & 2147483648) <> 0 THEN 4294967296 ELSE 0 END AS integer) AS k"
    " FROM json_array_elements(CAST(:senders AS JSON)) AS e CROSS JOIN LATERAL"
    " (SELECT contact_id FROM contact_identities"
    "  WHERE kind = e->>0 AND address = e->>1 OFFSET 0) AS i"
    ") AS keys ORDER BY k"
)


def lock_identities_params(keys: list[tuple[str, str]]) -> dict[str, object]:
    return {"ns": _NAMESPACE, "senders": json.dumps(keys)}


def unlocked(contact_ids: set[int], locked_keys: set[int]) -> list[int]:
    """Those of the contacts whose lock key is not among the keys already locked."""
    return sorted(c for c in contact_ids if _key(c) not in locked_keys)


def _key(contact_id: int) -> int:
    """pg_advisory_xact_lock(int4, int4): the id folded into the signed 32-bit range."""
    return (contact_id & 0xFFFFFFFF) - (1 << 32 if contact_id & 0x80000000 else 0)
