"""The durable outbox: rows written in the business transaction, executed after commit."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import OutboxStatus
from ventanilla.storage.models import OutboxJob

LEASE = timedelta(seconds=60)
_DUE = (
    "SELECT id FROM outbox WHERE (status = :pending AND next_attempt_at <= :now) "
    "OR (status = :in_flight AND lease_until < :now) ORDER BY id LIMIT :limit"
)
_CLAIM = (
    "UPDATE outbox SET status = :in_flight, lease_until = :lease, attempts = attempts + 1 "
    "WHERE id IN ({due}) RETURNING id, kind, payload, idempotency_key, attempts, max_attempts"
)
_CLAIM_SQL = _CLAIM.format(due=_DUE)
_CLAIM_SQL_PG = _CLAIM.format(due=_DUE + " FOR UPDATE SKIP LOCKED")
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 3600.0


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    max_attempts: int


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], key: str, max_attempts: int = 8
) -> None:
    session.add(
        OutboxJob(kind=kind, payload=payload, idempotency_key=key, max_attempts=max_attempts)
    )


def claim(session: Session, limit: int) -> list[ClaimedJob]:
    """Lease due jobs. Safe with many workers: SKIP LOCKED on PostgreSQL, one writer on SQLite."""
    now = utcnow()
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    sql = text(_CLAIM_SQL_PG if postgres else _CLAIM_SQL)
    rows = session.execute(
        sql,
        {
            "in_flight": OutboxStatus.IN_FLIGHT.value,
            "pending": OutboxStatus.PENDING.value,
            "lease": now + LEASE,
            "now": now,
            "limit": limit,
        },
    ).all()
    jobs = [
        ClaimedJob(r.id, r.kind, _as_dict(r.payload), r.idempotency_key, r.attempts, r.max_attempts)
        for r in rows
    ]
    return sorted(jobs, key=lambda j: j.id)


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    assert isinstance(loaded, dict)
    return loaded


def mark_done(session: Session, job_id: int) -> None:
    job = session.get(OutboxJob, job_id)
    if job is not None:
        job.status = OutboxStatus.DONE.value
        job.done_at = utcnow()
        job.lease_until = None
        job.last_error = None


def mark_failed(session: Session, job: ClaimedJob, error: str, permanent: bool) -> bool:
    """Schedule a retry with exponential backoff; True when the job is given up."""
    row = session.get(OutboxJob, job.id)
    if row is None:
        return True
    row.last_error = error[:2000]
    row.lease_until = None
    if permanent or job.attempts >= job.max_attempts:
        row.status = OutboxStatus.DEAD.value
        return True
    delay = min(BACKOFF_BASE_S * 2 ** (job.attempts - 1), BACKOFF_MAX_S)
    row.status = OutboxStatus.PENDING.value
    row.next_attempt_at = utcnow() + timedelta(seconds=delay * random.uniform(0.8, 1.2))
    return False


def cancel(session: Session, key: str) -> None:
    """Drop a pending job (used when history is imported as already delivered)."""
    row = session.query(OutboxJob).filter(OutboxJob.idempotency_key == key).first()
    if row is not None and row.status == OutboxStatus.PENDING.value:
        session.delete(row)
