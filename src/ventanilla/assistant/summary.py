"""The note an agent reads when the assistant hands a conversation over.

It says what the customer wants (in their words), what the assistant already did (articles
given, order actions run), what it only offered, why a person takes over, the customer's
language, sentiment and order numbers; labelled in the language of the agents who read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from ventanilla.assistant import intents
from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import (
    ActionIntent,
    ActionRun,
    AssistantState,
    HandoffReason,
    added,
)
from ventanilla.assistant.text import normalized

__all__ = [
    "ActionFailed",
    "ActionFailure",
    "ActionRun",
    "HandoffSummary",
    "build_handoff_summary",
    "is_request",
    "note_language",
]


class ActionFailure(StrEnum):
    """Why an order action handed the conversation to a person."""

    UNVERIFIED_SENDER = "unverified_sender"  # an email whose sender could not be proven
    STORE_UNAVAILABLE = "unavailable"  # the store could not be reached, or is not connected
    NOT_OWNER = "not_owner"  # the order is not under the customer's verified identities
    NOT_CANCELLED = "not_cancelled"  # the store refused the cancellation
    REFUND_PROBLEM = "refund_problem"  # the refund failed, or was declined or cancelled
    NOT_COMPLETED = "action_not_completed"  # the cause is not known where the note is written


@dataclass(frozen=True)
class ActionFailed:
    """Why an order action handed off: the cause, the orders it happened on (every order the
    action ran on when empty) and, when the store gave one, the reason in each language
    ("ya está en camino" / "it has already shipped")."""

    cause: ActionFailure
    orders: tuple[str, ...] = ()
    because: Mapping[str, str] | None = None

    def covers(self, run: ActionRun) -> bool:
        return not self.orders or run.order in self.orders


_LABELS: Final[dict[Language, dict[str, str]]] = {
    "es": {
        "wants": "Qué quiere", "latest": "Lo último que pidió", "tried": "Qué se intentó",
        "offered": "Se le ofreció, sin que lo eligiera",
        "shown": "Mostrado como respuesta u opción",
        "language": "Idioma", "sentiment": "Sentimiento", "orders": "Pedidos",
        "reason": "Motivo del traspaso", "nothing": "nada todavía", "none": "ninguno",
        "article": "respuesta con el artículo «{title}»", "quoted": "«{title}»",
        "unknown": "(no lo ha dicho)",
    },
    "en": {
        "wants": "Wants", "latest": "Latest request", "tried": "Tried",
        "offered": "Offered, not chosen", "shown": "Shown as an answer or an option",
        "language": "Language", "sentiment": "Sentiment", "orders": "Orders",
        "reason": "Hand-off reason", "nothing": "nothing yet", "none": "none",
        "article": 'answered with the article "{title}"', "quoted": '"{title}"',
        "unknown": "(not stated)",
    },
}

_LANGUAGE_NAMES: Final[dict[Language, dict[Language, str]]] = {
    "es": {"es": "español", "en": "inglés"},
    "en": {"es": "Spanish", "en": "English"},
}

_SENTIMENTS: Final[dict[Language, dict[str, str]]] = {
    "es": {"negative": "negativo", "neutral": "neutral", "positive": "positivo"},
    "en": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
}

_REASONS: Final[dict[Language, dict[HandoffReason, str]]] = {
    "es": {
        HandoffReason.ASKED_FOR_HUMAN: "El cliente pidió hablar con una persona.",
        HandoffReason.FRUSTRATION: "El cliente se mostró molesto o frustrado.",
        HandoffReason.FAILED_ATTEMPTS: "Las respuestas del asistente no le resolvieron el "
        "problema ({failed} intentos fallidos).",
        HandoffReason.HUMAN_ONLY: "Este tema solo lo atiende una persona{topic}.",
        HandoffReason.LOW_CONFIDENCE: "El asistente no encontró en la base de conocimiento "
        "una respuesta de la que estuviera seguro.",
        HandoffReason.OUT_OF_SCOPE: "La consulta no está cubierta por la base de conocimiento.",
    },
    "en": {
        HandoffReason.ASKED_FOR_HUMAN: "The customer asked to talk to a person.",
        HandoffReason.FRUSTRATION: "The customer sounded upset or frustrated.",
        HandoffReason.FAILED_ATTEMPTS: "The assistant's answers did not solve the problem "
        "({failed} failed attempts).",
        HandoffReason.HUMAN_ONLY: "This topic is handled by people only{topic}.",
        HandoffReason.LOW_CONFIDENCE: "The assistant found no answer it was sure of in the "
        "knowledge base.",
        HandoffReason.OUT_OF_SCOPE: "The question is not covered by the knowledge base.",
    },
}

# What an action is, as a noun phrase ("the status check of order 4521").
_ACTIONS: Final[dict[Language, dict[ActionIntent, str]]] = {
    "es": {
        ActionIntent.ORDER_STATUS: "consulta del estado {of_orders}",
        ActionIntent.REFUND_STATUS: "consulta del reembolso {of_orders}",
        ActionIntent.CANCEL_ORDER: "cancelación {of_orders}",
    },
    "en": {
        ActionIntent.ORDER_STATUS: "status check of {orders}",
        ActionIntent.REFUND_STATUS: "refund check of {orders}",
        ActionIntent.CANCEL_ORDER: "cancellation of {orders}",
    },
}

_FAILURES: Final[dict[Language, dict[ActionFailure, str]]] = {
    "es": {
        ActionFailure.UNVERIFIED_SENDER: "No se pudo comprobar que el correo venga de verdad "
        "de la dirección del cliente, así que no se hizo la {action}.",
        ActionFailure.STORE_UNAVAILABLE: "No se pudo conectar con la tienda para hacer la "
        "{action}.",
        ActionFailure.NOT_OWNER: "El pedido no está a nombre de ningún correo o teléfono "
        "verificado del cliente, así que no se hizo la {action}.",
        ActionFailure.NOT_CANCELLED: "La tienda no aceptó la {action}{because}.",
        ActionFailure.REFUND_PROBLEM: "El reembolso {of_orders} {because}; tiene que "
        "revisarlo una persona.",
        ActionFailure.NOT_COMPLETED: "El asistente no pudo completar la {action}; su "
        "respuesta al cliente dice por qué.",
    },
    "en": {
        ActionFailure.UNVERIFIED_SENDER: "The email could not be proven to come from the "
        "customer's address, so the {action} was not done.",
        ActionFailure.STORE_UNAVAILABLE: "The store could not be reached for the {action}.",
        ActionFailure.NOT_OWNER: "The order is not under any of the customer's verified "
        "email addresses or phones, so the {action} was not done.",
        ActionFailure.NOT_CANCELLED: "The store refused the {action}{because}.",
        ActionFailure.REFUND_PROBLEM: "The refund for {orders} {because}; a person needs to "
        "look into it.",
        ActionFailure.NOT_COMPLETED: "The assistant could not complete the {action}; its "
        "reply to the customer says why.",
    },
}
# The same, when the action ran on several orders.
_FAILURES_PLURAL: Final[dict[Language, dict[ActionFailure, str]]] = {
    "es": {
        ActionFailure.NOT_OWNER: "Los pedidos no están a nombre de ningún correo o teléfono "
        "verificado del cliente, así que no se hizo la {action}.",
    },
    "en": {
        ActionFailure.NOT_OWNER: "The orders are not under any of the customer's verified "
        "email addresses or phones, so the {action} was not done.",
    },
}
# How ``because`` joins the sentence, and what it says when the store gave no reason.
_BECAUSE: Final[dict[Language, dict[ActionFailure, tuple[str, str]]]] = {
    "es": {
        ActionFailure.NOT_CANCELLED: (" porque {because}", ""),
        ActionFailure.REFUND_PROBLEM: ("{because}", "no se ha completado"),
    },
    "en": {
        ActionFailure.NOT_CANCELLED: (" because {because}", ""),
        ActionFailure.REFUND_PROBLEM: ("{because}", "did not go through"),
    },
}

MAX_QUOTE: Final = 280


def _listed(items: Sequence[str], language: Language) -> str:
    """"10023", "10023 y 10051", "10023, 10051 and 10077"."""
    if len(items) < 2:
        return "".join(items)
    last = " y " if language == "es" else " and "
    return ", ".join(items[:-1]) + last + items[-1]


def _orders_phrase(orders: Sequence[str], language: Language) -> dict[str, str]:
    """The orders as the action phrases and reasons name them."""
    listed = _listed(orders, language)
    if language == "es":
        if not orders:
            return {"of_orders": "de un pedido"}
        many = len(orders) > 1
        return {"of_orders": f"de los pedidos {listed}" if many else f"del pedido {listed}"}
    if not orders:
        return {"orders": "an order"}
    return {"orders": f"orders {listed}" if len(orders) > 1 else f"order {listed}"}


def _action_phrase(action: ActionIntent, orders: Sequence[str], language: Language) -> str:
    return _ACTIONS[language][action].format(**_orders_phrase(orders, language))


def _runs_phrases(runs: Iterable[ActionRun], language: Language) -> list[str]:
    """One phrase per action, naming every order it ran on, in the order first run."""
    by_action: dict[ActionIntent, list[str]] = {}
    for run in runs:
        orders = by_action.setdefault(run.action, [])
        if run.order and run.order not in orders:
            orders.append(run.order)
    return [_action_phrase(action, orders, language) for action, orders in by_action.items()]


def _failure_sentence(failed: ActionFailed, runs: Sequence[ActionRun], lang: Language) -> str:
    """Why ``runs`` (the runs ``failed`` covers, all of one action) did not settle it."""
    orders = [r.order for r in runs if r.order]
    action = runs[0].action if runs else ActionIntent.ORDER_STATUS
    template = _FAILURES[lang][failed.cause]
    if len(orders) > 1:
        template = _FAILURES_PLURAL[lang].get(failed.cause, template)
    joined, missing = _BECAUSE[lang].get(failed.cause, ("", ""))
    given = (failed.because or {}).get(lang)
    because = joined.format(because=given) if given else missing
    return template.format(
        action=_action_phrase(action, orders, lang), because=because,
        **_orders_phrase(orders, lang),
    )


@dataclass(frozen=True)
class HandoffSummary:
    """What the agent taking over needs; ``as_text`` is the note they read."""

    wants: str
    # Article titles the customer was given as answers.
    answered: tuple[str, ...]
    language: Language
    sentiment: str
    order_numbers: tuple[str, ...]
    reason: HandoffReason | None
    messages: tuple[str, ...]
    # The latest request, when it is not the one in ``wants``.
    latest: str | None = None
    # The order actions run before this turn.
    actions: tuple[ActionRun, ...] = ()
    # Titles offered in a clarification that the customer did not choose.
    offered: tuple[str, ...] = ()
    # Titles shown earlier whose role (answer or option) the conversation state does not keep.
    shown: tuple[str, ...] = ()
    failed_attempts: int = 0
    # The people-only article that led to a HUMAN_ONLY hand-off.
    topic: str | None = None
    # The action this turn ran, once per order, when the hand-off may come from it; and why
    # it handed off, once the cause is known (``with_failure``).
    ran: tuple[ActionRun, ...] = ()
    failures: tuple[ActionFailed, ...] = ()

    def with_failure(self, *failures: ActionFailure | ActionFailed) -> HandoffSummary:
        """The same note, for a hand-off caused by this turn's action failing for
        ``failures`` (a bare cause covers every order it ran on)."""
        found = tuple(f if isinstance(f, ActionFailed) else ActionFailed(f) for f in failures)
        return replace(self, failures=found)

    def _failed(self, run: ActionRun) -> bool:
        """Whether ``run`` (of this turn) is one the hand-off came from."""
        return not self.failures or any(f.covers(run) for f in self.failures)

    def reason_text(self, reader_language: Language | None = None) -> str | None:
        """Why a person takes over, as a sentence in ``reader_language``."""
        lang = reader_language or self.language
        if self.reason is not None:
            topic = ""
            if self.topic:
                topic = f": {_LABELS[lang]['quoted'].format(title=self.topic)}"
            return _REASONS[lang][self.reason].format(failed=self.failed_attempts, topic=topic)
        if not self.ran:
            return None
        failures = self.failures or (ActionFailed(ActionFailure.NOT_COMPLETED),)
        sentences: list[str] = []
        for failed in failures:
            runs = [r for r in self.ran if failed.covers(r)] or list(self.ran)
            sentence = _failure_sentence(failed, runs, lang)
            if sentence not in sentences:
                sentences.append(sentence)
        return " ".join(sentences)

    def as_text(self, reader_language: Language | None = None) -> str:
        """Plain-text summary for the agent, labelled in the agent's language (by default,
        the conversation's)."""
        lang = reader_language or self.language
        words = _LABELS[lang]
        tried = [words["article"].format(title=t) for t in self.answered]
        done = added(self.actions, *(r for r in self.ran if not self._failed(r)))
        tried += _runs_phrases(done, lang)
        lines = [f"{words['wants']}: {self.wants or words['unknown']}"]
        if self.latest:
            lines.append(f"{words['latest']}: {self.latest}")
        lines.append(f"{words['tried']}: {'; '.join(tried) or words['nothing']}")
        if self.offered:
            quoted = ", ".join(words["quoted"].format(title=t) for t in self.offered)
            lines.append(f"{words['offered']}: {quoted}")
        if self.shown:
            quoted = ", ".join(words["quoted"].format(title=t) for t in self.shown)
            lines.append(f"{words['shown']}: {quoted}")
        lines += [
            f"{words['language']}: {_LANGUAGE_NAMES[lang][self.language]}",
            f"{words['sentiment']}: {_SENTIMENTS[lang].get(self.sentiment, self.sentiment)}",
            f"{words['orders']}: {', '.join(self.order_numbers) or words['none']}",
        ]
        reason = self.reason_text(lang)
        if reason is not None:
            lines.append(f"{words['reason']}: {reason}")
        return "\n".join(lines)


