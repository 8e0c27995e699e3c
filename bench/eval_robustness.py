"""How the assistant copes with questions written the way customers write them.

The public intent sets are single, clean questions. Customers greet, give context, sign off
and mistype. This evaluation asks each suite's test questions several ways, side by side:

* ``clean``: as in the data set;
* ``wrapped``: inside a greeting and/or a closing sentence in the suite's language
  ("Hola, buenas tardes. … Muchas gracias de antemano."), from the lists below;
* ``wrapped (2nd list)`` and ``wrapped (blind list)``: the same with openings and closings
  from ``bench/data/courtesy_second.json`` and ``courtesy_blind.json``, written separately
  from the lists below and from the assistant's courtesy rules (``assistant/courtesy.py``);
  the blind list was not read while those rules were written;
* ``wrapped (context list)``: openings and closings that tell the customer's situation
  rather than greet ("I'm writing from my sister's laptop because mine broke."), from
  ``bench/data/context_blind.json``, written separately and not read while the assistant's
  handling of several sentences (``KnowledgeIndex.search``) was written;
* ``typos``: with one typing slip in one word of four letters or more (two letters swapped,
  one dropped, doubled or replaced by a neighbouring key).

Every variant runs through the functions behind ``ventanilla eval assistant`` (each question
a new conversation with the real assistant), against one knowledge base per suite, built
once. Out-of-scope questions are wrapped and mistyped too: they must still be declined.
Usage:

    python bench/eval_robustness.py [--only NAME ...] [--limit N] [--variants NAME ...]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_assistant import DATA, SUITES, Rows, Suite
from ventanilla.assistant.engine import Assistant
from ventanilla.assistant.evaluation import articles_from_training, evaluate_assistant

# Openings and closings as customers write them to a shop's chat or email, with no request
# of their own. Several carry a little context, as real messages do.
OPENINGS = {
    "en": (
        "Hi there.", "Hello, good morning.", "Hey!", "Good afternoon.",
        "Hi, I hope you can help me.", "Hello, I have a question.",
        "Hi team, quick question.", "Good evening, I've been a customer for years.",
        "Hello. I tried the website but couldn't work it out.", "Hi, it's Laura again.",
        "Hi! Sorry to bother you.", "Dear support team,",
    ),
    "es": (
        "Hola.", "Hola, buenos días.", "¡Buenas!", "Buenas tardes.",
        "Hola, a ver si me podéis ayudar.", "Hola, tengo una consulta.",
        "Hola equipo, una pregunta rápida.", "Buenas noches, soy cliente desde hace años.",
        "Hola. He mirado en la web pero no lo encuentro.", "Hola, soy Laura otra vez.",
        "¡Hola! Perdonad la molestia.", "Estimado equipo de atención al cliente:",
    ),
}
CLOSINGS = {
    "en": (
        "Thanks in advance.", "Thank you!", "Regards, Maria.", "Looking forward to your reply.",
        "Cheers.", "Thanks a lot for your help.", "Have a nice day.", "Many thanks, Tom",
        "Thanks, I'll wait for your answer.", "Best wishes.",
    ),
    "es": (
        "Gracias de antemano.", "¡Muchas gracias!", "Saludos, María.", "Quedo a la espera.",
        "Un saludo.", "Gracias por la ayuda.", "Que tengan un buen día.", "Mil gracias, Tomás",
        "Gracias, espero vuestra respuesta.", "Atentamente.",
    ),
}

# Neighbouring keys on a QWERTY keyboard (Spanish keyboards differ only by ñ).
_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")
_NEIGHBOURS = {
    ch: "".join(
        r[j] for r in _ROWS[max(0, i - 1): i + 2] for j in (pos - 1, pos, pos + 1)
        if 0 <= j < len(r) and r[j] != ch
    )
    for i, row in enumerate(_ROWS) for pos, ch in enumerate(row)
}


Phrases = dict[str, tuple[str, ...]]
HERE = Path(__file__).resolve().parent


def _phrase_file(name: str) -> tuple[Phrases, Phrases]:
    data = json.loads((HERE / "data" / name).read_text(encoding="utf-8"))
    return (
        {lang: tuple(data[f"openings_{lang}"]) for lang in ("en", "es")},
        {lang: tuple(data[f"closings_{lang}"]) for lang in ("en", "es")},
    )


def wrap(
    text: str, lang: str, rng: random.Random,
    openings: Phrases = OPENINGS, closings: Phrases = CLOSINGS,
) -> str:
    """``text`` with an opening, a closing, or both (one third each)."""
    style = rng.randrange(3)
    parts = []
    if style in (0, 2):
        parts.append(rng.choice(openings[lang]))
    body = text.strip()
    parts.append(body if body[-1:] in ".?!" else f"{body}.")
    if style in (1, 2):
        parts.append(rng.choice(closings[lang]))
    return " ".join(parts)


def typo(text: str, rng: random.Random) -> str:
    """``text`` with one slip in one word of four letters or more (unchanged if none)."""
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if not long_words:
        return text
    i = rng.choice(long_words)
    word = words[i]
    letters = [k for k, c in enumerate(word) if c.isalpha()]
    k = rng.choice(letters[1:])  # customers rarely slip on a word's first letter
    kind = rng.randrange(4)
    if kind == 0 and k + 1 < len(word) and word[k + 1].isalpha():
        word = word[:k] + word[k + 1] + word[k] + word[k + 2:]
    elif kind == 1:
        word = word[:k] + word[k + 1:]
    elif kind == 2:
        word = word[:k] + word[k] + word[k:]
    else:
        near = _NEIGHBOURS.get(word[k].lower())
        word = word[:k] + (rng.choice(near) if near else word[k]) + word[k + 1:]
    words[i] = word
    return " ".join(words)


def _language(suite: Suite, name: str) -> str:
    if suite.lang in ("es", "en"):
        return suite.lang
    return "es" if name.endswith("-es") else "en"


def variants(suite: Suite, name: str, limit: int) -> dict[str, Suite]:
    rng = random.Random(2026)
    test: Rows = suite.test[:]
    if len(test) > limit:
        test = rng.sample(test, limit)
    lang = _language(suite, name)
    found = {
        "clean": replace(suite, test=test),
        "wrapped": replace(suite, test=[{**r, "text": wrap(r["text"], lang, rng)} for r in test]),
    }
    for label, file in LISTS[:2]:
        found[f"wrapped ({label})"] = _wrapped(suite, test, lang, rng, file)
    found["typos"] = replace(suite, test=[{**r, "text": typo(r["text"], rng)} for r in test])
    # Added later, after the others' draws, so that their questions stay as they were.
    for label, file in LISTS[2:]:
        found[f"wrapped ({label})"] = _wrapped(suite, test, lang, rng, file)
    return found


def _wrapped(suite: Suite, test: Rows, lang: str, rng: random.Random, file: str) -> Suite:
    openings, closings = _phrase_file(file)
    return replace(suite, test=[
        {**r, "text": wrap(r["text"], lang, rng, openings, closings)} for r in test
    ])


LISTS = (
    ("2nd list", "courtesy_second.json"),
    ("blind list", "courtesy_blind.json"),
    ("context list", "context_blind.json"),
)
DEFAULT = ("bitext-8k", "banking77-10shot", "clinc150", "schuster-es", "parallel-es",
           "parallel-en")
COLUMNS = ("n", "top1", "resolved", "resolved_direct", "wrong", "handoff", "oos_handoff",
           "p50_ms", "p99_ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), default=None)
    parser.add_argument("--limit", type=int, default=1000,
                        help="test questions per suite (a seeded sample), default 1000")
    parser.add_argument("--variants", nargs="*", default=None,
                        help="only these variants (e.g. clean 'wrapped (context list)')")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"data sets not found at {DATA.resolve()}; nothing to evaluate")
        return
    print("| suite | variant | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    for name in args.only or DEFAULT:
        suite = SUITES[name]()
        if suite is None:
            print(f"{name}: data not present, skipped", file=sys.stderr)
            continue
        print(f"building {suite.name}", file=sys.stderr)
        lang = None if suite.lang == "auto" else suite.lang
        answers = {r["intent"]: r["answer"] for r in suite.answers}
        assistant = Assistant(articles_from_training(suite.train, answers, lang))  # type: ignore[arg-type]
        for variant, asked in variants(suite, name, args.limit).items():
            if args.variants and variant not in args.variants:
                continue
            figures = evaluate_assistant(assistant, asked.test, lang)  # type: ignore[arg-type]
            cells = (str(figures.get(c, "")) for c in COLUMNS)
            print(f"| {suite.name} | {variant} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
