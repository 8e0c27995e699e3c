"""Who may see which conversation."""

from __future__ import annotations

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import NotFound
from ventanilla.services.auth import Principal
from ventanilla.storage.models import Conversation, ConversationOffer


def visible(stmt: Select[tuple[Conversation]], who: Principal) -> Select[tuple[Conversation]]:
    """Experts only see conversations offered or assigned to them."""
    if who.role is not Role.EXPERT:
        return stmt
    offered = exists().where(
        ConversationOffer.conversation_id == Conversation.id,
        ConversationOffer.user_id == who.user_id,
    )
    return stmt.where(or_(Conversation.assignee_id == who.user_id, offered))


def visible_ids(session: Session, who: Principal, conversation_ids: set[int]) -> set[int]:
    """Those of the conversations that `who` may see, in one query."""
    stmt = visible(select(Conversation).where(Conversation.id.in_(conversation_ids)), who)
    return set(session.scalars(stmt.with_only_columns(Conversation.id)))


def can_see(session: Session, who: Principal, conversation_id: int) -> bool:
    stmt = visible(select(Conversation).where(Conversation.id == conversation_id), who)
    return session.scalars(stmt).first() is not None


def get_visible(session: Session, who: Principal, conversation_id: int) -> Conversation:
    """The conversation, or NotFound (an expert cannot tell hidden from missing)."""
    conv = session.scalars(
        visible(select(Conversation).where(Conversation.id == conversation_id), who)
    ).first()
    if conv is None:
        raise NotFound(f"conversation {conversation_id} not found")
    return conv
