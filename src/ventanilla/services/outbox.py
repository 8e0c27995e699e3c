"""The durable outbox: rows written in the business transaction, executed after commit.

The table is the source of truth. A job queue only carries "execute job N" so a worker can pick
it up at once; a periodic sweep finds anything due whose message was lost, and any job whose
lease expired because its worker died.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import OutboxStatus
from ventanilla.storage.models import OutboxJob

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(seconds=60)
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 3600.0
_NEW_KEY = "ventanilla.outbox.new"
_RETURNING = " RETURNING id, kind, payload, idempotency_key, attempts, max_attempts"
_LEASE = "UPDATE outbox SET status = :in_flight, lease_until = :lease, attempts = attempts + 1 "
# Due: pending and its time has come, or in flight with a lease that ran out (a dead worker).
_DUE = (
    "SELECT id FROM outbox WHERE (status = :pending AND next_attempt_at <= :now) "
    "OR (status = :in_flight AND lease_until < :now) ORDER BY id LIMIT :limit"
)
_CLAIM_SQL = _LEASE + "WHERE id IN (" + _DUE + ")" + _RETURNING
_CLAIM_SQL_PG = _LEASE + "WHERE id IN (" + _DUE + " FOR UPDATE SKIP LOCKED)" + _RETURNING
_CLAIM_ONE_SQL = (
    _LEASE + "WHERE id = :id AND ((status = :pending AND next_attempt_at <= :now) "
    "OR (status = :in_flight AND lease_until < :now))" + _RETURNING
)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    max_attempts: int


class Outcome(StrEnum):
    RETRY = "retry"  # scheduled again with backoff
    DEAD = "dead"  # given up: permanent error or attempts exhausted
    STALE = "stale"  # our lease was lost to another worker; the row is not ours to change


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], key: str, max_attempts: int = 8
) -> None:
    job = OutboxJob(kind=kind, payload=payload, idempotency_key=key, max_attempts=max_attempts)
    session.add(job)
    session.info.setdefault(_NEW_KEY, []).append(job)


def watch_commits(factory: sessionmaker[Session], dispatch: Callable[[list[int]], None]) -> Any:
    """Call dispatch(ids) after each commit that wrote outbox rows; returns an unwatch function."""

    def committed(session: Session) -> None:
        jobs: list[OutboxJob] = session.info.pop(_NEW_KEY, [])
        keys = [inspect(j).identity for j in jobs]  # no SQL: we are between transactions
        ids = [int(k[0]) for k in keys if k is not None]
        if not ids:
            return
        try:
            dispatch(ids)
        except Exception:  # committed is committed: the sweep will find the rows
            log.exception("could not hand outbox jobs %s to the queue", ids)

    def ended(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # rolled back (a commit has already taken the list)
            session.info.pop(_NEW_KEY, None)

    event.listen(factory, "after_commit", committed)
    event.listen(factory, "after_transaction_end", ended)

    def unwatch() -> None:
        event.remove(factory, "after_commit", committed)
        event.remove(factory, "after_transaction_end", ended)

    return unwatch


def _params(now: datetime, lease: timedelta) -> dict[str, Any]:
    return {
        "in_flight": OutboxStatus.IN_FLIGHT.value,
        "pending": OutboxStatus.PENDING.value,
        "lease": now + lease,
        "now": now,
    }


def _jobs(rows: Any) -> list[ClaimedJob]:
    jobs = [
        ClaimedJob(r.id, r.kind, _as_dict(r.payload), r.idempotency_key, r.attempts, r.max_attempts)
        for r in rows
    ]
    return sorted(jobs, key=lambda j: j.id)


def claim(
    session: Session, limit: int, now: datetime | None = None, lease: timedelta = DEFAULT_LEASE
) -> list[ClaimedJob]:
    """Lease due jobs. Safe with many workers: SKIP LOCKED on PostgreSQL, one writer on SQLite."""
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    sql = text(_CLAIM_SQL_PG if postgres else _CLAIM_SQL)
    params = {**_params(now or utcnow(), lease), "limit": limit}
    return _jobs(session.execute(sql, params).all())


def claim_one(
    session: Session, job_id: int, now: datetime | None = None, lease: timedelta = DEFAULT_LEASE
) -> ClaimedJob | None:
    """Lease one job if it is due; None when it is done, leased by someone else, or not yet due.

    Two workers asking for the same id at once: PostgreSQL re-checks the condition after the
    first one's commit, so only one of them gets a row.
    """
    params = {**_params(now or utcnow(), lease), "id": job_id}
    jobs = _jobs(session.execute(text(_CLAIM_ONE_SQL), params).all())
    return jobs[0] if jobs else None


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    assert isinstance(loaded, dict)
    return loaded


def mark_done(session: Session, job_id: int, now: datetime | None = None) -> None:
    """Done is final even if our lease had expired: the side effect did happen."""
    job = session.get(OutboxJob, job_id, with_for_update=True)
    if job is not None and job.status != OutboxStatus.DONE.value:
        job.status = OutboxStatus.DONE.value
        job.done_at = now or utcnow()
        job.lease_until = None
        job.last_error = None


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s, … up to an hour, with ±20 % jitter so retries do not arrive in waves."""
    delay = min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S)
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))


def mark_failed(
    session: Session, job: ClaimedJob, error: str, permanent: bool, now: datetime | None = None
) -> Outcome:
    """Schedule a retry with exponential backoff, or give the job up."""
    row = session.get(OutboxJob, job.id, with_for_update=True)
    if row is None or row.status != OutboxStatus.IN_FLIGHT.value or row.attempts != job.attempts:
        return Outcome.STALE
    row.last_error = error[:2000]
    row.lease_until = None
    if permanent or job.attempts >= job.max_attempts:
        row.status = OutboxStatus.DEAD.value
        return Outcome.DEAD
    row.status = OutboxStatus.PENDING.value
    row.next_attempt_at = (now or utcnow()) + backoff(job.attempts)
    return Outcome.RETRY


def cancel(session: Session, key: str) -> None:
    """Drop a pending job (used when history is imported as already delivered)."""
    row = session.query(OutboxJob).filter(OutboxJob.idempotency_key == key).first()
    if row is not None and row.status == OutboxStatus.PENDING.value:
        session.delete(row)
        pending: list[OutboxJob] = session.info.get(_NEW_KEY, [])
        if row in pending:
            pending.remove(row)
