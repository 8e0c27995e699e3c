"""Plain-dict read models shared by the API, realtime events and webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ventanilla.storage.models import Contact, Conversation, Message


def message_view(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "inbox_id": m.inbox_id,
        "direction": m.direction,
        "author_type": m.author_type,
        "author_user_id": m.author_user_id,
        "text": m.text,
        "html": m.html,
        "private": m.private,
        "external_id": m.external_id,
        "delivery_status": m.delivery_status,
        "delivery_error": m.delivery_error,
        "sender_auth": _sender_auth(m),
        "quick_replies": [str(q) for q in (m.meta or {}).get("quick_replies", [])],
        "created_at": m.created_at.isoformat(),
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in m.attachments
        ],
    }


def _sender_auth(m: Message) -> dict[str, str] | None:
    """Whether an inbound email really comes from its From address (None: not an email)."""
    meta = m.meta or {}
    return sender_auth(meta) if "sender_auth" in meta else None


def sender_auth(meta: Mapping[str, Any]) -> dict[str, str]:
    """The sender authentication result of a message whose meta holds one."""
    return {"result": str(meta["sender_auth"]), "reason": str(meta.get("sender_auth_reason", ""))}


def conversation_view(c: Conversation) -> dict[str, Any]:
    return {
        "id": c.id,
        "contact_id": c.contact_id,
        "inbox_id": c.inbox_id,
        "last_inbox_id": c.last_inbox_id,
        "status": c.status,
        "snoozed_until": c.snoozed_until.isoformat() if c.snoozed_until else None,
        "priority": c.priority,
        "assignee_id": c.assignee_id,
        "team_id": c.team_id,
        "language": c.language,
        "subject": c.subject,
        "tags": list(c.tags or []),
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "last_message_at": c.last_message_at.isoformat() if c.last_message_at else None,
    }


def contact_view(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "language": c.language,
        "merged_into_id": c.merged_into_id,
        "attributes": dict(c.attributes or {}),
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "identities": [
            {"id": i.id, "kind": i.kind, "address": i.address, "verified": i.verified}
            for i in c.identities
        ],
    }
