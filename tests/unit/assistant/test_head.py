"""The knowledge base's trained head: it re-orders candidates without moving the policy's
thresholds, and a knowledge base too large for it still works on retrieval alone."""

from __future__ import annotations

import csv
import pickle
import random
from collections import defaultdict

import pytest

from tests.unit.assistant.conftest import HELP_CENTER
from tests.unit.assistant.shared import english_or_skip, shared_or_skip
from ventanilla.assistant import (
    Article,
    Assistant,
    AssistantState,
    DecisionKind,
    HandoffReason,
    retrieval,
)
from ventanilla.assistant import head as head_module
from ventanilla.assistant.embeddings import UseEncoder
from ventanilla.assistant.evaluation import articles_from_training
from ventanilla.assistant.knowledge import ArticleCatalog
from ventanilla.assistant.policy import Policy, PolicyConfig, Signals
from ventanilla.assistant.retrieval import Candidate, KnowledgeIndex


def test_the_head_prefers_the_article_whose_examples_share_the_wording(
    assistant: Assistant,
) -> None:
    head = assistant.index.head
    assert head is not None
    query = "can I pay with PayPal"
    vector = assistant.index.embed(query)
    probs = head.probabilities(assistant.index.head_view(vector, query, "en"), query, "en")
    ids = [a.id for a in assistant.index.articles]
    assert ids[int(probs.argmax())] == "payment-methods"
    assert abs(float(probs.sum()) - 1.0) < 1e-4


def test_a_knowledge_base_over_the_training_budget_gets_no_head_and_still_answers(
    encoder: UseEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(head_module, "MAX_WORK", 1.0)
    engine = Assistant(HELP_CENTER, encoder=encoder)
    assert engine.index.head is None
    decision = engine.turn(None, "How long does shipping take?").decision
    assert decision.kind is DecisionKind.ANSWER
    assert decision.article_id == "shipping-en"


def test_the_head_survives_pickling(assistant: Assistant) -> None:
    head = assistant.index.head
    assert head is not None
    text = "I forgot my password"
    vector = assistant.index.head_view(assistant.index.embed(text), text, "en")
    copy = pickle.loads(pickle.dumps(head))  # noqa: S301 (our own bytes)
    assert (
        copy.probabilities(vector, "I forgot my password", "en")
        == head.probabilities(vector, "I forgot my password", "en")
    ).all()


def _candidate(article: Article, score: float) -> Candidate:
    return Candidate(article, score, score, 0.0)


def test_a_candidate_promoted_over_a_higher_score_is_offered_not_answered() -> None:
    first, second = HELP_CENTER[3], HELP_CENTER[4]  # reset / change password
    policy = Policy(PolicyConfig(), ArticleCatalog(HELP_CENTER))
    # The head put "change" first although "reset" scores higher in retrieval.
    signals = Signals(
        text="password",
        language="en",
        candidates=(_candidate(second, 0.80), _candidate(first, 0.84)),
    )
    decision = policy.decide(AssistantState(), signals)
    assert decision.kind is DecisionKind.CLARIFY
    assert [o.article_id for o in decision.options] == [second.id, first.id]


def test_out_of_scope_is_judged_on_the_highest_retrieval_score_whatever_the_order() -> None:
    policy = Policy(PolicyConfig(), ArticleCatalog(HELP_CENTER))
    low = Signals(
        text="what is the weather",
        language="en",
        candidates=(_candidate(HELP_CENTER[0], 0.30), _candidate(HELP_CENTER[1], 0.40)),
    )
    decision = policy.decide(AssistantState(), low)
    assert decision.kind is DecisionKind.HANDOFF
    assert decision.reason is HandoffReason.OUT_OF_SCOPE
    promoted = Signals(
        text="returns",
        language="en",
        candidates=(_candidate(HELP_CENTER[0], 0.42), _candidate(HELP_CENTER[1], 0.55)),
    )
    assert policy.decide(AssistantState(), promoted).kind is not DecisionKind.HANDOFF


def _banking_ten_shot() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Ten examples and four questions per BANKING77 intent, from the rows the benchmark's
    own 10-shot split leaves unused."""
    root = shared_or_skip("datasets/banking77")
    by_intent: dict[str, list[str]] = defaultdict(list)
    with (root / "train.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent[row["category"]].append(row["text"])
    rng = random.Random(2024)
    train, test = [], []
    for intent in sorted(by_intent):
        texts = sorted(by_intent[intent])
        rng.shuffle(texts)
        train += [{"text": t, "intent": intent} for t in texts[-10:]]
        test += [{"text": t, "intent": intent} for t in texts[-14:-10]]
    return train, test


def _top1(index: KnowledgeIndex, test: list[dict[str, str]]) -> float:
    """Share of ``test`` questions whose best candidate is their intent."""
    hits = 0
    for row in test:
        vector = index.embed(row["text"])
        hits += index.search(vector, row["text"], "en", k=1)[0].article.id == row["intent"]
    return 100 * hits / len(test)


def test_the_head_ranks_the_right_banking_intent_first_more_often(
    encoder: UseEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, test = _banking_ten_shot()
    articles = articles_from_training(train, {}, "en")

    with_head = KnowledgeIndex(articles, encoder)
    assert with_head.head is not None
    ranked_with_head = _top1(with_head, test)
    monkeypatch.setattr(retrieval, "HEAD_WEIGHT", 0.0)
    without = KnowledgeIndex(articles, encoder)
    assert without.head is None
    assert ranked_with_head >= _top1(without, test) + 1.0


def test_the_english_view_ranks_the_right_banking_intent_first_more_often(
    encoder: UseEncoder,
) -> None:
    english_or_skip()
    train, test = _banking_ten_shot()
    articles = articles_from_training(train, {}, "en")

    both = KnowledgeIndex(articles, encoder)
    use_only = KnowledgeIndex(articles, encoder, english=None)
    assert both.head is not None and use_only.head is not None
    assert _top1(both, test) >= _top1(use_only, test) + 1.5


def test_a_knowledge_base_too_big_for_both_views_keeps_a_head_on_the_first(
    encoder: UseEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    english_or_skip()
    full = KnowledgeIndex(HELP_CENTER, encoder)
    assert full.head is not None
    assert full.head.dense_weights.shape[0] == 512 + 384  # USE + the English view
    rows, classes = len(full._white_rows), len(full)
    use_only_work = head_module.STEPS * rows * (512 + len(full.head.tfidf)) * classes
    monkeypatch.setattr(head_module, "MAX_WORK", use_only_work * 1.01)
    smaller = KnowledgeIndex(HELP_CENTER, encoder)
    assert smaller.head is not None
    assert smaller.head.dense_weights.shape[0] == 512
    text = "can I pay with PayPal"
    found = smaller.search(smaller.embed(text), text, "en", k=1)
    assert found[0].article.id == "payment-methods"
