"""Evaluate the frustration signal and sentiment label on real customer-service tweets.

Runs ``ventanilla.assistant.sentiment.analyze`` (the code the assistant calls on every
customer message, language detected per message) over the 200 hand-labelled inbound tweets
per company of the TWCS sample in ``../shared/datasets/twcs-labeled-sample`` (AmazonHelp,
AppleSupport, SpotifyCares; English only). Gold labels are the ``Bad Support`` (complaint
about the service) and ``Service Praise`` columns; only companies whose file has those
columns count towards the labelled figures (the others still give the flag rate and the
label mix). The model has never seen these tweets and nothing is tuned on them.

Two baselines are computed in the same run: the product's own sentiment label
(flag = label is negative, score = negative probability) and VADER alone (flag = compound
<= -0.05, score = -compound). Usage:

    python bench/eval_frustration.py [--json OUT] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets" / "twcs-labeled-sample" / "csv"
COMPANIES = ("AmazonHelp", "AppleSupport", "SpotifyCares")
BAD, PRAISE = "Bad Support", "Service Praise"
# name, flag, score for the AUC, and the keys of its negative / positive label
METHODS = (
    ("frustrated flag (product)", "frustrated", "frustration", "negative", "positive"),
    ("baseline: label negative", "negative", "p_negative", "negative", "positive"),
    ("baseline: VADER alone", "vader_negative", "vader_score", "vader_negative", "vader_positive"),
)


@dataclass
class Tweet:
    company: str
    text: str
    bad: bool | None  # None: this company's file has no such column
    praise: bool | None
    values: dict[str, float]


def _flag(row: dict[str, str], column: str) -> bool | None:
    if column not in row:
        return None
    cell = (row[column] or "").strip()
    return bool(cell) and float(cell) != 0.0


def load() -> list[Tweet]:
    tweets = []
    for company in COMPANIES:
        path = DATA / f"twcs-{company}-200-inbound.csv"
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                tweets.append(Tweet(company, row["text"], _flag(row, BAD), _flag(row, PRAISE), {}))
    return tweets


def score(tweets: list[Tweet], repeats: int) -> list[float]:
    """Fill each tweet's values; return the median per-message p50 and p99 over repeats."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from ventanilla.assistant.language import warm_up
    from ventanilla.assistant.sentiment import analyze, normalize_tweet

    analyze("warm up")
    warm_up()
    vader = SentimentIntensityAnalyzer()
    p50s, p99s = [], []
    for attempt in range(repeats):
        latencies = []
        for tweet in tweets:
            start = time.perf_counter()
            result = analyze(tweet.text)
            latencies.append(1000 * (time.perf_counter() - start))
            if attempt:
                continue
            compound = vader.polarity_scores(normalize_tweet(tweet.text))["compound"]
            tweet.values = {
                "frustrated": float(result.frustrated),
                "frustration": result.frustration,
                "negative": float(result.label == "negative"),
                "positive": float(result.label == "positive"),
                "p_negative": result.scores["negative"],
                "english": float(result.language == "en"),
                "vader_negative": float(compound <= -0.05),
                "vader_positive": float(compound >= 0.05),
                "vader_score": -compound,
            }
        p50s.append(float(np.percentile(latencies, 50)))
        p99s.append(float(np.percentile(latencies, 99)))
    return [statistics.median(p50s), statistics.median(p99s)]


