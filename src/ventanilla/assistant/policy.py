"""The pure decision policy: given the conversation state and what was detected in the
customer's message, decide to answer, clarify, act or hand off."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ventanilla.assistant import intents
from ventanilla.assistant.calibration import Calibration
from ventanilla.assistant.knowledge import Article, ArticleCatalog, Language
from ventanilla.assistant.messages import message
from ventanilla.assistant.retrieval import Candidate
from ventanilla.assistant.state import (
    ActionIntent,
    AssistantState,
    Decision,
    DecisionKind,
    HandoffReason,
    Option,
    added,
    mark_run,
    mark_tried,
)

HANDOFF_MESSAGES = {
    HandoffReason.ASKED_FOR_HUMAN: "handoff_asked_for_human",
    HandoffReason.FRUSTRATION: "handoff_frustration",
    HandoffReason.FAILED_ATTEMPTS: "handoff_failed_attempts",
    HandoffReason.HUMAN_ONLY: "handoff_human_only",
    HandoffReason.LOW_CONFIDENCE: "handoff_low_confidence",
    HandoffReason.OUT_OF_SCOPE: "handoff_out_of_scope",
}


@dataclass(frozen=True)
class PolicyConfig:
    answer_confidence: float = 0.5
    sure_confidence: float = 0.99
    clarify_gap: float = 0.15
    clarify_floor: float = 0.5
    out_of_scope_floor: float = 0.45
    max_failed_attempts: int = 2
    max_options: int = 3
    calibration: Calibration = field(default_factory=Calibration)


@dataclass(frozen=True)
class Signals:
    """What the engine detected in one customer message."""

    text: str
    language: Language
    candidates: tuple[Candidate, ...]
    # What the message asks without its greetings and sign-offs ("" for the whole text).
    request: str = ""
    # The message is only greetings, thanks, introductions or sign-offs.
    courtesy_only: bool = False
    asks_for_human: bool = False
    asks_if_bot: bool = False
    frustrated: bool = False
    action: ActionIntent | None = None
    orders: tuple[str, ...] = ()
    # The message is only an order number, and the store can be asked for order statuses.
    bare_order: bool = False


class Policy:
    def __init__(self, config: PolicyConfig, catalog: ArticleCatalog) -> None:
        self.config = config
        self._catalog = catalog

    def decide(self, state: AssistantState, signals: Signals) -> Decision:
        state = state.after_message(signals.text, signals.language, signals.orders)
        if signals.asks_for_human:
            return self.handoff(state, signals, HandoffReason.ASKED_FOR_HUMAN)
        if signals.frustrated:
            return self.handoff(state, signals, HandoffReason.FRUSTRATION)
        if signals.asks_if_bot:
            # "¿Eres un robot?": the company's own article if it has one, else say so and
            # how to reach a person, rather than hand off.
            decision = self._from_candidates(state, signals)
            if decision.kind is DecisionKind.ANSWER:
                return decision
            return self._simple(state, signals, DecisionKind.CLARIFY, "bot_disclosure")
        if state.confirming:
            answered = self._follow_up_on_confirmation(state, signals)
            if answered is not None:
                return answered
            state = replace(state, confirming=None, confirm_order=None)
        if state.pending_action:
            if signals.orders:
                return self._act(state, signals, state.pending_action)
            without = self._without_order_number(state, signals)
            if without is not None:
                return without
            state = replace(state, pending_action=None)
        if state.pending_options:
            chosen = self._follow_up_on_options(state, signals)
            if chosen is not None:
                return chosen
        return self._fresh_turn(state, signals)

    def _fresh_turn(self, state: AssistantState, signals: Signals) -> Decision:
        text = signals.text
        answered = bool(state.last_article_id or state.last_action)
        if answered and intents.is_thanks(text):
            return self._simple(state, signals, DecisionKind.RESOLVED, "resolved")
        if (state.last_article_id or state.failed_attempts) and (
            intents.is_unhelpful_feedback(text)
            or (intents.is_rejection(text) and len(text.split()) <= 4)
        ):
            # "That didn't help", or "none of these" again after being asked to re-phrase.
            return self._failed(state, signals)
        failed_article = None
        if answered and intents.problem_persists(text):
            # "Sigo sin poder pagar con PayPal": the last answer did not settle it, but the
            # message says what is wrong, so it is read afresh after a failed attempt; a
            # second failure hands off, and so does the same answer again.
            failed_article = state.last_article_id
            failed = state.failed_attempts + 1
            state = replace(state, failed_attempts=failed, last_article_id=None, last_action=None)
            if failed >= self.config.max_failed_attempts:
                return self.handoff(state, signals, HandoffReason.FAILED_ATTEMPTS)
        # "Hola. ¿Dónde está mi pedido? Gracias": the greeting and the thanks are not the point.
        asked = signals.request or text
        if intents.is_greeting(asked):
            return self._simple(state, signals, DecisionKind.CLARIFY, "greeting")
        small_talk = None
        if not intents.has_words(asked) or intents.is_acknowledgement(asked):
            # "ok", "vale", "👍": nothing to look up. Offer more help, or ask how to help.
            small_talk = "anything_else" if len(state.customer_messages) > 1 else "greeting"
        elif intents.is_thanks(asked):
            small_talk = "you_are_welcome"
        elif signals.courtesy_only:  # "Hola, buenas tardes", "Hi, Tom here"
            small_talk = "anything_else" if len(state.customer_messages) > 1 else "greeting"
        if small_talk:
            # Unless the company's knowledge base has an article for it.
            decision = self._from_candidates(state, signals)
            if decision.kind is DecisionKind.ANSWER:
                return decision
            return self._simple(state, signals, DecisionKind.CLARIFY, small_talk)
        action = signals.action
        if action is None and signals.bare_order:
            # A bare "10051": the same question as before about another order, or its status.
            last = state.last_action
            action = last if last and last is not ActionIntent.CANCEL_ORDER else None
            action = action or ActionIntent.ORDER_STATUS
        if action is not None:
            return self._act(state, signals, action)
        decision = self._from_candidates(state, signals)
        if failed_article and decision.article_id == failed_article:
            return self.handoff(decision.state, signals, HandoffReason.FAILED_ATTEMPTS)
        return decision

    def _follow_up_on_confirmation(
        self, state: AssistantState, signals: Signals
    ) -> Decision | None:
        """A yes runs the action waiting for it; a no leaves the order as it is."""
        action, order = state.confirming, state.confirm_order
        cleared = replace(state, confirming=None, confirm_order=None)
        if action is None or order is None:
            return None
        if intents.is_rejection(signals.text):
            return Decision(
                kind=DecisionKind.CLARIFY, language=signals.language, state=cleared,
                reply=message("cancel_kept", signals.language, order=order),
                candidates=self._ids(signals),
            )
        if intents.is_affirmation(signals.text) and not signals.orders:
            return self._act(cleared, signals, action, order=order, confirmed=True)
        return None

    def _without_order_number(
        self, state: AssistantState, signals: Signals
    ) -> Decision | None:
        """Asked for an order number, the customer answered without one ("no lo sé", an
        email address). A new question is read afresh (None); otherwise say where to find it,
        and hand off the second time."""
        cleared = replace(state, pending_action=None)
        if signals.action is not None:
            return self._act(cleared, signals, signals.action)
        fresh = self._from_candidates(cleared, signals)
        if fresh.kind is DecisionKind.ANSWER:
            return fresh
        failed = state.failed_attempts + 1
        if failed >= self.config.max_failed_attempts:
            return self.handoff(
                replace(cleared, failed_attempts=failed), signals, HandoffReason.FAILED_ATTEMPTS
            )
        return self._simple(
            replace(state, failed_attempts=failed), signals, DecisionKind.CLARIFY,
            "order_number_help",
        )

    def _from_candidates(self, state: AssistantState, signals: Signals) -> Decision:
        cfg = self.config
        ranked = signals.candidates
        # Candidates come best first, but a trained re-ranking may put one above another
        # with a higher retrieval score: the floors look at the highest score.
        top = max((c.score for c in ranked), default=0.0)
        if top < cfg.out_of_scope_floor:
            # After a failed attempt, what the customer says next is their re-phrasing.
            reason = (
                HandoffReason.FAILED_ATTEMPTS if state.failed_attempts
                else HandoffReason.OUT_OF_SCOPE
            )
            return self.handoff(state, signals, reason)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        confidence = cfg.calibration.confidence(best.score, runner_up)
        close = [c for c in ranked[: cfg.max_options] if c.score >= best.score - cfg.clarify_gap]
        if len(close) >= 2:
            close = [c for c in close if c.article.audience == "public"] or close[:1]
        sure = confidence >= cfg.sure_confidence
        if confidence >= cfg.answer_confidence and (len(close) == 1 or sure):
            return self._answer_or_route(state, signals, best.article, confidence)
        if len(close) >= 2 and top >= cfg.clarify_floor:
            return self._clarify(state, signals, [c.article for c in close])
        if confidence >= cfg.answer_confidence:
            return self._answer_or_route(state, signals, best.article, confidence)
        if best.score >= cfg.clarify_floor and best.article.audience == "public":
            # One candidate stands out but its score is too low to answer outright (typically
            # a question in one language against articles in the other, whose cosines run
            # lower): asking whether that is it beats asking the customer to re-phrase.
            return self._clarify(state, signals, [best.article])
        if state.failed_attempts + 1 >= cfg.max_failed_attempts:
            return self.handoff(state, signals, HandoffReason.LOW_CONFIDENCE)
        return self._failed(state, signals)

    def _follow_up_on_options(self, state: AssistantState, signals: Signals) -> Decision | None:
        options = [a for a in (self._catalog.get(i) for i in state.pending_options) if a]
        cleared = replace(state, pending_options=())
        index = intents.choice_index(signals.text, len(options))
        if index is None:
            index = intents.title_choice(signals.text, [a.title for a in options])
        if index is None and len(options) == 1 and intents.is_affirmation(signals.text):
            index = 0
        if index is not None:
            return self._answer_or_route(cleared, signals, options[index], 1.0)
        if intents.is_rejection(signals.text) or intents.is_unhelpful_feedback(signals.text):
            return self._failed(cleared, signals)
        offered = {a.id for a in options}
        ranked = signals.candidates
        top = ranked[0] if ranked else None
        if top and top.article.id in offered and top.score >= self.config.clarify_floor:
            return self._answer_or_route(cleared, signals, top.article, top.score)
        return self._fresh_turn(cleared, signals) if ranked else None

    def _answer_or_route(
        self, state: AssistantState, signals: Signals, article: Article, confidence: float
    ) -> Decision:
        if article.human_only or article.audience != "public":
            state = replace(state, tried=mark_tried(state, article.id))
            return self.handoff(state, signals, HandoffReason.HUMAN_ONLY)
        language = signals.language
        shown = self._catalog.in_language(article, language)
        untranslated = shown.language != language
        body = message("answer", language, answer=shown.answer_text, link=shown.link)
        if untranslated:
            body = message("no_translation", language) + "\n\n" + body
        new_state = replace(
            state, pending_options=(), pending_action=None, last_article_id=shown.id,
            last_action=None, tried=mark_tried(state, shown.id),
            answered=added(state.answered, shown.id),
        )
        return Decision(
            kind=DecisionKind.ANSWER, language=language, reply=body, state=new_state,
            article_id=shown.id, link=shown.link, confidence=confidence,
            untranslated=untranslated, candidates=self._ids(signals),
        )

    def _clarify(
        self, state: AssistantState, signals: Signals, articles: list[Article]
    ) -> Decision:
        language = signals.language
        shown = [self._catalog.in_language(a, language) for a in articles]
        options = tuple(Option(a.id, a.title.replace("_", " ")) for a in shown)
        lines = [message("clarify" if len(options) > 1 else "clarify_one", language)] + [
            message("clarify_option", language, number=i + 1, title=o.title)
            for i, o in enumerate(options)
        ]
        new_state = replace(
            state, pending_options=tuple(o.article_id for o in options),
            tried=mark_tried(state, *(o.article_id for o in options)),
            offered=added(state.offered, *(o.article_id for o in options)),
        )
        quick = (
            (*(o.title for o in options), message("quick_none", language))
            if len(options) > 1
            else (message("quick_yes", language), message("quick_no", language))
        )
        return Decision(
            kind=DecisionKind.CLARIFY, language=language, reply="\n".join(lines), state=new_state,
            options=options, quick_replies=quick, candidates=self._ids(signals),
        )

    def _act(
        self, state: AssistantState, signals: Signals, action: ActionIntent,
        *, order: str | None = None, confirmed: bool = False,
    ) -> Decision:
        language = signals.language
        # The order named in this message, else the one named last in the conversation.
        if order is None:
            order = signals.orders[0] if signals.orders else (
                state.order_numbers[-1] if state.order_numbers else None
            )
        if order is None:
            new_state = replace(state, pending_action=action, pending_options=())
            return Decision(
                kind=DecisionKind.CLARIFY, language=language,
                reply=message("ask_order_number", language), state=new_state, action=action,
                candidates=self._ids(signals),
            )
        if action is ActionIntent.CANCEL_ORDER and not confirmed:
            # Nothing irreversible on a guess: a cancellation waits for a yes.
            new_state = replace(
                state, pending_action=None, pending_options=(), confirming=action,
                confirm_order=order,
            )
            return Decision(
                kind=DecisionKind.CLARIFY, language=language, state=new_state, action=action,
                reply=message("confirm_cancel_order", language, order=order),
                quick_replies=(
                    message("quick_confirm_cancel", language),
                    message("quick_keep_order", language),
                ),
                candidates=self._ids(signals),
            )
        # A status or refund question about several orders ("10023 y 10051") asks about each;
        # a cancellation is confirmed for one order.
        orders: tuple[str, ...] = (order,)
        if action is not ActionIntent.CANCEL_ORDER and order in signals.orders:
            orders = signals.orders
        new_state = replace(
            state, pending_action=None, pending_options=(), last_action=action,
            last_article_id=None, actions_run=mark_run(state, action, orders),
        )
        return Decision(
            kind=DecisionKind.ACT, language=language, state=new_state, action=action,
            reply=message(f"act_{action.value}", language, order=order),
            order_numbers=orders, candidates=self._ids(signals),
        )

    def _failed(self, state: AssistantState, signals: Signals) -> Decision:
        failed = state.failed_attempts + 1
        state = replace(
            state, failed_attempts=failed, pending_options=(), last_article_id=None,
            last_action=None,
        )
        if failed >= self.config.max_failed_attempts:
            return self.handoff(state, signals, HandoffReason.FAILED_ATTEMPTS)
        return self._simple(state, signals, DecisionKind.CLARIFY, "rephrase")

    def _simple(
        self, state: AssistantState, signals: Signals, kind: DecisionKind, key: str
    ) -> Decision:
        return Decision(
            kind=kind, language=signals.language, reply=message(key, signals.language),
            state=state, candidates=self._ids(signals),
        )

    def handoff(
        self, state: AssistantState, signals: Signals, reason: HandoffReason
    ) -> Decision:
        new_state = replace(
            state, pending_options=(), pending_action=None, confirming=None, confirm_order=None,
            handed_off=True,
        )
        return Decision(
            kind=DecisionKind.HANDOFF, language=signals.language, state=new_state,
            reply=message(HANDOFF_MESSAGES[reason], signals.language), reason=reason,
            order_numbers=state.order_numbers, candidates=self._ids(signals),
        )

    @staticmethod
    def _ids(signals: Signals) -> tuple[str, ...]:
        return tuple(c.article.id for c in signals.candidates)
