"""The note an agent reads when the assistant hands a conversation over.

It says what the customer wants (in their words), what the assistant already did (articles
given, order actions run), what it only offered, why a person takes over, the customer's
language, sentiment and order numbers; labelled in the language of the agents who read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from ventanilla.assistant import intents, order_refs
from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import ActionRun, AssistantState, HandoffReason, added
from ventanilla.assistant.summary_text import (
    LABELS,
    LANGUAGE_NAMES,
    REASONS,
    SENTIMENTS,
    ActionFailed,
    ActionFailure,
    failure_sentence,
    runs_phrases,
)
from ventanilla.assistant.text import normalized

__all__ = [
    "ActionRun",
    "HandoffSummary",
    "build_handoff_summary",
    "is_request",
    "note_language",
]


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
                topic = f": {LABELS[lang]['quoted'].format(title=self.topic)}"
            return REASONS[lang][self.reason].format(failed=self.failed_attempts, topic=topic)
        if not self.ran:
            return None
        failures = self.failures or (ActionFailed(ActionFailure.NOT_COMPLETED),)
        sentences: list[str] = []
        for failed in failures:
            runs = [r for r in self.ran if failed.covers(r)] or list(self.ran)
            sentence = failure_sentence(failed, runs, lang)
            if sentence not in sentences:
                sentences.append(sentence)
        return " ".join(sentences)

    def as_text(self, reader_language: Language | None = None) -> str:
        """Plain-text summary for the agent, labelled in the agent's language (by default,
        the conversation's)."""
        lang = reader_language or self.language
        words = LABELS[lang]
        tried = [words["article"].format(title=t) for t in self.answered]
        done = added(self.actions, *(r for r in self.ran if not self._failed(r)))
        tried += runs_phrases(done, lang)
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
            f"{words['language']}: {LANGUAGE_NAMES[lang][self.language]}",
            f"{words['sentiment']}: {SENTIMENTS[lang].get(self.sentiment, self.sentiment)}",
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
    for order in order_refs.order_numbers(text):
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


MAX_QUOTE: Final = 280


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
