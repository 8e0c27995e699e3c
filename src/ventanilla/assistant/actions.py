"""Recognising requests the store's backend can serve: order status, refund status and
order cancellation. Each intent is described by a few example phrasings in both languages."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from ventanilla.assistant.embeddings import Encoder, Matrix
from ventanilla.assistant.retrieval import Vector
from ventanilla.assistant.state import ActionIntent

EXAMPLES: dict[ActionIntent, tuple[str, ...]] = {
    ActionIntent.ORDER_STATUS: (
        "where is my order", "track my order", "what is the status of my order",
        "has my order shipped yet", "when will my package arrive", "my order has not arrived",
        "dónde está mi pedido", "estado de mi pedido", "seguimiento de mi pedido",
        "cuándo llega mi paquete", "mi pedido no ha llegado", "ya enviaron mi pedido",
    ),
    ActionIntent.REFUND_STATUS: (
        "where is my refund", "status of my refund", "has my refund been processed",
        "when will I get my money back", "track my refund", "I have not received my refund",
        "dónde está mi reembolso", "estado de mi reembolso", "cuándo me devuelven el dinero",
        "no he recibido mi reembolso", "seguimiento del reembolso", "ya procesaron mi devolución",
    ),
    ActionIntent.CANCEL_ORDER: (
        "cancel my order", "I want to cancel my order", "please cancel order",
        "I no longer want my order, cancel it", "how do I cancel my purchase",
        "cancelar mi pedido", "quiero cancelar mi pedido", "anula mi pedido por favor",
        "ya no quiero el pedido, cancélalo", "cómo cancelo mi compra",
    ),
}
THRESHOLD = 0.72
THRESHOLD_WITH_ORDER = 0.55


class ActionDetector:
    """Nearest-example matcher over the enabled action intents."""

    def __init__(self, encoder: Encoder, enabled: Collection[ActionIntent]) -> None:
        self._intents: list[ActionIntent] = []
        texts: list[str] = []
        for intent in ActionIntent:
            if intent in enabled:
                texts.extend(EXAMPLES[intent])
                self._intents.extend([intent] * len(EXAMPLES[intent]))
        self._vectors: Matrix = encoder.encode(texts) if texts else np.zeros((0, 512), np.float32)

    def detect(
        self, vector: Vector, has_order_number: bool, best_article_score: float,
        excluded: Collection[ActionIntent] = (),
    ) -> ActionIntent | None:
        """The action the message asks for, if it matches better than any article.

        ``excluded`` actions are out of the question whatever the match ("I don't want to
        cancel, just tell me where it is" may still be an order-status request)."""
        if not self._intents:
            return None
        sims = self._vectors @ vector
        if excluded:
            allowed = np.array([i not in excluded for i in self._intents])
            if not allowed.any():
                return None
            sims = np.where(allowed, sims, -1.0)
        best = int(np.argmax(sims))
        score = float(sims[best])
        threshold = THRESHOLD_WITH_ORDER if has_order_number else THRESHOLD
        if score >= threshold and score >= best_article_score - 0.05:
            return self._intents[best]
        return None
