"""The assistant as first responder: one turn per customer message, in the conversation."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from ventanilla.assistant import AssistantState, Decision, DecisionKind
from ventanilla.assistant.engine import Turn
from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.messages import message
from ventanilla.assistant.summary import HandoffSummary
from ventanilla.domain.enums import AuthorType, ChannelKind, ConversationStatus, Direction
from ventanilla.domain.events import ConversationStatusChanged
from ventanilla.services import knowledge, outbound, resolutions, webchat
from ventanilla.services.assistant_actions import ActionOutcome, run_action
from ventanilla.services.assistant_phrasing import phrase_turn
from ventanilla.services.assistant_pool import note_for_readers
from ventanilla.services.assistant_rules import assistant_on
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Conversation, Inbox, Message
from ventanilla.storage.ordering import lock_contact_messages

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container


ACTION_NOT_COMPLETED = "action_not_completed"
# In the conversation's memory: the language of the page its last web chat message came from.
PAGE_LANGUAGE_KEY = "_page_language"


@dataclass(frozen=True)
class TurnInput:
    conversation_id: int
    contact_id: int
    text: str
    state: AssistantState
    kb: tuple[int, int]  # the knowledge base's fingerprint, read in the same transaction
    page_language: Language | None = None  # of the web page the message was written on


async def run_turn(container: Container, message_id: int) -> Decision | None:
    """Answer, clarify, act or hand off for one inbound message. Idempotent per message."""
    runtime = container.assistant
    if runtime is None:
        return None
    prepared = await asyncio.to_thread(_prepare, container, message_id)
    if prepared is None:
        return None
    # The CPU part (engine.turn and the hand-off note) runs in the assistant's process pool,
    # off this process's interpreter lock; see services/assistant_pool.py.
    computed = await runtime.compute(container.uow, prepared.state, prepared.text, prepared.kb)
    if computed is None:
        return None  # the knowledge base is empty
    turn = computed.turn
    # The decision is final from here on; an answer may only be reworded, grounded in its
    # article, when a language model endpoint is configured.
    turn = await phrase_turn(container, turn, prepared.text)
    outcome = None
    if turn.decision.kind is DecisionKind.ACT:
        outcome = await run_action(container, prepared.conversation_id, turn.decision)
    # The note is labelled for the people who will read it once the transaction can tell
    # who they are, with why the action handed off when it did.
    note: HandoffSummary | str | None = None
    if _hands_off(turn, outcome):
        note = computed.note if computed.note is not None else computed.summary
    await asyncio.to_thread(_apply, container, message_id, prepared, turn, outcome, note)
    return turn.decision


def _prepare(container: Container, message_id: int) -> TurnInput | None:
    with container.uow() as uow:
        s = uow.session
        msg = s.get(Message, message_id)
        if msg is None or msg.direction != Direction.INBOUND.value or msg.private:
            return None
        if msg.meta.get("automatic") == "1" or not msg.text.strip():
            return None
        conv = s.get(Conversation, msg.conversation_id)
        inbox = s.get(Inbox, msg.inbox_id) if msg.inbox_id else None
        if conv is None or inbox is None or not assistant_on(inbox):
            return None
        state = AssistantState.from_dict(conv.assistant_state)
        if conv.assignee_id is not None or state.handed_off:
            # A person has it; still, the customer is back: what the assistant solved for
            # them in the last 7 days did not hold.
            if resolutions.cancel_recent(uow, conv.contact_id):
                uow.commit()
            return None
        if state_seen(conv, message_id):
            return None
        page = webchat.page_language((msg.meta or {}).get(webchat.PAGE_LANGUAGE))
        state = with_page_language(state, page, conv.assistant_state)
        kb = knowledge.fingerprint(s)
        return TurnInput(conv.id, conv.contact_id, msg.text, state, kb, page)


def with_page_language(
    state: AssistantState, page: Language | None, memory: dict[str, Any] | None
) -> AssistantState:
    """The language of the page a web chat message was written on is the assistant's fallback
    for a message too short to tell ("hi", "ok"): on the conversation's first message, and
    again when the customer moves to a page in another language. Otherwise the language the
    conversation has been held in stays the fallback. A message in a clear language is
    answered in that language whatever the page."""
    if page is None:
        return state
    if state.language is None or page != (memory or {}).get(PAGE_LANGUAGE_KEY):
        return replace(state, language=page)
    return state


def state_seen(conv: Conversation, message_id: int) -> bool:
    return int((conv.assistant_state or {}).get("_last_message_id", 0)) >= message_id


def _hands_off(turn: Turn, outcome: ActionOutcome | None) -> bool:
    return turn.decision.kind is DecisionKind.HANDOFF or bool(outcome and outcome.handoff)


def _apply(
    container: Container,
    message_id: int,
    prepared: TurnInput,
    turn: Turn,
    outcome: ActionOutcome | None,
    note: HandoffSummary | str | None,
) -> None:
    decision = turn.decision
    with container.uow() as uow:
        s = uow.session
        conv = s.get(Conversation, prepared.conversation_id)
        if conv is None or state_seen(conv, message_id):
            return
        lock_contact_messages(s, conv.contact_id)  # before the conversation's row lock
        found = s.execute(select(Message.meta).where(Message.id == message_id)).first()
        newer = s.scalars(
            select(Message.id).where(
                Message.conversation_id == conv.id,
                Message.id > message_id,
                Message.author_type == AuthorType.AGENT.value,
            )
        ).first()
        if newer is not None or conv.assignee_id is not None:
            return  # a person answered meanwhile; the assistant stays quiet
        summary = (
            note_for_readers(s, conv.id, note, outcome.failures if outcome else None)
            if isinstance(note, HandoffSummary)
            else note
        )
        state = decision.state
        text = outcome.reply if outcome else decision.reply
        if summary is not None:
            state = AssistantState.from_dict({**state.to_dict(), "handed_off": True})
        # Every change to the conversation first, so that it is written in one UPDATE.
        memory: dict[str, Any] = {
            **state.to_dict(),
            "_last_message_id": message_id,
            "_sentiment": turn.sentiment.label,
        }
        if summary is not None:
            memory["_handoff_reason"] = _handoff_reason(decision)
        page = prepared.page_language or (conv.assistant_state or {}).get(PAGE_LANGUAGE_KEY)
        if page:
            memory[PAGE_LANGUAGE_KEY] = page
        conv.assistant_state = memory
        conv.language = decision.language
        if summary is not None:
            _tag_hand_off(conv)
        if found is not None:
            _remember_sentiment(uow, message_id, found.meta or {}, turn)
        # Held here so that the note and the reply find the inbox in the session.
        inbox = s.get(Inbox, conv.last_inbox_id) if conv.last_inbox_id else None
        if summary is not None:
            _hand_off(uow, conv, summary)
        if text and summary is None and inbox is not None and inbox.channel == ChannelKind.EMAIL:
            # Mail has no label saying who wrote it: the assistant signs as itself.
            text = f"{text}\n\n{message('email_signature', decision.language)}"
        if text:
            quick = () if outcome or summary is not None else decision.quick_replies
            outbound.post(
                uow, conv.id,
                outbound.Reply(text, AuthorType.ASSISTANT, automatic=True, quick_replies=quick),
            )
        resolutions.after_decision(uow, conv, decision, settled=bool(outcome and outcome.settled))
        uow.commit()
        del inbox  # (kept alive until here on purpose)


def _handoff_reason(decision: Decision) -> str:
    """Why a person takes over: the policy's reason, or an action the assistant could not
    complete (the store unreachable, an order not the customer's, a refused cancellation)."""
    if decision.kind is DecisionKind.HANDOFF and decision.reason is not None:
        return decision.reason.value
    return ACTION_NOT_COMPLETED


def _remember_sentiment(uow: UnitOfWork, message_id: int, meta: dict[str, Any], turn: Turn) -> None:
    """Per-message sentiment and frustration, for routing and the experience ledger."""
    mood = turn.sentiment
    meta = {
        **meta,
        "sentiment": mood.label,
        "frustration": f"{mood.frustration:.3f}",
        "language": mood.language,
    }
    uow.session.execute(update(Message).where(Message.id == message_id).values(meta=meta))


def _tag_hand_off(conv: Conversation) -> None:
    tags = list(conv.tags or [])
    if "handoff" not in tags:
        conv.tags = [*tags, "handoff"]


def _hand_off(uow: UnitOfWork, conv: Conversation, summary: str) -> None:
    """The private note for the agent (posting it sets the conversation's updated_at)."""
    outbound.post(uow, conv.id, outbound.Reply(summary, AuthorType.SYSTEM, private=True))
    if conv.status != ConversationStatus.OPEN.value:
        old = conv.status
        conv.status = ConversationStatus.OPEN.value
        uow.emit(ConversationStatusChanged(conv.id, conv.contact_id, old, conv.status))
