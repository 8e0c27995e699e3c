"""The policy's choice between answering, offering options and asking to re-phrase."""

from __future__ import annotations

import pytest

from tests.unit.assistant.conftest import HELP_CENTER
from ventanilla.assistant import AssistantState
from ventanilla.assistant.knowledge import Article, ArticleCatalog
from ventanilla.assistant.policy import Policy, PolicyConfig, Signals
from ventanilla.assistant.retrieval import Candidate
from ventanilla.assistant.state import Decision, DecisionKind

RETURNS, SHIPPING = HELP_CENTER[0], HELP_CENTER[1]
INTERNAL = next(a for a in HELP_CENTER if a.audience == "internal")


def _signals(text: str, *scored: tuple[Article, float], language: str = "es") -> Signals:
    return Signals(
        text=text, language=language,  # type: ignore[arg-type]
        candidates=tuple(Candidate(a, s, s, 0.0) for a, s in scored),
    )


def _policy() -> Policy:
    return Policy(PolicyConfig(), ArticleCatalog(HELP_CENTER))


def _offer_returns() -> Decision:
    """A Spanish question against English articles: the right one stands out, but its
    cosine is too low to answer outright."""
    return _policy().decide(
        AssistantState(), _signals("quiero devolver esto", (RETURNS, 0.55), (SHIPPING, 0.35))
    )


def test_a_lone_likely_article_below_answer_confidence_is_offered_not_rephrased() -> None:
    decision = _offer_returns()
    assert decision.kind is DecisionKind.CLARIFY
    assert [o.article_id for o in decision.options] == [RETURNS.id]
    assert decision.reply.startswith("¿Es esto lo que necesitas?")
    assert RETURNS.title in decision.reply
    assert decision.state.failed_attempts == 0

    chosen = _policy().decide(decision.state, _signals("1", (SHIPPING, 0.2)))
    assert chosen.kind is DecisionKind.ANSWER
    assert chosen.article_id == RETURNS.id


@pytest.mark.parametrize("reply", ["sí", "Sí, eso", "yes", "yes, that one", "vale"])
def test_a_yes_picks_the_single_offered_article(reply: str) -> None:
    offered = _offer_returns()
    chosen = _policy().decide(offered.state, _signals(reply, (SHIPPING, 0.2)))
    assert chosen.kind is DecisionKind.ANSWER
    assert chosen.article_id == RETURNS.id


@pytest.mark.parametrize("reply", ["no", "no es eso", "none of these"])
def test_a_no_to_the_single_offered_article_is_a_failed_attempt(reply: str) -> None:
    offered = _offer_returns()
    refused = _policy().decide(offered.state, _signals(reply, (SHIPPING, 0.2)))
    assert refused.kind is not DecisionKind.ANSWER
    assert refused.state.failed_attempts == 1


def test_a_weak_match_still_asks_to_rephrase_and_counts_a_failed_attempt() -> None:
    decision = _policy().decide(
        AssistantState(), _signals("lo de la otra vez", (RETURNS, 0.47), (SHIPPING, 0.20))
    )
    assert decision.kind is DecisionKind.CLARIFY
    assert decision.options == ()
    assert decision.state.failed_attempts == 1


def test_an_internal_article_is_never_offered_to_a_customer() -> None:
    decision = _policy().decide(
        AssistantState(), _signals("back office", (INTERNAL, 0.52), (RETURNS, 0.36))
    )
    assert decision.kind is DecisionKind.CLARIFY
    assert decision.options == ()
