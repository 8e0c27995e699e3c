"""The statements of a batch written at once on PostgreSQL (inbound_bulk), few and whole.

Each statement costs the client a round trip through the kernel whatever it carries, about
as much as the Python around it, so a batch runs three: the reads, in one round trip, all
of its writes as one statement, and the commit. Their values travel as JSON documents, one
parameter for any number of messages: each statement keeps one text, which psycopg
prepares once, and a JSON string is far cheaper for psycopg to send than lists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, text

from ventanilla.domain.enums import ConversationStatus
from ventanilla.services import driver_sql
from ventanilla.storage.models import Message
from ventanilla.storage.ordering import LOCK_IDENTITIES, lock_identities_params

# What the batch needs to know, read in one statement after its locks are granted: for each
# sender identity its contact and the contact's latest conversation that is not resolved
# (as inbound_store.SENDERS), the messages already stored under the batch's external ids,
# and n new message ids. Each key is looked up on its own, in a subquery kept from being
# merged into a join (OFFSET 0): the planner cannot know how few keys a JSON array holds,
# and would scan whole tables to join them.
_READ = text(
    "SELECT"
    " (SELECT coalesce(json_agg(json_build_array(s.kind, s.address, s.contact_id, s.verified,"
    "   s.merged_into_id, s.name, s.conv_id, s.conv_status)), '[]')"
    "  FROM json_array_elements(CAST(:senders AS JSON)) AS e CROSS JOIN LATERAL"
    "  (SELECT i.kind, i.address, i.contact_id, i.verified, c.merged_into_id, c.name,"
    "    v.id AS conv_id, v.status AS conv_status"
    "   FROM contact_identities AS i JOIN contacts AS c ON c.id = i.contact_id"
    "   LEFT JOIN LATERAL (SELECT o.id, o.status FROM conversations AS o"
    "    WHERE o.contact_id = i.contact_id AND o.status <> :resolved"
    "    ORDER BY o.updated_at DESC LIMIT 1) AS v ON true"
    "   WHERE i.kind = e->>0 AND i.address = e->>1 OFFSET 0) AS s),"
    " (SELECT coalesce(json_agg(json_build_array(d.inbox_id, d.external_id, d.id,"
    "   d.conversation_id, d.contact_id)), '[]')"
    "  FROM json_array_elements(CAST(:stored AS JSON)) AS e CROSS JOIN LATERAL"
    "  (SELECT m.inbox_id, m.external_id, m.id, m.conversation_id, o.contact_id"
    "   FROM messages AS m JOIN conversations AS o ON o.id = m.conversation_id"
    "   WHERE m.inbox_id = CAST(e->>0 AS BIGINT) AND m.external_id = e->>1 OFFSET 0) AS d),"
    " ARRAY(SELECT nextval(pg_get_serial_sequence('messages', 'id'))"
    "  FROM generate_series(1, :n))"
)

# The conversations the batch touches (inbound_store.touch_conversation for each: the time,
# the inbox to answer on and, where the message wakes it, the new status), as a
# data-modifying WITH in front of the messages' INSERT. The ids come once more as an array,
# which the planner reads through the primary key (it would scan the table to join the
# JSON rows alone).
_TOUCH = (
    "WITH touched AS (UPDATE conversations"
    " SET last_message_at = %s, updated_at = %s, last_inbox_id = t.inbox_id,"
    " status = coalesce(t.status, conversations.status),"
    " snoozed_until = CASE WHEN t.status IS NULL THEN conversations.snoozed_until END"
    " FROM json_to_recordset(CAST(%s AS JSON)) AS t(id BIGINT, inbox_id BIGINT, status VARCHAR)"
    " WHERE conversations.id = ANY(CAST(%s AS BIGINT[])) AND conversations.id = t.id) "
)
_INSERT_MESSAGE = cast(Table, Message.__table__).insert()


@dataclass
class LockedBatch:
    """What a batch read under its senders' locks."""

    locked_keys: set[int]  # the ordering lock keys taken
    senders: dict[tuple[str, str], tuple[Any, ...]]  # as inbound_store.senders gives them
    stored: dict[tuple[int, str], tuple[int, int, int]]  # -> (message, conversation, contact)
    ids: list[int]  # message ids drawn once the locks were held, ascending


def read_locked(
    conn: Connection, keys: list[tuple[str, str]], stored: list[tuple[int, str]], n_ids: int
) -> LockedBatch:
    """In one round trip: lock the contacts behind the sender identities (storage.ordering),
    then read the senders, the messages already stored under (inbox id, external id) and
    draw n_ids message ids; the reads see what committed before the locks were granted."""
    params = {
        **lock_identities_params(keys),
        "resolved": ConversationStatus.RESOLVED.value,
        "stored": json.dumps(stored),
        "n": n_ids,
    }
    with driver_sql.pipeline(conn):
        lock = driver_sql.execute(conn, LOCK_IDENTITIES, params)
        read = driver_sql.execute(conn, _READ, params)
    senders, dupes, ids = read.fetchone()
    return LockedBatch(
        locked_keys={int(r[0]) for r in lock.fetchall()},
        senders={(r[0], r[1]): tuple(r[2:]) for r in senders},
        stored={(int(r[0]), r[1]): (int(r[2]), int(r[3]), int(r[4])) for r in dupes},
        ids=sorted(int(i) for i in ids),
    )


def write(
    conn: Connection,
    now: datetime,
    touches: dict[int, tuple[int, str | None]],
    messages: list[dict[str, Any]],
) -> None:
    """One statement: touch the conversations (id -> (inbox the customer wrote on, status
    to set or None)) and insert the messages (rows of the same keys, ids chosen)."""
    sql, args = "", []
    if touches:
        rows = [{"id": c, "inbox_id": i, "status": s} for c, (i, s) in touches.items()]
        sql, args = _TOUCH, [now, now, driver_sql.to_json(rows), list(touches)]
    if messages:
        insert, values = driver_sql.insert_from_json(conn, _INSERT_MESSAGE, messages)
        driver_sql.run(conn, sql + insert, args + values)
    elif touches:
        driver_sql.run(conn, sql + "SELECT 1", args)
