"""/api/v1/assistant/report: what the assistant resolved, handed off or left unanswered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter

from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import Role
from ventanilla.domain.errors import InvalidInput
from ventanilla.services import resolutions
from ventanilla.web.deps import PrincipalDep, UowDep

router = APIRouter(prefix="/assistant", tags=["assistant"])
DEFAULT_PERIOD = timedelta(days=30)


@router.get("/report")
def report(
    uow: UowDep, who: PrincipalDep, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Outcomes of the conversations started in the period (default: the last 30 days)."""
    who.require(Role.ADMIN)
    end = _in_utc(until, "until") or utcnow()
    start = _in_utc(since, "since")
    if start is None:
        try:
            start = end - DEFAULT_PERIOD
        except OverflowError:
            raise InvalidInput("until: too early to count 30 days back; give since") from None
    return resolutions.report(uow.session, start, end)


def _in_utc(value: datetime | None, name: str) -> datetime | None:
    """The moment in UTC (a value without a time zone is left for the report to refuse)."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{name}: {value.isoformat()} is out of range in UTC") from None
