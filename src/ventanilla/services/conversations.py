"""Conversation use cases: list, read, status, assignment, priority, tags, offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ventanilla.domain.clock import utcnow
from ventanilla.domain.conversations import check_status_change, normalize_tags
from ventanilla.domain.enums import ConversationStatus, Priority, Role
from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import ConversationAssigned, ConversationStatusChanged
from ventanilla.services import access, audit
from ventanilla.services.auth import Principal
from ventanilla.services.paging import check_limit, decode_cursor, encode_cursor
from ventanilla.services.uow import UnitOfWork
from ventanilla.services.views import conversation_view, message_view
from ventanilla.storage.models import (
    Conversation,
    ConversationOffer,
    Inbox,
    Message,
    Team,
    TeamMember,
    User,
)


@dataclass(frozen=True)
class ConversationFilter:
    status: ConversationStatus | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    inbox_id: int | None = None
    channel: str | None = None
    contact_id: int | None = None
    updated_since: datetime | None = None


def list_page(
    uow: UnitOfWork, who: Principal, f: ConversationFilter, cursor: str | None, limit: int
) -> dict[str, Any]:
    stmt = access.visible(select(Conversation), who)
    if f.status:
        stmt = stmt.where(Conversation.status == f.status.value)
    if f.assignee_id is not None:
        stmt = stmt.where(Conversation.assignee_id == f.assignee_id)
    if f.team_id is not None:
        stmt = stmt.where(Conversation.team_id == f.team_id)
    if f.inbox_id is not None:
        stmt = stmt.where(Conversation.last_inbox_id == f.inbox_id)
    if f.contact_id is not None:
        stmt = stmt.where(Conversation.contact_id == f.contact_id)
    if f.channel:
        stmt = stmt.join(Inbox, Inbox.id == Conversation.last_inbox_id).where(
            Inbox.channel == f.channel
        )
    if f.updated_since:
        stmt = stmt.where(Conversation.updated_at >= f.updated_since)
    after = decode_cursor(cursor)
    if after is not None:
        stmt = stmt.where(Conversation.id < after)
    limit = check_limit(limit)
    rows = uow.session.scalars(stmt.order_by(Conversation.id.desc()).limit(limit + 1)).all()
    items = [conversation_view(c) for c in rows[:limit]]
    nxt = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": items, "next_cursor": nxt}


def messages_page(
    uow: UnitOfWork, who: Principal, conversation_id: int, after_id: int | None, limit: int
) -> dict[str, Any]:
    """Messages oldest first; `after_id` resumes after the last one seen."""
    access.get_visible(uow.session, who, conversation_id)
    stmt = select(Message).where(Message.conversation_id == conversation_id)
    if after_id is not None:
        stmt = stmt.where(Message.id > after_id)
    limit = check_limit(limit)
    rows = uow.session.scalars(stmt.order_by(Message.id).limit(limit + 1)).all()
    items = [message_view(m) for m in rows[:limit]]
    nxt = str(rows[limit - 1].id) if len(rows) > limit else None
    return {"items": items, "next_after_id": nxt}


def change_status(
    uow: UnitOfWork,
    who: Principal,
    conversation_id: int,
    status: ConversationStatus,
    snoozed_until: datetime | None = None,
) -> Conversation:
    conv = access.get_visible(uow.session, who, conversation_id)
    check_status_change(status, snoozed_until, utcnow())
    old = conv.status
    conv.status = status.value
    conv.snoozed_until = snoozed_until
    conv.updated_at = utcnow()
    if old != status.value:
        audit.record(
            uow.session,
            who.user_id,
            "conversation.status",
            "conversation",
            conv.id,
            {"from": old, "to": status.value},
        )
        uow.emit(ConversationStatusChanged(conv.id, conv.contact_id, old, status.value))
    return conv


def assign(
    uow: UnitOfWork,
    who: Principal,
    conversation_id: int,
    assignee_id: int | None,
    team_id: int | None,
) -> Conversation:
    s = uow.session
    conv = access.get_visible(s, who, conversation_id)
    if who.role is Role.EXPERT and assignee_id not in (who.user_id, None):
        raise InvalidInput("an expert can only take a conversation for themselves")
    if assignee_id is not None:
        user = s.get(User, assignee_id)
        if user is None or not user.active:
            raise NotFound(f"user {assignee_id} not found")
    if team_id is not None and s.get(Team, team_id) is None:
        raise NotFound(f"team {team_id} not found")
    if (
        assignee_id is not None
        and team_id is not None
        and s.get(TeamMember, (team_id, assignee_id)) is None
    ):
        raise InvalidInput(f"user {assignee_id} is not in team {team_id}")
    before = {"assignee_id": conv.assignee_id, "team_id": conv.team_id}
    conv.assignee_id = assignee_id
    conv.team_id = team_id
    conv.updated_at = utcnow()
    audit.record(
        s,
        who.user_id,
        "conversation.assigned",
        "conversation",
        conv.id,
        {"from": before, "to": {"assignee_id": assignee_id, "team_id": team_id}},
    )
    uow.emit(ConversationAssigned(conv.id, conv.contact_id, assignee_id, team_id))
    return conv


def update_fields(
    uow: UnitOfWork,
    who: Principal,
    conversation_id: int,
    priority: Priority | None,
    tags: list[str] | None,
) -> Conversation:
    conv = access.get_visible(uow.session, who, conversation_id)
    changes: dict[str, Any] = {}
    if priority is not None and priority.value != conv.priority:
        changes["priority"] = [conv.priority, priority.value]
        conv.priority = priority.value
    if tags is not None:
        clean = normalize_tags(tags)
        changes["tags"] = [conv.tags, clean]
        conv.tags = clean
    if changes:
        conv.updated_at = utcnow()
        audit.record(
            uow.session, who.user_id, "conversation.updated", "conversation", conv.id, changes
        )
    return conv


def offer(uow: UnitOfWork, who: Principal, conversation_id: int, user_id: int) -> None:
    """Offer a conversation to an expert, who then sees it."""
    who.require(Role.ADMIN, Role.AGENT)
    s = uow.session
    if s.get(Conversation, conversation_id) is None:
        raise NotFound(f"conversation {conversation_id} not found")
    if s.get(User, user_id) is None:
        raise NotFound(f"user {user_id} not found")
    if s.get(ConversationOffer, (conversation_id, user_id)) is None:
        s.add(ConversationOffer(conversation_id=conversation_id, user_id=user_id))
        audit.record(
            s,
            who.user_id,
            "conversation.offered",
            "conversation",
            conversation_id,
            {"user_id": user_id},
        )