def note_language(conversation_language: Language, reader_languages: Iterable[str]) -> Language:
    """The language to label the note in: the conversation's when one of its readers reads
    it (or when no reader's language is known), else the one most of the readers read."""
    known: Counter[Language] = Counter()
    for code in reader_languages:
        lang = code.strip().lower()[:2]
        if lang in ("es", "en"):
            known["es" if lang == "es" else "en"] += 1
    if not known or conversation_language in known:
        return conversation_language
    return known.most_common(1)[0][0]


# Short messages about the conversation rather than the problem. None of these is read in
# a message longer than SHORT words (without order numbers): a long one states something.
SHORT: Final = 8
_META = re.compile(
    "|".join((
        # none of the options
        r"^(no|nope|none|neither|nothing|ninguno|ninguna|ninguna de (esas|estas|las anteriores)|"
        r"none of (these|those|them|the above)|neither of (these|those|them)|otra cosa|"
        r"something else|no es (eso|ninguna|ninguno)|not (that|those|these|quite))"
        r"( (one|ones|gracias|thanks|tampoco|either|please|por favor))*$",
        # the answer did not help
        r"\btampoco (me )?(sirv|ayud|funcion|resuelv|vale|es)\w*",
        r"\b(did ?n t|does ?n t|did not|does not|not) (help|work)\w*( \w+)? either\b",
        r"^(no|not) (es|era|is|was) (eso|esto|that|it|lo que)\b",
        # the order number: not knowing it, or where to find it
        r"\b(no (lo )?(se|tengo|encuentro|recuerdo)|(don t|do not|can t|cannot|didn t) "
        r"(know|find|remember|have|get))( \w+){0,3} (numero|number)\b",
        r"^(no lo (se|tengo|encuentro|recuerdo)|i don t (know|have) (it|that))\b",
        r"\b(donde|where|cual|what|como|how)( \w+){0,5} (numero|number)\b",
    ))
)
_FILLER = frozenset({
    "ok", "okay", "vale", "si", "yes", "no", "gracias", "thanks", "thank", "you", "bueno",
    "pues", "entonces", "claro", "bien", "hola", "hi", "hello", "hey", "please", "por",
    "favor", "mi", "my", "es", "is", "the", "el", "pedido", "order", "numero", "number",
    "de", "of", "aqui", "here", "tienes", "it", "s", "esta", "este", "and", "y", "a",
    "buenas", "buenos", "dias", "tardes", "noches", "good", "morning", "afternoon", "evening",
    "que", "tal", "there", "otra", "vez", "again",
})


