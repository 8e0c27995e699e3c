"""Evaluate how the assistant treats a customer who asks for a person.

Every message is the first turn of a new conversation with the assistant on the demo
store's bilingual knowledge base (``Assistant.turn``, the production code path; language
detected per message). Messages that ask for a person should be handed off as such;
every other message should not be taken for one. Sets:

* NLU++ (banking and hotels, ``../shared/datasets/nluplusplus``): its ``handoff`` intent
  against every other example;
* Bitext, both releases: its ``contact_human_agent`` intent against every other intent;
* BANKING77, CLINC150 (val + out-of-scope val) and Schuster et al. (Spanish eval): no
  intent of theirs asks for a person, so they only count false alarms;
* ``bench/data/person_requests.csv``: Spanish and English messages written for Ventanilla,
  with look-alikes that do not ask for a person ("mi agente de viajes", "pay in person").

Columns: ``to person`` is the share handed off because the customer asked for a person;
``any`` adds hand-offs for frustration (a customer who says "this bot is useless" reaches a
person either way); ``answered`` is the share given an article instead. ``keywords`` is a
baseline in the same run: the share a bot that hands off on a keyword ("agent", "human",
"person", "representative", "operator", "agente", "persona", "humano", "asesor",
"operador") would hand off.
Usage:

    python bench/eval_handoff.py [--max-negatives 1500] [--json OUT]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ventanilla.assistant import Article, Assistant
from ventanilla.assistant.state import DecisionKind, HandoffReason
from ventanilla.services.demo_kb import ARTICLES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "datasets"
WRITTEN = ROOT / "bench" / "data" / "person_requests.csv"
KEYWORDS_RE = re.compile(
    r"\b(agents?|humans?|person|people|representatives?|operators?|agentes?|personas?|"
    r"humanos?|humanas?|asesor(a|es)?|operador(a|es)?)\b",
    re.IGNORECASE,
)
PERSON = {HandoffReason.ASKED_FOR_HUMAN}
PERSON_ANY = {HandoffReason.ASKED_FOR_HUMAN, HandoffReason.FRUSTRATION}


@dataclass
class Group:
    name: str
    asks: list[str] = field(default_factory=list)  # messages that ask for a person
    other: list[str] = field(default_factory=list)


def _nluplusplus() -> Group | None:
    root = DATA / "nluplusplus"
    if not root.is_dir():
        return None
    group = Group("NLU++ banking + hotels")
    for path in sorted(root.glob("*/fold*.json")):
        for example in json.loads(path.read_text()):
            labels = example.get("intents") or []
            (group.asks if "handoff" in labels else group.other).append(example["text"])
    return group


def _bitext(name: str, file: str, column: str) -> Group | None:
    path = DATA / "bitext" / file
    if not path.is_file():
        return None
    group = Group(name)
    for row in csv.DictReader(path.open(encoding="utf-8-sig")):
        is_request = row["intent"] == "contact_human_agent"
        (group.asks if is_request else group.other).append(row[column])
    return group


def _others_only() -> Iterable[Group]:
    banking = DATA / "banking77" / "train.csv"
    if banking.is_file():
        yield Group("BANKING77 train", other=[r["text"] for r in csv.DictReader(banking.open())])
    clinc = DATA / "clinc150" / "data_full_dev.json"
    if clinc.is_file():
        data = json.loads(clinc.read_text())
        yield Group("CLINC150 val + oos_val", other=[t for t, _ in data["val"] + data["oos_val"]])
    schuster = DATA / "schuster2019-es" / "eval-es.tsv"
    if schuster.is_file():
        texts = [line.split("\t")[2] for line in schuster.read_text().splitlines() if line]
        yield Group("Schuster et al. es eval", other=texts)


def _written() -> Iterable[Group]:
    rows = list(csv.DictReader(WRITTEN.open(encoding="utf-8")))
    for lang in ("es", "en"):
        mine = [r for r in rows if r["lang"] == lang]
        yield Group(
            f"written for Ventanilla, {lang}",
            asks=[r["text"] for r in mine if r["label"] == "person"],
            other=[r["text"] for r in mine if r["label"] == "other"],
        )


def groups() -> list[Group]:
    found = [
        _nluplusplus(),
        _bitext("Bitext 8k release", "intents_8k.csv", "utterance"),
        _bitext("Bitext 4k release", "support_with_responses_4k.csv", "instruction"),
    ]
    return [g for g in found if g is not None] + list(_others_only()) + list(_written())


def demo_assistant() -> Assistant:
    articles = [
        Article(
            id=f"{a.slug}-{a.language}", title=a.title, body=a.body,
            language=a.language,  # type: ignore[arg-type]
            category=a.category, examples=a.examples, short_answer=a.short_answer,
            human_only=a.human_only, slug=a.slug,
        )
        for a in ARTICLES
    ]
    return Assistant(articles)


def _shares(assistant: Assistant, texts: list[str], times: list[float]) -> dict[str, float]:
    person = person_any = answered = 0
    for text in texts:
        start = time.perf_counter()
        decision = assistant.turn(None, text).decision
        times.append((time.perf_counter() - start) * 1000)
        person += decision.reason in PERSON
        person_any += decision.reason in PERSON_ANY
        answered += decision.kind is DecisionKind.ANSWER
    n = max(len(texts), 1)
    keywords = sum(bool(KEYWORDS_RE.search(text)) for text in texts)
    return {
        "n": len(texts),
        "keywords": round(100 * keywords / n, 2),
        "to_person": round(100 * person / n, 2),
        "to_person_any": round(100 * person_any / n, 2),
        "answered": round(100 * answered / n, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-negatives", type=int, default=1500,
                        help="sample at most this many other messages per set (seeded)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    assistant = demo_assistant()
    rng = random.Random(13)
    results: dict[str, dict[str, object]] = {}
    times: list[float] = []
    header = (f"{'set':28} | {'asks':>5} {'to person':>9} {'any':>6} {'answered':>8} "
              f"{'keywords':>8} | {'others':>6} {'to person':>9} {'any':>6} {'keywords':>8}")
    print(header)
    print("-" * len(header))
    for group in groups():
        other = group.other
        if len(other) > args.max_negatives:
            other = rng.sample(other, args.max_negatives)
        asks = _shares(assistant, group.asks, times) if group.asks else None
        rest = _shares(assistant, other, times)
        results[group.name] = {"asks": asks, "others": rest}
        left = (f"{asks['n']:>5} {asks['to_person']:>9.2f} {asks['to_person_any']:>6.2f} "
                f"{asks['answered']:>8.2f} {asks['keywords']:>8.2f}" if asks
                else f"{'—':>5} {'':>9} {'':>6} {'':>8} {'':>8}")
        print(f"{group.name:28} | {left} | {rest['n']:>6} {rest['to_person']:>9.2f} "
              f"{rest['to_person_any']:>6.2f} {rest['keywords']:>8.2f}")
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    print(f"\n{len(times)} turns, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    if args.json:
        args.json.write_text(json.dumps({"sets": results, "p50_ms": p50, "p99_ms": p99},
                                        indent=2))


if __name__ == "__main__":
    main()
