"""/api/v1/assistant/report: what the assistant resolved, handed off or left unanswered."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter

from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import Role
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
    end = until or utcnow()
    return resolutions.report(uow.session, since or end - DEFAULT_PERIOD, end)
