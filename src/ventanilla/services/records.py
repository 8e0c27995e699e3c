"""Read side for the audit log and attachment downloads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import undefer

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import NotFound
from ventanilla.services import access
from ventanilla.services.auth import Principal
from ventanilla.services.paging import check_limit, decode_cursor, encode_cursor
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Attachment, AuditEntry, Message


def audit_page(
    uow: UnitOfWork,
    who: Principal,
    entity_type: str | None,
    entity_id: int | None,
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """Who changed what, newest first (admins only)."""
    who.require(Role.ADMIN)
    stmt = select(AuditEntry)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(AuditEntry.id < after)
    limit = check_limit(limit)
    rows = uow.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    items = [
        {
            "id": r.id,
            "actor_user_id": r.actor_user_id,
            "action": r.action,
            "entity_type": r.entity_type,
            "entity_id": r.entity_id,
            "changes": r.changes,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows[:limit]
    ]
    nxt = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": items, "next_cursor": nxt}


def attachment_for(uow: UnitOfWork, who: Principal, attachment_id: int) -> Attachment:
    """The attachment with its bytes, if its conversation is visible to `who`."""
    att = uow.session.scalars(
        select(Attachment).options(undefer(Attachment.data)).where(Attachment.id == attachment_id)
    ).first()
    if att is not None:
        msg = uow.session.get(Message, att.message_id)
        if msg is not None and access.can_see(uow.session, who, msg.conversation_id):
            return att
    raise NotFound(f"attachment {attachment_id} not found")
