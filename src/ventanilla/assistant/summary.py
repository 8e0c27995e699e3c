"""The note an agent reads when the assistant hands a conversation over.

It says what the customer wants (in their words), what the assistant already did (articles
given, order actions run), what it only offered, why a person takes over, the customer's
language, sentiment and order numbers; labelled in the language of the agents who read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from ventanilla.assistant import intents
from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import ActionIntent, AssistantState, HandoffReason
from ventanilla.assistant.text import normalized


class ActionFailure(StrEnum):
    """Why an order action handed the conversation to a person."""

    UNVERIFIED_SENDER = "unverified_sender"  # an email whose sender could not be proven
    STORE_UNAVAILABLE = "unavailable"  # the store could not be reached, or is not connected
    NOT_OWNER = "not_owner"  # the order is not under the customer's verified identities
    NOT_CANCELLED = "not_cancelled"  # the store refused the cancellation
    NOT_COMPLETED = "action_not_completed"  # the cause is not known where the note is written


@dataclass(frozen=True)
class ActionRun:
    """An order action the assistant ran (or tried to run), on ``order`` when known."""

    action: ActionIntent
    order: str | None = None


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
        ActionIntent.ORDER_STATUS: "consulta del estado {of_order}",
        ActionIntent.REFUND_STATUS: "consulta del reembolso {of_order}",
        ActionIntent.CANCEL_ORDER: "cancelación {of_order}",
    },
    "en": {
        ActionIntent.ORDER_STATUS: "status check of {order}",
        ActionIntent.REFUND_STATUS: "refund check of {order}",
        ActionIntent.CANCEL_ORDER: "cancellation of {order}",
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
        ActionFailure.NOT_CANCELLED: "La tienda no aceptó la {action}.",
        ActionFailure.NOT_COMPLETED: "El asistente no pudo completar la {action}; su "
        "respuesta al cliente dice por qué.",
    },
    "en": {
        ActionFailure.UNVERIFIED_SENDER: "The email could not be proven to come from the "
        "customer's address, so the {action} was not done.",
        ActionFailure.STORE_UNAVAILABLE: "The store could not be reached for the {action}.",
        ActionFailure.NOT_OWNER: "The order is not under any of the customer's verified "
        "email addresses or phones, so the {action} was not done.",
        ActionFailure.NOT_CANCELLED: "The store refused the {action}.",
        ActionFailure.NOT_COMPLETED: "The assistant could not complete the {action}; its "
        "reply to the customer says why.",
    },
}

MAX_QUOTE: Final = 280


def _action_phrase(run: ActionRun, language: Language) -> str:
    if language == "es":
        of_order = f"del pedido {run.order}" if run.order else "de un pedido"
        return _ACTIONS["es"][run.action].format(of_order=of_order)
    order = f"order {run.order}" if run.order else "an order"
    return _ACTIONS["en"][run.action].format(order=order)


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
    actions: tuple[ActionRun, ...] = ()
    # Titles offered in a clarification that the customer did not choose.
    offered: tuple[str, ...] = ()
    # Titles shown earlier whose role (answer or option) the conversation state does not keep.
    shown: tuple[str, ...] = ()
    failed_attempts: int = 0
    # The people-only article that led to a HUMAN_ONLY hand-off.
    topic: str | None = None
    # The action this turn could not complete, and why (when the cause is known).
    failed_action: ActionRun | None = None
    failure: ActionFailure | None = None

    def with_failure(self, failure: ActionFailure) -> HandoffSummary:
        """The same note, for a hand-off caused by ``failed_action`` failing for ``failure``."""
        return replace(self, failure=failure)

    def reason_text(self, reader_language: Language | None = None) -> str | None:
        """Why a person takes over, as a sentence in ``reader_language``."""
        lang = reader_language or self.language
        if self.reason is not None:
            topic = ""
            if self.topic:
                topic = f": {_LABELS[lang]['quoted'].format(title=self.topic)}"
            return _REASONS[lang][self.reason].format(failed=self.failed_attempts, topic=topic)
        if self.failed_action is not None:
            failure = self.failure or ActionFailure.NOT_COMPLETED
            action = _action_phrase(self.failed_action, lang)
            return _FAILURES[lang][failure].format(action=action)
        return None

    def as_text(self, reader_language: Language | None = None) -> str:
        """Plain-text summary for the agent, labelled in the agent's language (by default,
        the conversation's)."""
        lang = reader_language or self.language
        words = _LABELS[lang]
        tried = [words["article"].format(title=t) for t in self.answered]
        tried += [_action_phrase(run, lang) for run in self.actions]
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


def build_handoff_summary(
    state: AssistantState,
    catalog: ArticleCatalog,
    *,
    sentiment: str = "neutral",
    reason: HandoffReason | None = None,
    before: AssistantState | None = None,
    failed_action: ActionRun | None = None,
) -> HandoffSummary:
    """Summarise the conversation so far, so the customer never repeats themselves.

    ``state`` is the state after the turn that hands off and ``before`` the one before it
    (it tells which options were pending and which action or article the last reply came
    from). ``failed_action`` is the action this turn ran when the hand-off comes from it.
    """
    before = before if before is not None else state
    answered_ids = {i for i in (before.last_article_id, state.last_article_id) if i}
    offered_ids = set(before.pending_options) | set(state.pending_options)
    answered: list[str] = []
    offered: list[str] = []
    shown: list[str] = []
    topic: str | None = None
    for article_id in state.tried:
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
    actions: list[ActionRun] = []
    last = before.last_action
    # Without ``before``, ``state.last_action`` may be the action that failed on this turn.
    if last is not None and not (before is state and failed_action is not None):
        actions.append(ActionRun(last, _single_order(state)))
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
        actions=tuple(actions),
        offered=tuple(offered),
        shown=tuple(shown),
        failed_attempts=max(state.failed_attempts, before.failed_attempts),
        topic=topic if reason is HandoffReason.HUMAN_ONLY else None,
        failed_action=failed_action if reason is None else None,
    )
