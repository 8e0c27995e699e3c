"""/api/v1/conversations: list, read, reply, notes, status, assignment, offers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from ventanilla.domain.enums import AuthorType, ConversationStatus
from ventanilla.services import access, conversations, outbound
from ventanilla.services.conversations import ConversationFilter
from ventanilla.services.views import conversation_view, message_view
from ventanilla.web.api.schemas import (
    AssignIn,
    ConversationPatch,
    MessageIn,
    NoteIn,
    OfferIn,
    StatusIn,
)
from ventanilla.web.deps import PrincipalDep, UowDep

router = APIRouter(prefix="/conversations", tags=["conversations"])


@router.get("")
def list_conversations(
    uow: UowDep,
    who: PrincipalDep,
    status: ConversationStatus | None = None,
    assignee_id: int | None = None,
    team_id: int | None = None,
    inbox_id: int | None = None,
    channel: str | None = None,
    contact_id: int | None = None,
    updated_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    f = ConversationFilter(
        status, assignee_id, team_id, inbox_id, channel, contact_id, updated_since
    )
    return conversations.list_page(uow, who, f, cursor, limit)


@router.get("/{conversation_id}")
def get_conversation(conversation_id: int, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    return conversation_view(access.get_visible(uow.session, who, conversation_id))


@router.get("/{conversation_id}/messages")
def list_messages(
    conversation_id: int,
    uow: UowDep,
    who: PrincipalDep,
    after_id: int | None = None,
    limit: int = Query(100, ge=1, le=200),
) -> dict[str, Any]:
    return conversations.messages_page(uow, who, conversation_id, after_id, limit)


@router.post("/{conversation_id}/messages", status_code=201)
def post_message(
    conversation_id: int, body: MessageIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    access.get_visible(uow.session, who, conversation_id)
    reply = outbound.Reply(
        text=body.text,
        author_type=AuthorType.AGENT,
        author_user_id=who.user_id,
        private=body.private,
        inbox_id=body.inbox_id,
    )
    msg = outbound.post(uow, conversation_id, reply)
    uow.commit()
    return message_view(msg)


@router.post("/{conversation_id}/notes", status_code=201)
def post_note(conversation_id: int, body: NoteIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    access.get_visible(uow.session, who, conversation_id)
    reply = outbound.Reply(text=body.text, author_user_id=who.user_id, private=True)
    msg = outbound.post(uow, conversation_id, reply)
    uow.commit()
    return message_view(msg)


@router.post("/{conversation_id}/status")
def set_status(
    conversation_id: int, body: StatusIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    conv = conversations.change_status(uow, who, conversation_id, body.status, body.snoozed_until)
    uow.commit()
    return conversation_view(conv)


@router.post("/{conversation_id}/assignment")
def set_assignment(
    conversation_id: int, body: AssignIn, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    conv = conversations.assign(uow, who, conversation_id, body.assignee_id, body.team_id)
    uow.commit()
    return conversation_view(conv)


@router.patch("/{conversation_id}")
def patch_conversation(
    conversation_id: int, body: ConversationPatch, uow: UowDep, who: PrincipalDep
) -> dict[str, Any]:
    conv = conversations.update_fields(uow, who, conversation_id, body.priority, body.tags)
    uow.commit()
    return conversation_view(conv)


@router.post("/{conversation_id}/offers", status_code=201)
def offer(conversation_id: int, body: OfferIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    conversations.offer(uow, who, conversation_id, body.user_id)
    uow.commit()
    return {"conversation_id": conversation_id, "user_id": body.user_id}
