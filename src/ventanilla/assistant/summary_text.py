"""The hand-off note's wording, in Spanish and English: its labels, why a person takes over,
the order actions run and, when one handed off, why (with the causes it names).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.state import ActionIntent, ActionRun, HandoffReason

__all__ = [
    "LABELS",
    "LANGUAGE_NAMES",
    "REASONS",
    "SENTIMENTS",
    "ActionFailed",
    "ActionFailure",
    "failure_sentence",
    "runs_phrases",
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


LABELS: Final[dict[Language, dict[str, str]]] = {
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

LANGUAGE_NAMES: Final[dict[Language, dict[Language, str]]] = {
    "es": {"es": "español", "en": "inglés"},
    "en": {"es": "Spanish", "en": "English"},
}

SENTIMENTS: Final[dict[Language, dict[str, str]]] = {
    "es": {"negative": "negativo", "neutral": "neutral", "positive": "positivo"},
    "en": {"negative": "negative", "neutral": "neutral", "positive": "positive"},
}

REASONS: Final[dict[Language, dict[HandoffReason, str]]] = {
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


def runs_phrases(runs: Iterable[ActionRun], language: Language) -> list[str]:
    """One phrase per action, naming every order it ran on, in the order first run."""
    by_action: dict[ActionIntent, list[str]] = {}
    for run in runs:
        orders = by_action.setdefault(run.action, [])
        if run.order and run.order not in orders:
            orders.append(run.order)
    return [_action_phrase(action, orders, language) for action, orders in by_action.items()]


def failure_sentence(failed: ActionFailed, runs: Sequence[ActionRun], lang: Language) -> str:
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
