"""Offline evaluation of the assistant and the sentiment model on labelled CSV files.

Every test query is a new conversation run through the real ``Assistant.turn``; when the
assistant offers options, a simulated customer picks the right one if offered, and says
"none of these" otherwise.
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ventanilla.assistant.engine import Assistant
from ventanilla.assistant.knowledge import Article, Language
from ventanilla.assistant.language import detect_language, warm_up
from ventanilla.assistant.sentiment import SentimentModel
from ventanilla.assistant.state import AssistantState, Decision, DecisionKind

OUT_OF_SCOPE = "oos"
REJECT: dict[Language, str] = {"es": "ninguna de estas", "en": "none of these"}


class DataError(ValueError):
    """A CSV file is missing or lacks the expected columns."""


def read_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        return _read_rows(path, columns)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except csv.Error as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from error


def _read_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        # Column names are matched without regard to case or surrounding spaces ("Text").
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
        where = {c: header.index(c) for c in columns}
        rows = []
        for line in reader:
            row = {c: line[i].strip() if i < len(line) else "" for c, i in where.items()}
            if all(row.values()):
                rows.append(row)
        return rows


def articles_from_training(
    train: list[dict[str, str]], answers: dict[str, str], language: Language | None
) -> list[Article]:
    """One article per intent; its examples are the training texts."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for row in train:
        grouped[row["intent"].strip()].append(row["text"].strip())
    articles = []
    for intent, texts in grouped.items():
        if intent == OUT_OF_SCOPE:
            continue
        lang = language or _majority_language(texts)
        articles.append(Article(
            id=intent, title=intent.replace("_", " "), language=lang, examples=tuple(texts),
            short_answer=answers.get(intent, intent), slug=intent,
        ))
    return articles


def _majority_language(texts: list[str]) -> Language:
    votes = Counter(detect_language(t) for t in texts[:15])
    return "es" if votes["es"] > votes["en"] else "en"


def pct(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, two decimals (0 when ``whole`` is 0)."""
    return round(100 * part / whole, 2) if whole else 0.0


@dataclass
class Tally:
    n: int = 0
    in_scope: int = 0
    oos: int = 0
    top1: int = 0
    resolved_direct: int = 0
    resolved_clarified: int = 0
    clarify_offered: int = 0
    wrong: int = 0
    handoff: int = 0
    oos_declined: int = 0
    latencies: list[float] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        lat = np.asarray(self.latencies or [0.0])
        return {
            "n": self.n, "n_in_scope": self.in_scope, "n_oos": self.oos,
            "top1": pct(self.top1, self.in_scope),
            "resolved": pct(self.resolved_direct + self.resolved_clarified, self.in_scope),
            "resolved_direct": pct(self.resolved_direct, self.in_scope),
            "clarified": pct(self.resolved_clarified, self.in_scope),
            "clarify_offered": pct(self.clarify_offered, self.n),
            "wrong": pct(self.wrong, self.n), "handoff": pct(self.handoff, self.n),
            "oos_handoff": pct(self.oos_declined, self.oos),
            "handoff_reasons": dict(self.reasons),
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p99_ms": round(float(np.percentile(lat, 99)), 2),
        }


def _timed_turn(
    assistant: Assistant, tally: Tally, state: AssistantState | None, text: str,
    lang: Language | None,
) -> Decision:
    start = time.perf_counter()
    decision = assistant.turn(state, text, language=lang).decision
    tally.latencies.append(1000 * (time.perf_counter() - start))
    return decision


def run_conversation(
    assistant: Assistant, tally: Tally, text: str, intent: str, lang: Language | None
) -> None:
    """One test query as a new conversation, scored into ``tally``."""
    first = _timed_turn(assistant, tally, None, text, lang)
    in_scope = intent != OUT_OF_SCOPE
    tally.n += 1
    tally.in_scope += in_scope
    tally.oos += not in_scope
    tally.top1 += in_scope and bool(first.candidates) and first.candidates[0] == intent
    final, clarified = first, False
    if first.kind is DecisionKind.CLARIFY and first.options:
        tally.clarify_offered += 1
        offered = [o.article_id for o in first.options]
        reply = str(offered.index(intent) + 1) if intent in offered else REJECT[first.language]
        final = _timed_turn(assistant, tally, first.state, reply, first.language)
        clarified = True
    _score(tally, final, intent, clarified)


def _score(tally: Tally, final: Decision, intent: str, clarified: bool) -> None:
    if final.kind is DecisionKind.ANSWER:
        if final.article_id == intent:
            if clarified:
                tally.resolved_clarified += 1
            else:
                tally.resolved_direct += 1
        else:
            tally.wrong += 1
        return
    if intent == OUT_OF_SCOPE:
        tally.oos_declined += 1
    if final.kind is DecisionKind.HANDOFF:
        tally.handoff += 1
        tally.reasons[final.reason.value if final.reason else "unknown"] += 1


def evaluate_assistant(
    assistant: Assistant, tests: Iterable[dict[str, str]], lang: Language | None
) -> dict[str, object]:
    tally = Tally()
    for row in tests:
        run_conversation(assistant, tally, row["text"].strip(), row["intent"].strip(), lang)
    return tally.as_dict()


SENTIMENT_LABELS = ("negative", "neutral", "positive")


def evaluate_sentiment(
    model: SentimentModel, rows: list[dict[str, str]], lang: Language | None
) -> dict[str, object]:
    """Macro-F1, accuracy and per-class F1 of the sentiment model on labelled messages."""
    rows = [{**r, "label": r["label"].lower()} for r in rows]  # "Negative" is negative
    bad = sorted({r["label"] for r in rows} - set(SENTIMENT_LABELS))
    if bad:
        raise DataError(f"unknown label(s): {', '.join(bad)}")
    gold, predicted, latencies = [], [], []
    model.analyze("warm up", "en")  # load the models before timing
    warm_up()
    for row in rows:
        start = time.perf_counter()
        result = model.analyze(row["text"], lang)
        latencies.append(1000 * (time.perf_counter() - start))
        gold.append(row["label"])
        predicted.append(result.label)
    f1 = {label: _f1(gold, predicted, label) for label in SENTIMENT_LABELS}
    lat = np.asarray(latencies or [0.0])
    hits = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "macro_f1": round(100 * sum(f1.values()) / len(f1), 2),
        "accuracy": round(100 * hits / len(gold), 2) if gold else 0.0,
        **{f"f1_{label}": round(100 * value, 2) for label, value in f1.items()},
        "p50_ms": round(float(np.percentile(lat, 50)), 2),
        "p99_ms": round(float(np.percentile(lat, 99)), 2),
    }


def _f1(gold: list[str], predicted: list[str], label: str) -> float:
    tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
    fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
    fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
