"""Did the assistant solve it? Confirmed, assumed after silence, or cancelled on return."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ventanilla.assistant import Decision, DecisionKind
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import AuthorType
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Conversation, Message, Resolution

REOPEN_WINDOW = timedelta(days=7)
CLOSED = ("confirmed", "assumed")


def after_decision(uow: UnitOfWork, conv: Conversation, decision: Decision) -> None:
    s = uow.session
    now = utcnow()
    awaiting = s.scalars(
        select(Resolution).where(
            Resolution.conversation_id == conv.id, Resolution.status == "awaiting"
        )
    ).all()
    if decision.kind is DecisionKind.RESOLVED:
        for r in awaiting:
            r.status, r.resolved_at = "confirmed", now
        return
    for r in awaiting:  # the customer came back with more: that answer did not settle it
        r.status, r.cancelled_at = "cancelled", now
    _cancel_recent(uow, conv.contact_id)
    if decision.kind is DecisionKind.ANSWER:
        slug = None
        if decision.link:
            slug = decision.link.rstrip("/").rsplit("/", 1)[-1]
        s.add(Resolution(conversation_id=conv.id, article_slug=slug, answered_at=now))


def _cancel_recent(uow: UnitOfWork, contact_id: int) -> None:
    """Writing again within 7 days of a resolution reopens the problem."""
    s = uow.session
    convs = select(Conversation.id).where(Conversation.contact_id == contact_id)
    s.execute(
        update(Resolution)
        .where(
            Resolution.conversation_id.in_(convs.scalar_subquery()),
            Resolution.status.in_(CLOSED),
            Resolution.resolved_at >= utcnow() - REOPEN_WINDOW,
        )
        .values(status="cancelled", cancelled_at=utcnow())
    )


def sweep_assumed(uow: UnitOfWork, silence: timedelta) -> int:
    """Answers followed by silence count as solved. Safe to run from many workers."""
    s = uow.session
    now = utcnow()
    cutoff = now - silence
    rows = s.scalars(
        select(Resolution).where(Resolution.status == "awaiting", Resolution.answered_at < cutoff)
    ).all()
    done = 0
    for r in rows:
        spoke = s.scalars(
            select(Message.id).where(
                Message.conversation_id == r.conversation_id,
                Message.author_type == AuthorType.CUSTOMER.value,
                Message.created_at > r.answered_at,
            )
        ).first()
        if spoke is None:
            r.status, r.resolved_at = "assumed", now
            done += 1
    return done
