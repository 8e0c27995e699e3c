"""Evaluate the sentiment model on the held-out UMSAB tweets in ../shared/datasets.

Writes the val split of each language as a temporary ``text,label`` CSV, runs
``ventanilla eval sentiment`` (the production code path) on each, and prints one table
next to the published XLM-T figures. The model is trained on the train split only
(scripts/build_sentiment_model.py). Usage:

    python bench/eval_sentiment.py [--json-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets" / "umsab-sentiment"
LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
SUITES = (
    ("UMSAB es (val)", ("spanish",), "es", "XLM-T 67.9"),
    ("UMSAB en (val)", ("english",), "en", "XLM-T 70.6"),
    ("UMSAB es+en, detected", ("spanish", "english"), "auto", "—"),
)
COLUMNS = ("n", "macro_f1", "accuracy", "f1_negative", "f1_neutral", "f1_positive", "p99_ms")


def _rows(folder: str) -> list[dict[str, str]]:
    texts = (DATA / folder / "val_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (DATA / folder / "val_labels.txt").read_text(encoding="utf-8").split("\n")
    return [
        {"text": t, "label": LABELS[v.strip()]}
        for t, v in zip(texts, labels, strict=False)
        if v.strip()
    ]


def _run(rows: list[dict[str, str]], lang: str, workdir: Path, out: Path) -> dict[str, object]:
    test = workdir / "test.csv"
    with test.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=("text", "label"))
        writer.writeheader()
        writer.writerows(rows)
    command = [sys.executable, "-m", "ventanilla.assistant.eval_cli", "sentiment",
               "--test", str(test), "--lang", lang, "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"sentiment evaluation failed\n{done.stderr}")
    figures: dict[str, object] = json.loads(out.read_text())
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Evaluate the sentiment model.")
    parser.add_argument("--json-dir", type=Path, default=None)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"UMSAB data not found at {DATA.resolve()}; nothing to evaluate")
        return
    print("| suite | " + " | ".join(COLUMNS) + " | published |")
    print("|" + "---|" * (len(COLUMNS) + 2))
    with tempfile.TemporaryDirectory() as tmp:
        json_dir = args.json_dir or Path(tmp)
        json_dir.mkdir(parents=True, exist_ok=True)
        for name, folders, lang, published in SUITES:
            rows = [row for folder in folders for row in _rows(folder)]
            out = json_dir / f"sentiment-{'-'.join(folders)}-{lang}.json"
            figures = _run(rows, lang, Path(tmp), out)
            cells = [str(figures.get(c, "")) for c in COLUMNS]
            print(f"| {name} | " + " | ".join(cells) + f" | {published} |")


if __name__ == "__main__":
    main()