def auc(scores: Sequence[float], gold: Sequence[bool]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos = [s for s, g in zip(scores, gold, strict=True) if g]
    neg = [s for s, g in zip(scores, gold, strict=True) if not g]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def auc_ci95(area: float | None, positives: int, negatives: int) -> list[float] | None:
    """Hanley-McNeil 95 % interval of an AUC (rough with few positives)."""
    if area is None:
        return None
    q1, q2 = area / (2 - area), 2 * area * area / (1 + area)
    var = (
        area * (1 - area)
        + (positives - 1) * (q1 - area * area)
        + (negatives - 1) * (q2 - area * area)
    ) / (positives * negatives)
    half = 1.96 * math.sqrt(max(var, 0.0))
    return [round(max(0.0, area - half), 2), round(min(1.0, area + half), 2)]


def wilson(hits: int, total: int) -> list[float] | None:
    """95 % Wilson interval of a proportion, in percent."""
    if not total:
        return None
    z, p = 1.96, hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return [round(100 * (centre - half), 1), round(100 * (centre + half), 1)]


def pct(hits: float, total: int) -> float | None:
    return round(100 * hits / total, 1) if total else None


def figures(
    tweets: list[Tweet], flag: str, value: str, negative: str, positive: str
) -> dict[str, object]:
    labelled = [t for t in tweets if t.bad is not None]
    gold = [bool(t.bad) for t in labelled]
    flagged = [t.values[flag] > 0.5 for t in labelled]
    tp = sum(g and f for g, f in zip(gold, flagged, strict=True))
    fp = sum(f and not g for g, f in zip(gold, flagged, strict=True))
    fn = sum(g and not f for g, f in zip(gold, flagged, strict=True))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    praise = [t for t in tweets if t.praise]
    bad = [t for t in labelled if t.bad]
    area = auc([t.values[value] for t in labelled], gold)
    return {
        "n": len(tweets),
        "labelled": len(labelled),
        "bad_support": len(bad),
        "service_praise": len(praise),
        "flagged_pct": pct(sum(t.values[flag] > 0.5 for t in tweets), len(tweets)),
        "tp_fp_fn": [tp, fp, fn] if labelled else None,
        "precision": None if precision is None else round(100 * precision, 1),
        "precision_ci95": wilson(tp, tp + fp),
        "recall": None if recall is None else round(100 * recall, 1),
        "recall_ci95": wilson(tp, tp + fn),
        "f1": None if f1 is None else round(100 * f1, 1),
        "praise_flagged_pct": pct(sum(t.values[flag] > 0.5 for t in praise), len(praise)),
        "bad_labelled_negative_pct": pct(sum(t.values[negative] for t in bad), len(bad)),
        "praise_labelled_positive_pct": pct(sum(t.values[positive] for t in praise), len(praise)),
        "detected_english_pct": pct(sum(t.values["english"] for t in tweets), len(tweets)),
        "auc": None if area is None else round(area, 3),
        "auc_ci95": auc_ci95(area, len(bad), len(labelled) - len(bad)),
        "flagged_and_positive": sum(
            t.values[flag] > 0.5 and t.values[positive] > 0.5 for t in tweets
        ),
    }


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    return str(value)


COLUMNS: tuple[tuple[str, Callable[[dict[str, object]], object]], ...] = (
    ("n", lambda f: f["n"]),
    ("Bad Support", lambda f: f["bad_support"] if f["labelled"] else None),
    ("Praise", lambda f: f["service_praise"] if f["labelled"] else None),
    ("flagged %", lambda f: f["flagged_pct"]),
    ("flagged yet positive", lambda f: f["flagged_and_positive"]),
    ("tp/fp/fn", lambda f: f["tp_fp_fn"]),
    ("P", lambda f: f["precision"]),
    ("R", lambda f: f["recall"]),
    ("F1", lambda f: f["f1"]),
    ("Praise flagged %", lambda f: f["praise_flagged_pct"]),
    ("Bad Support → negative %", lambda f: f["bad_labelled_negative_pct"]),
    ("Praise → positive %", lambda f: f["praise_labelled_positive_pct"]),
    ("AUC", lambda f: f["auc"]),
)


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the frustration signal on TWCS.")
    parser.add_argument("--json", type=Path, default=None, help="Where to write the figures.")
    parser.add_argument("--repeats", type=int, default=3, help="Timing passes (median).")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"TWCS sample not found at {DATA.resolve()}; nothing to evaluate")
        return
    tweets = load()
    p50, p99 = score(tweets, max(1, args.repeats))
    groups = [(c, [t for t in tweets if t.company == c]) for c in COMPANIES]
    groups.append(("all", tweets))
    results: dict[str, object] = {
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "timing": f"median over {max(1, args.repeats)} passes of all tweets",
    }
    print("| method | company | " + " | ".join(c[0] for c in COLUMNS) + " |")
    print("|" + "---|" * (len(COLUMNS) + 2))
    for method, flag, value, negative, positive in METHODS:
        per_company: dict[str, object] = {}
        for company, rows in groups:
            figs = figures(rows, flag, value, negative, positive)
            per_company[company] = figs
            cells = [_cell(get(figs)) for _, get in COLUMNS]
            print(f"| {method} | {company} | " + " | ".join(cells) + " |")
        results[method] = per_company
    print(
        f"\nproduct analyze() per message: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
        f"({results['timing']}); labelled figures count only files with the columns"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
