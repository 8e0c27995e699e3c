"""Regression guards on the public data sets in ../shared (skipped when absent, outside CI)."""

from __future__ import annotations

import csv
import random

from tests.unit.assistant.shared import english_or_skip, shared_or_skip
from ventanilla.assistant.embeddings import UseEncoder
from ventanilla.assistant.engine import Assistant
from ventanilla.assistant.evaluation import articles_from_training, evaluate_assistant
from ventanilla.assistant.sentiment import SentimentModel


def _umsab(folder: str) -> list[tuple[str, str]]:
    root = shared_or_skip(f"datasets/umsab-sentiment/{folder}")
    texts = (root / "val_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (root / "val_labels.txt").read_text(encoding="utf-8").split("\n")
    names = {"0": "negative", "1": "neutral", "2": "positive"}
    return [(t, names[v.strip()]) for t, v in zip(texts, labels, strict=False) if v.strip()]


def _macro_f1(pairs: list[tuple[str, str]], model: SentimentModel, lang: str) -> float:
    probs = model.probabilities([t for t, _ in pairs], [lang] * len(pairs))  # type: ignore[list-item]
    labels = ("negative", "neutral", "positive")
    predicted = [labels[int(i)] for i in probs.argmax(axis=1)]
    gold = [g for _, g in pairs]
    scores = []
    for label in labels:
        tp = sum(p == g == label for p, g in zip(predicted, gold, strict=True))
        wrong = sum((p == label) != (g == label) for p, g in zip(predicted, gold, strict=True))
        scores.append(2 * tp / max(1, 2 * tp + wrong))
    return 100 * sum(scores) / 3


def test_sentiment_holds_its_held_out_macro_f1(encoder: UseEncoder) -> None:
    english_or_skip()
    model = SentimentModel(encoder)
    without_view = SentimentModel(encoder, english=None)
    assert model.uses_english_view
    spanish, english = _umsab("spanish"), _umsab("english")
    assert _macro_f1(spanish, model, "es") >= 57
    # Spanish tweets never go through the English encoder.
    assert _macro_f1(spanish, model, "es") == _macro_f1(spanish, without_view, "es")
    assert _macro_f1(english, without_view, "en") >= 63  # the English encoder not installed
    assert _macro_f1(english, model, "en") >= 66
    assert _macro_f1(english, model, "en") > _macro_f1(english, without_view, "en")


def test_bitext_questions_are_resolved_without_wrong_answers(encoder: UseEncoder) -> None:
    root = shared_or_skip("datasets/bitext")
    with (root / "intents_8k.csv").open(encoding="utf-8-sig") as handle:
        train = [{"text": r["utterance"], "intent": r["intent"]} for r in csv.DictReader(handle)]
    with (root / "support_with_responses_4k.csv").open(encoding="utf-8") as handle:
        rows = [{"text": r["instruction"], "intent": r["intent"]} for r in csv.DictReader(handle)]
    sample = random.Random(3).sample(rows, 200)
    assistant = Assistant(articles_from_training(train, {}, "en"), encoder=encoder)
    figures = evaluate_assistant(assistant, sample, "en")
    assert float(figures["resolved"]) >= 80  # type: ignore[arg-type]
    assert float(figures["wrong"]) <= 5  # type: ignore[arg-type]
