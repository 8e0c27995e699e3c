"""Typing slips corrected against the knowledge base's own words.

"How do I reset my pasword?": BM25 finds no "pasword" in any article and the sentence
embedding of a misspelt word drifts. A word of five letters or more that no article uses and
that is not a known word is replaced by the knowledge-base word one edit away (a letter
dropped, added, changed, or two neighbours swapped), the most frequent one if several are.
Nothing is corrected towards a word the knowledge base does not use, nor towards one of its
words that is itself unknown and used only once (examples have slips of their own:
"reimbursement" must not become an example's "reimburfsement").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from ventanilla.assistant.text import strip_accents

_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_LENGTH = 5


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is one deletion, insertion, substitution or swap of neighbours from ``a``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Speller:
    """Built from the knowledge base's texts; ``correct`` is pure and thread-safe."""

    def __init__(self, texts: Iterable[str], known: Callable[[str], bool] | None = None) -> None:
        """``known``: whether a lower-case word is a real word (of any language)."""
        surface: dict[str, Counter[str]] = {}
        for text in texts:
            for match in _TOKEN.finditer(text.lower()):
                word = match.group()
                surface.setdefault(strip_accents(word), Counter())[word] += 1
        self._count = {w: sum(c.values()) for w, c in surface.items()}
        # The spelling to put back: "devolución", as the articles write it.
        self._surface = {w: c.most_common(1)[0][0] for w, c in surface.items()}
        self._by_delete: dict[str, list[str]] = {}
        for word in self._count:
            if len(word) >= MIN_LENGTH - 1:
                for key in _deletes(word) | {word}:
                    self._by_delete.setdefault(key, []).append(word)
        self._known = known or (lambda _w: False)

    def suggestion(self, word: str) -> str | None:
        """The knowledge-base word ``word`` was probably meant to be, or None."""
        lower = word.lower()
        norm = strip_accents(lower)
        if len(norm) < MIN_LENGTH or norm in self._count or self._known(lower):
            return None
        found = {
            v for key in _deletes(norm) | {norm} for v in self._by_delete.get(key, ())
            if _one_edit(norm, v) and (self._count[v] > 1 or self._known(self._surface[v]))
        }
        if not found:
            return None
        ranked = sorted(found, key=lambda v: -self._count[v])
        if len(ranked) > 1 and self._count[ranked[0]] == self._count[ranked[1]]:
            return None  # two equally likely readings: leave the word alone
        return self._surface[ranked[0]]

    def correct(self, text: str) -> str:
        """``text`` with its slips corrected; unchanged when it has none."""

        def fix(match: re.Match[str]) -> str:
            return self.suggestion(match.group()) or match.group()

        return _TOKEN.sub(fix, text)
