"""The assistant engine: one call per customer message.

Detects the language, embeds the message once, scores sentiment, retrieves candidate
articles, recognises actions and asks the pure policy what to do.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from ventanilla.assistant import courtesy, intents, order_refs
from ventanilla.assistant.actions import ActionDetector
from ventanilla.assistant.embeddings import Encoder, default_encoder
from ventanilla.assistant.knowledge import Article, ArticleCatalog, Language
from ventanilla.assistant.language import detect_language, warm_up
from ventanilla.assistant.policy import Policy, PolicyConfig, Signals
from ventanilla.assistant.retrieval import Candidate, KnowledgeIndex, Vector
from ventanilla.assistant.sentiment import SentimentModel, SentimentResult, default_model
from ventanilla.assistant.state import ActionIntent, AssistantState, Decision
from ventanilla.assistant.summary import HandoffSummary, build_handoff_summary
from ventanilla.assistant.text import for_matching


@dataclass(frozen=True)
class AssistantConfig:
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    actions: frozenset[ActionIntent] = frozenset()
    default_language: Language = "es"
    candidates: int = 5


@dataclass(frozen=True)
class Turn:
    """A decision together with the sentiment of the message that caused it."""

    decision: Decision
    sentiment: SentimentResult


class Assistant:
    """Build once per knowledge-base version; ``turn`` is safe to call from many threads."""

    def __init__(
        self,
        articles: Sequence[Article],
        config: AssistantConfig | None = None,
        *,
        encoder: Encoder | None = None,
        sentiment: SentimentModel | None = None,
    ) -> None:
        self.config = config or AssistantConfig()
        self.encoder = encoder or default_encoder()
        self.index = KnowledgeIndex(articles, self.encoder)
        self.catalog = ArticleCatalog(self.index.articles)
        self.sentiment = sentiment or default_model()
        self._actions = ActionDetector(self.encoder, self.config.actions)
        self._policy = Policy(self.config.policy, self.catalog)
        warm_up()
        self.sentiment.warm_up()

    def turn(
        self, state: AssistantState | None, text: str, *, language: Language | None = None
    ) -> Turn:
        """Decide what to do with one customer message; keep ``decision.state`` for the next.

        ``language`` skips detection when the channel already knows the customer's language.
        """
        state = state or AssistantState()
        orders = order_refs.order_numbers(text)
        text = clipped(text)
        if language is None:
            default = state.language or self.config.default_language
            language = detect_language(text, default=default)
        request, only_courtesy = self._asked(text, language)
        vector, sentences, complete = self._embedded(request)
        # Not ``vector``: that one is of the request stripped for matching (no "!", "?" or
        # numbers), and the sentiment model reads the whole message as it was trained to.
        mood = self.sentiment.analyze(text, language)
        candidates = tuple(self.index.search(
            vector, request, language, k=self.config.candidates, public_only=False,
            sentences=sentences if complete else (),
        ))
        best = candidates[0].semantic if candidates else 0.0
        # A cancellation is only run when the message asks for one in so many words, and a
        # question about cancelling an order is not a request for its status either.
        excluded = () if order_refs.cancellation_requested(text) else (ActionIntent.CANCEL_ORDER,)
        with_order = bool(orders) and not order_refs.asks_about_cancelling(text)
        action = self._actions.detect(vector, with_order, best, excluded)
        if action is None and self.config.actions:
            # "Buenas tardes. Os escribo por lo del otro día. ¿Dónde está mi pedido?": the
            # request may be one sentence of several.
            found = (self._actions.detect(v, with_order, best, excluded) for v, _ in sentences)
            action = next((a for a in found if a is not None), None)
        signals = Signals(
            text=text, request=request, courtesy_only=only_courtesy,
            language=language, candidates=candidates,
            asks_for_human=intents.asks_for_human(text), asks_if_bot=intents.asks_if_bot(text),
            frustrated=mood.frustrated, action=action, orders=orders,
            bare_order=(
                ActionIntent.ORDER_STATUS in self.config.actions
                and bool(orders) and order_refs.only_order_numbers(text)
            ),
        )
        return Turn(self._policy.decide(state, signals), mood)

    def suggest(self, text: str, k: int = 3, *, include_internal: bool = True) -> list[Candidate]:
        """Articles an agent might use for ``text`` (internal ones included)."""
        text = clipped(text)
        language = detect_language(text, default=self.config.default_language)
        request, _ = self._asked(text, language)
        vector, sentences, complete = self._embedded(request)
        return self.index.search(
            vector, request, language, k=k, public_only=not include_internal,
            sentences=sentences if complete else (),
        )

    def _asked(self, text: str, language: Language) -> tuple[str, bool]:
        """What the message asks, matched against articles: without its greetings and
        sign-offs, its typing slips read as the knowledge base's words; and whether the
        message is nothing but courtesy."""
        reading = courtesy.read(text)
        return self.index.corrected(reading.request, language), reading.only_courtesy

    def _embedded(self, request: str) -> tuple[Vector, list[tuple[Vector, str]], bool]:
        """The request's vector and, when it has several sentences, those of its first
        ``MAX_SENTENCES``, encoded in one batch; and whether those are all of them."""
        sentences = [p.strip() for p in _SENTENCE_RE.split(request) if len(p.split()) >= 2]
        read = sentences[:MAX_SENTENCES] if len(sentences) > 1 else []
        vectors = self.encoder.encode([for_matching(t) for t in (request, *read)])
        return vectors[0], list(zip(vectors[1:], read, strict=True)), len(read) == len(sentences)

    def summary(self, turn: Turn) -> HandoffSummary:
        """The hand-off note for the conversation as of ``turn``."""
        return build_handoff_summary(
            turn.decision.state, self.catalog, sentiment=turn.sentiment.label,
            reason=turn.decision.reason,
        )


# What a turn reads of a long message: its start and its end, where customers put what they
# want ("Buenas tardes. … ¿Aceptáis PayPal?"). The encoders' cost grows with the text (about
# 140 ms for 2,000 characters, 11 s for 100,000) and a sentence vector of a whole long email
# says little anyway. Order numbers are looked for in the whole message.
READ_HEAD, READ_TAIL = 1000, 500
_SENTENCE_RE = re.compile(r"[.!?¿¡\n…]+")
# Sentences read one by one: the first four for an action; all, if no more than four,
# for the articles (see KnowledgeIndex.search).
MAX_SENTENCES = 4


def clipped(text: str) -> str:
    """``text``, or its first and last characters when it is longer than a turn reads."""
    if len(text) <= READ_HEAD + READ_TAIL:
        return text
    return f"{text[:READ_HEAD]} … {text[-READ_TAIL:]}"


def enabled_actions(names: Collection[str]) -> frozenset[ActionIntent]:
    """Parse action names from configuration (unknown names raise ``ValueError``)."""
    return frozenset(ActionIntent(n) for n in names)
