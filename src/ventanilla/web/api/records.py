"""/api/v1/audit and /api/v1/attachments/{id}."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from ventanilla.services import records
from ventanilla.web.deps import PrincipalDep, UowDep

router = APIRouter(tags=["records"])


@router.get("/audit")
def audit_log(
    uow: UowDep,
    who: PrincipalDep,
    entity_type: str | None = Query(None, max_length=32),
    entity_id: int | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    return records.audit_page(uow, who, entity_type, entity_id, cursor, limit)


@router.get("/attachments/{attachment_id}")
def download(attachment_id: int, uow: UowDep, who: PrincipalDep) -> Response:
    att = records.attachment_for(uow, who, attachment_id)
    # Served as a download, never rendered inline: customer files are untrusted.
    headers = {
        "content-disposition": f"attachment; filename*=UTF-8''{_quote(att.filename)}",
        "x-content-type-options": "nosniff",
    }
    return Response(att.data, media_type=att.content_type, headers=headers)


def _quote(name: str) -> str:
    return quote(name, safe="")