def is_request(text: str) -> bool:
    """Whether a customer message states what they need: not a greeting, thanks, a yes or
    a no, "that didn't help", a bare number or choice, talk about the order number, or a
    bare request for a person."""
    own = text
    for order in intents.order_numbers(text):
        own = re.sub(re.escape(order), " ", own, flags=re.IGNORECASE)
    tokens = [t for t in normalized(own).split() if not t.isdigit()]
    if not tokens or all(t in _FILLER for t in tokens):
        return False
    if len(tokens) > SHORT:
        return True
    norm = " ".join(tokens)
    return not (
        _META.search(norm)
        or intents.is_greeting(text)
        or intents.is_thanks(text)
        or (len(tokens) <= 4 and intents.is_affirmation(text))
        or (len(tokens) <= 3 and intents.choice_index(text, 3) is not None)
        or intents.is_unhelpful_feedback(text)
        or intents.asks_for_human(text)
        or intents.asks_if_bot(text)
    )


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 3] + "..."


def _wants(messages: tuple[str, ...]) -> tuple[str, str | None]:
    """The first message that states the request, and the latest one when different.

    With none, the customer's last message, as it is the only clue there is.
    """
    requests = [m for m in messages if m.strip() and is_request(m)]
    if not requests:
        said = [m for m in messages if m.strip()]
        return (_quote(said[-1]) if said else ""), None
    first, last = _quote(requests[0]), _quote(requests[-1])
    return first, (last if normalized(last) != normalized(first) else None)


