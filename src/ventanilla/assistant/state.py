"""What the assistant remembers about a conversation between turns (JSON-friendly)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any, Final, TypeVar

from ventanilla.assistant.knowledge import Language


class DecisionKind(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    ACT = "act"
    HANDOFF = "handoff"
    RESOLVED = "resolved"


class HandoffReason(StrEnum):
    ASKED_FOR_HUMAN = "asked_for_human"
    FRUSTRATION = "frustration"
    FAILED_ATTEMPTS = "failed_attempts"
    HUMAN_ONLY = "human_only"
    LOW_CONFIDENCE = "low_confidence"
    OUT_OF_SCOPE = "out_of_scope"


class ActionIntent(StrEnum):
    ORDER_STATUS = "order_status"
    REFUND_STATUS = "refund_status"
    CANCEL_ORDER = "cancel_order"


T = TypeVar("T")

# Actions run that a conversation remembers (the latest ones).
MAX_ACTIONS_RUN: Final = 20


@dataclass(frozen=True)
class ActionRun:
    """An order action the assistant ran (or tried to run), on ``order`` when known."""

    action: ActionIntent
    order: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"action": self.action.value, "order": self.order}

    @classmethod
    def from_dict(cls, data: Any) -> ActionRun | None:
        """None for anything that is not a stored run of a known action."""
        if not isinstance(data, dict):
            return None
        try:
            action = ActionIntent(str(data.get("action")))
        except ValueError:
            return None
        order = data.get("order")
        return cls(action, str(order) if order else None)


@dataclass(frozen=True)
class AssistantState:
    """Per-conversation memory; store ``to_dict()`` and restore with ``from_dict``."""

    failed_attempts: int = 0
    pending_options: tuple[str, ...] = ()
    pending_action: ActionIntent | None = None
    language: Language | None = None
    last_article_id: str | None = None
    last_action: ActionIntent | None = None  # the last reply came from running this action
    # Every article the assistant picked, in order: given as an answer, offered as an option,
    # or (people-only) the topic it handed off for. States stored before ``answered`` and
    # ``offered`` existed only have this, so the role of those articles is not known.
    tried: tuple[str, ...] = ()
    # Articles given to the customer as an answer.
    answered: tuple[str, ...] = ()
    # Articles offered as options in a clarification (chosen or not).
    offered: tuple[str, ...] = ()
    # The order actions run, each on its order (first time each, the latest MAX_ACTIONS_RUN).
    actions_run: tuple[ActionRun, ...] = ()
    customer_messages: tuple[str, ...] = ()
    order_numbers: tuple[str, ...] = ()
    handed_off: bool = False
    # An action that changes something (a cancellation) waits for a yes on this order.
    confirming: ActionIntent | None = None
    confirm_order: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in (
            "pending_options", "tried", "answered", "offered", "customer_messages",
            "order_numbers",
        ):
            data[key] = list(data[key])
        data["actions_run"] = [run.to_dict() for run in self.actions_run]
        data["pending_action"] = self.pending_action.value if self.pending_action else None
        data["last_action"] = self.last_action.value if self.last_action else None
        data["confirming"] = self.confirming.value if self.confirming else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AssistantState:
        if not data:
            return cls()
        action = data.get("pending_action")
        last_action = data.get("last_action")
        confirming = data.get("confirming")
        language = data.get("language")
        return cls(
            failed_attempts=int(data.get("failed_attempts", 0)),
            pending_options=tuple(data.get("pending_options", ())),
            pending_action=ActionIntent(action) if action else None,
            language=language if language in ("es", "en") else None,
            last_article_id=data.get("last_article_id"),
            last_action=ActionIntent(last_action) if last_action else None,
            tried=tuple(data.get("tried", ())),
            answered=tuple(data.get("answered", ())),
            offered=tuple(data.get("offered", ())),
            actions_run=tuple(
                run for run in map(ActionRun.from_dict, data.get("actions_run") or ()) if run
            )[-MAX_ACTIONS_RUN:],
            customer_messages=tuple(data.get("customer_messages", ()))[-10:],
            order_numbers=tuple(data.get("order_numbers", ())),
            handed_off=bool(data.get("handed_off", False)),
            confirming=ActionIntent(confirming) if confirming else None,
            confirm_order=data.get("confirm_order"),
        )

    def after_message(
        self, text: str, language: Language, orders: tuple[str, ...]
    ) -> AssistantState:
        """The state once a customer message has been seen (before deciding)."""
        known = self.order_numbers + tuple(o for o in orders if o not in self.order_numbers)
        return replace(
            self, language=language, customer_messages=(*self.customer_messages, text)[-10:],
            order_numbers=known,
        )


def added(kept: tuple[T, ...], *new: T) -> tuple[T, ...]:
    """``kept`` extended with the items of ``new`` it does not hold yet (order kept)."""
    more: list[T] = []
    for item in new:
        if item not in kept and item not in more:
            more.append(item)
    return kept + tuple(more)


def mark_tried(state: AssistantState, *article_ids: str) -> tuple[str, ...]:
    """``state.tried`` extended with ``article_ids`` (no duplicates, order kept)."""
    return added(state.tried, *article_ids)


def mark_run(
    state: AssistantState, action: ActionIntent, orders: tuple[str, ...]
) -> tuple[ActionRun, ...]:
    """``state.actions_run`` with ``action`` run on each of ``orders`` (the latest kept)."""
    runs = [ActionRun(action, order) for order in orders] or [ActionRun(action)]
    return added(state.actions_run, *runs)[-MAX_ACTIONS_RUN:]


@dataclass(frozen=True)
class Option:
    """A quick reply offered in a clarification."""

    article_id: str
    title: str


@dataclass(frozen=True)
class Decision:
    """What the assistant does on a turn, and the state to keep for the next one."""

    kind: DecisionKind
    language: Language
    reply: str
    state: AssistantState
    article_id: str | None = None
    link: str | None = None
    confidence: float = 0.0
    options: tuple[Option, ...] = ()
    # What a customer can tap instead of typing: the options' titles and "none of these",
    # or yes / no for a single option.
    quick_replies: tuple[str, ...] = ()
    action: ActionIntent | None = None
    order_numbers: tuple[str, ...] = ()
    reason: HandoffReason | None = None
    untranslated: bool = False
    candidates: tuple[str, ...] = field(default=())
