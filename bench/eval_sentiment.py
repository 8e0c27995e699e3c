"""Evaluate the sentiment model on held-out tweets and on customer messages.

Suites:

* UMSAB (../shared/datasets): the val split of each language; the model is trained on the
  train split only (scripts/build_sentiment_model.py). Published XLM-T figures beside them.
* Customer messages written for Ventanilla (bench/data): short messages to a shop, a bank,
  a telecom operator or an airline, the same ones in Spanish and English, each labelled
  when written. ``customer_messages_dev.csv`` (70 per language, 40 of them airline tweets)
  was read while the service cues were designed; ``customer_messages_heldout.csv`` (64 per
  language) was written afterwards and nothing was tuned on it.
* Tweets to airlines written for Ventanilla by a writer who had not seen the classifier
  (160 per language, about 60 % negative as in published airline tweets; each labelled when
  written), split at random: ``airline_tweets_dev.csv`` (80 per language) was read while
  the later cues were designed (handles before irony, waits at the gate, thanks after a
  problem put right); ``airline_tweets_heldout.csv`` (80 per language) was not.
* Real tweets to US airlines, when a copy is given with ``--airline-tweets FILE`` or lies
  at ``../shared/datasets/twitter-airline-sentiment/Tweets.csv``: the public "Twitter US
  Airline Sentiment" file (February 2015, crowd-labelled; columns ``text`` and
  ``airline_sentiment``, or ``text`` and ``label``). Nothing in the product was tuned on it.

Each suite is written as a temporary ``text,label`` CSV and run through ``ventanilla eval
sentiment`` (the production code path), twice: as the product reads messages, and with
``--model-only`` (the trained model's own label, without the service cues), side by side
in one table. Usage:

    python bench/eval_sentiment.py [--json-dir DIR] [--airline-tweets FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets" / "umsab-sentiment"
OWN = ROOT / "bench" / "data"
AIRLINE_TWEETS = ROOT / ".." / "shared" / "datasets" / "twitter-airline-sentiment" / "Tweets.csv"
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
COLUMNS = ("n", "macro_f1", "accuracy", "f1_negative", "f1_neutral", "f1_positive", "p99_ms")
Rows = list[dict[str, str]]


def _umsab(*folders: str) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = []
        for folder in folders:
            texts = (DATA / folder / "val_text.txt").read_text(encoding="utf-8").split("\n")
            labels = (DATA / folder / "val_labels.txt").read_text(encoding="utf-8").split("\n")
            rows += [
                {"text": t, "label": LABELS[v.strip()]}
                for t, v in zip(texts, labels, strict=False)
                if v.strip()
            ]
        return rows

    return load


def _own(name: str, language: str) -> Callable[[], Rows]:
    def load() -> Rows:
        with (OWN / name).open(encoding="utf-8", newline="") as handle:
            return [
                {"text": row["text"], "label": row["label"]}
                for row in csv.DictReader(handle)
                if row["language"] == language
            ]

    return load


def _airline_tweets(path: Path) -> Callable[[], Rows]:
    def load() -> Rows:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = reader.fieldnames or []
            column = "airline_sentiment" if "airline_sentiment" in fields else "label"
            if "text" not in fields or column not in fields:
                raise SystemExit(f"{path}: needs columns text and airline_sentiment (or label)")
            return [{"text": row["text"], "label": row[column]} for row in reader
                    if row["text"].strip() and row[column].strip()]

    return load


SUITES: tuple[tuple[str, Callable[[], Rows], str, str, bool], ...] = (
    # name, rows, --lang, published figure, needs ../shared
    ("UMSAB es (val)", _umsab("spanish"), "es", "XLM-T 67.9", True),
    ("UMSAB en (val)", _umsab("english"), "en", "XLM-T 70.6", True),
    ("UMSAB es+en, detected", _umsab("spanish", "english"), "auto", "—", True),
    ("customer messages es (dev)", _own("customer_messages_dev.csv", "es"), "es", "—", False),
    ("customer messages en (dev)", _own("customer_messages_dev.csv", "en"), "en", "—", False),
    ("customer messages es (held out)", _own("customer_messages_heldout.csv", "es"), "es", "—",
     False),
    ("customer messages en (held out)", _own("customer_messages_heldout.csv", "en"), "en", "—",
     False),
    ("airline tweets es (dev)", _own("airline_tweets_dev.csv", "es"), "es", "—", False),
    ("airline tweets en (dev)", _own("airline_tweets_dev.csv", "en"), "en", "—", False),
    ("airline tweets es (held out)", _own("airline_tweets_heldout.csv", "es"), "es", "—", False),
    ("airline tweets en (held out)", _own("airline_tweets_heldout.csv", "en"), "en", "—", False),
)


def _run(
    rows: Rows, lang: str, workdir: Path, out: Path, model_only: bool
) -> dict[str, object]:
    test = workdir / "test.csv"
    with test.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=("text", "label"))
        writer.writeheader()
        writer.writerows(rows)
    command = [sys.executable, "-m", "ventanilla.assistant.eval_cli", "sentiment",
               "--test", str(test), "--lang", lang, "--json", str(out)]
    if model_only:
        command.append("--model-only")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"sentiment evaluation failed\n{done.stderr}")
    figures: dict[str, object] = json.loads(out.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the sentiment model.")
    parser.add_argument("--json-dir", type=Path, default=None)
    parser.add_argument("--airline-tweets", type=Path, default=None,
                        help="the public Twitter US Airline Sentiment CSV (or a part of it)")
    args = parser.parse_args()
    if args.airline_tweets is not None and not args.airline_tweets.is_file():
        raise SystemExit(f"{args.airline_tweets}: file not found")
    suites = list(SUITES)
    airline = args.airline_tweets or (AIRLINE_TWEETS if AIRLINE_TWEETS.is_file() else None)
    if airline is not None:
        suites.append(("US airline tweets en (real)", _airline_tweets(airline), "en", "—", False))
    if not DATA.is_dir():
        print(f"UMSAB data not found at {DATA.resolve()}; only the customer messages run")
    print("| suite | reading | " + " | ".join(COLUMNS) + " | published |")
    print("|" + "---|" * (len(COLUMNS) + 3))
    with tempfile.TemporaryDirectory() as tmp:
        json_dir = args.json_dir or Path(tmp)
        json_dir.mkdir(parents=True, exist_ok=True)
        for index, (name, load, lang, published, shared) in enumerate(suites):
            if shared and not DATA.is_dir():
                continue
            rows = load()
            for model_only in (False, True):
                reading = "model only" if model_only else "product"
                out = json_dir / f"sentiment-{index}-{lang}{'-model' if model_only else ''}.json"
                figures = _run(rows, lang, Path(tmp), out, model_only)
                cells = [str(figures.get(c, "")) for c in COLUMNS]
                print(f"| {name} | {reading} | " + " | ".join(cells) + f" | {published} |")


if __name__ == "__main__":
    main()
