"""The audit log: who changed what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ventanilla.storage.models import AuditEntry


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int,
    changes: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor_user_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes=changes or {},
        )
    )
