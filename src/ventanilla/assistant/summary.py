"""The note an agent reads when the assistant hands a conversation over."""

from __future__ import annotations

from dataclasses import dataclass

from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import AssistantState, HandoffReason

_LABELS: dict[Language, dict[str, str]] = {
    "es": {
        "wants": "Qué quiere", "tried": "Qué se intentó", "language": "Idioma",
        "sentiment": "Sentimiento", "orders": "Pedidos", "reason": "Motivo del traspaso",
        "nothing": "nada todavía", "none": "ninguno",
    },
    "en": {
        "wants": "Wants", "tried": "Tried", "language": "Language", "sentiment": "Sentiment",
        "orders": "Orders", "reason": "Hand-off reason", "nothing": "nothing yet",
        "none": "none",
    },
}


@dataclass(frozen=True)
class HandoffSummary:
    wants: str
    tried: tuple[str, ...]
    language: Language
    sentiment: str
    order_numbers: tuple[str, ...]
    reason: HandoffReason | None
    messages: tuple[str, ...]

    def as_text(self, reader_language: Language = "en") -> str:
        """Plain-text summary for the agent, labelled in the agent's language."""
        words = _LABELS[reader_language]
        lines = [
            f"{words['wants']}: {self.wants}",
            f"{words['tried']}: {', '.join(self.tried) or words['nothing']}",
            f"{words['language']}: {self.language}",
            f"{words['sentiment']}: {self.sentiment}",
            f"{words['orders']}: {', '.join(self.order_numbers) or words['none']}",
        ]
        if self.reason is not None:
            lines.append(f"{words['reason']}: {self.reason.value}")
        return "\n".join(lines)


def _wants(messages: tuple[str, ...]) -> str:
    """The customer's request: the longest recent message, which usually states the need."""
    meaningful = [m.strip() for m in messages if len(m.split()) >= 3] or [
        m.strip() for m in messages
    ]
    if not meaningful:
        return ""
    text = max(meaningful[-4:], key=len)
    return text if len(text) <= 280 else text[:277] + "..."


def build_handoff_summary(
    state: AssistantState,
    catalog: ArticleCatalog,
    *,
    sentiment: str = "neutral",
    reason: HandoffReason | None = None,
) -> HandoffSummary:
    """Summarise the conversation so far, so the customer never repeats themselves."""
    tried = tuple(
        article.title.replace("_", " ")
        for article in (catalog.get(i) for i in state.tried)
        if article is not None
    )
    return HandoffSummary(
        wants=_wants(state.customer_messages),
        tried=tried,
        language=state.language or "en",
        sentiment=sentiment,
        order_numbers=state.order_numbers,
        reason=reason,
        messages=state.customer_messages,
    )