def _single_order(state: AssistantState) -> str | None:
    return state.order_numbers[0] if len(state.order_numbers) == 1 else None


def _earlier_runs(
    state: AssistantState, before: AssistantState, ran: tuple[ActionRun, ...]
) -> tuple[ActionRun, ...]:
    """The actions run before this turn (``ran``: this turn's)."""
    if before is not state:
        if before.actions_run:
            return before.actions_run
    elif state.actions_run:
        runs = state.actions_run
        if ran and runs[-len(ran):] == ran:
            runs = runs[: -len(ran)]
        return runs
    # A state stored before ``actions_run`` existed only knows the last action.
    if before.last_action is not None and not (before is state and ran):
        return (ActionRun(before.last_action, _single_order(state)),)
    return ()


def build_handoff_summary(
    state: AssistantState,
    catalog: ArticleCatalog,
    *,
    sentiment: str = "neutral",
    reason: HandoffReason | None = None,
    before: AssistantState | None = None,
    failed_action: ActionRun | None = None,
    ran: Sequence[ActionRun] = (),
) -> HandoffSummary:
    """Summarise the conversation so far, so the customer never repeats themselves.

    ``state`` is the state after the turn that hands off and ``before`` the one before it
    (it tells which options were pending and which action or article the last reply came
    from). ``ran`` is the action this turn ran, once per order, when the hand-off may come
    from it (``failed_action``: the same for one order).
    """
    before = before if before is not None else state
    this_turn = tuple(ran) or ((failed_action,) if failed_action is not None else ())
    # The conversation's record of answers and options, and for a state stored before that
    # record existed, what its last turns tell.
    answered_ids = set(state.answered) | set(before.answered)
    answered_ids |= {i for i in (before.last_article_id, state.last_article_id) if i}
    offered_ids = set(state.offered) | set(before.offered)
    offered_ids |= set(before.pending_options) | set(state.pending_options)
    answered: list[str] = []
    offered: list[str] = []
    shown: list[str] = []
    topic: str | None = None
    for article_id in added(state.tried, *state.answered, *state.offered):
        article = catalog.get(article_id)
        if article is None:
            continue
        title = article.title.replace("_", " ")
        if article.human_only or article.audience != "public":
            # Never given to the customer; in a people-only hand-off, the last is the topic.
            topic = title
            offered.append(title)
        elif article_id in answered_ids:
            answered.append(title)
        elif article_id in offered_ids:
            offered.append(title)
        else:
            shown.append(title)
    if reason is HandoffReason.HUMAN_ONLY and topic in offered:
        offered.remove(topic)
    wants, latest = _wants(state.customer_messages)
    return HandoffSummary(
        wants=wants,
        answered=tuple(answered),
        language=state.language or "en",
        sentiment=sentiment,
        order_numbers=state.order_numbers,
        reason=reason,
        messages=state.customer_messages,
        latest=latest,
        actions=_earlier_runs(state, before, this_turn),
        offered=tuple(offered),
        shown=tuple(shown),
        failed_attempts=max(state.failed_attempts, before.failed_attempts),
        topic=topic if reason is HandoffReason.HUMAN_ONLY else None,
        ran=this_turn if reason is None else (),
    )
