"""Did the assistant solve it? Confirmed, assumed after silence, or cancelled on return."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ventanilla.assistant import Decision, DecisionKind
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import AuthorType
from ventanilla.domain.errors import InvalidInput
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Conversation, Message, Resolution

REOPEN_WINDOW = timedelta(days=7)
CLOSED = ("confirmed", "assumed")
# What became of a conversation the assistant took part in, one outcome each.
OUTCOMES = ("confirmed", "assumed", "awaiting", "handed_off", "not_resolved", "unanswered")
MAX_REPORT_PERIOD = timedelta(days=366)


def after_decision(
    uow: UnitOfWork, conv: Conversation, decision: Decision, settled: bool = False
) -> None:
    """Record what a turn means for "did this solve it?". ``settled``: the turn ran an action
    whose reply gives the customer what they asked for."""
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
    cancel_recent(uow, conv.contact_id)
    if decision.kind is DecisionKind.ANSWER:
        slug = None
        if decision.link:
            slug = decision.link.rstrip("/").rsplit("/", 1)[-1]
        s.add(Resolution(conversation_id=conv.id, article_slug=slug, answered_at=now))
    elif decision.kind is DecisionKind.ACT and settled and decision.action is not None:
        s.add(Resolution(conversation_id=conv.id, action=decision.action.value, answered_at=now))


def cancel_recent(uow: UnitOfWork, contact_id: int) -> bool:
    """Writing again within 7 days of a resolution reopens the problem. True when a
    resolution was cancelled (nothing is written when there was none to cancel)."""
    s = uow.session
    convs = select(Conversation.id).where(Conversation.contact_id == contact_id)
    recent = (
        Resolution.conversation_id.in_(convs.scalar_subquery()),
        Resolution.status.in_(CLOSED),
        Resolution.resolved_at >= utcnow() - REOPEN_WINDOW,
    )
    if s.scalars(select(Resolution.id).where(*recent).limit(1)).first() is None:
        return False
    s.execute(update(Resolution).where(*recent).values(status="cancelled", cancelled_at=utcnow()))
    return True


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


def report(session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    """What the assistant did with the conversations started in [since, until).

    Each conversation in which the assistant replied has one outcome: ``confirmed`` (the
    customer said it solved it), ``assumed`` (silence after the answer), ``awaiting`` (an
    answer whose silence has not lasted long enough yet), ``handed_off``, ``not_resolved``
    (answered, but the customer came back: in the same conversation or, within 7 days, in
    another) or ``unanswered`` (no answer was given: the customer left during a
    clarification or after being asked to re-phrase). The resolution rate is confirmed +
    assumed over all of them. ``answers`` tallies every answer given, per article or
    action, with what became of it.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since and until need a time zone (e.g. 2026-11-01T00:00:00Z)")
    if since >= until:
        raise InvalidInput("since must be before until")
    if until - since > MAX_REPORT_PERIOD:
        raise InvalidInput("the period can be at most 366 days")
    in_period = (Conversation.created_at >= since, Conversation.created_at < until)
    assisted = (
        select(Message.id)
        .where(
            Message.conversation_id == Conversation.id,
            Message.author_type == AuthorType.ASSISTANT.value,
        )
        .exists()
    )
    conversations = session.execute(
        select(Conversation.id, Conversation.assistant_state, Conversation.language).where(
            *in_period, assisted
        )
    ).all()
    latest: dict[int, str] = {}
    answers: dict[tuple[str | None, str | None], Counter[str]] = {}
    rows = session.execute(
        select(
            Resolution.conversation_id, Resolution.article_slug, Resolution.action,
            Resolution.status,
        )
        .join(Conversation, Conversation.id == Resolution.conversation_id)
        .where(*in_period)
        .order_by(Resolution.id)
    ).all()
    for conversation_id, slug, action, status in rows:
        latest[conversation_id] = status
        answers.setdefault((slug, action), Counter())[status] += 1
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    languages: dict[str, Counter[str]] = {}
    for conversation_id, state, language in conversations:
        state = state or {}
        outcome = _outcome(latest.get(conversation_id), bool(state.get("handed_off")))
        outcomes[outcome] += 1
        if outcome == "handed_off":
            reasons[str(state.get("_handoff_reason") or "unknown")] += 1
        by_language = languages.setdefault(language or "unknown", Counter())
        by_language["conversations"] += 1
        by_language["resolved"] += outcome in CLOSED
    total = len(conversations)
    resolved = outcomes["confirmed"] + outcomes["assumed"]
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "conversations": total,
        "outcomes": {name: outcomes[name] for name in OUTCOMES},
        "resolution_rate": _percent(resolved, total),
        "handoff_rate": _percent(outcomes["handed_off"], total),
        "handoff_reasons": dict(reasons.most_common()),
        "languages": {
            lang: {**c, "resolution_rate": _percent(c["resolved"], c["conversations"])}
            for lang, c in sorted(languages.items())
        },
        "answers": [
            {
                "article": slug,
                "action": action,
                "answered": sum(counts.values()),
                **{status: counts[status] for status in ("confirmed", "assumed", "awaiting")},
                "not_resolved": counts["cancelled"],
            }
            for (slug, action), counts in sorted(
                answers.items(), key=lambda item: (-sum(item[1].values()), str(item[0]))
            )
        ],
    }


def _outcome(latest: str | None, handed_off: bool) -> str:
    if latest is not None and latest in CLOSED:
        return latest
    if handed_off:
        return "handed_off"
    if latest == "awaiting":
        return "awaiting"
    return "not_resolved" if latest == "cancelled" else "unanswered"


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
