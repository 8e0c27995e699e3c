"""Language detection restricted to Spanish and English, with a cheap fast path."""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.text import ENGLISH_STOPWORDS, SPANISH_STOPWORDS, words

_SPANISH_MARKS = re.compile(r"[ñ¿¡áéíóú]", re.IGNORECASE)
# Words that are common in one language and never (or rarely) stopwords in the other.
_ES_HINTS = SPANISH_STOPWORDS - ENGLISH_STOPWORDS - {"a", "no", "me", "he", "has", "e", "o"}
_EN_HINTS = ENGLISH_STOPWORDS - SPANISH_STOPWORDS - {"a", "me", "he", "has", "i", "son"}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(LinguaLanguage.SPANISH, LinguaLanguage.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Load the detector's models now rather than on the first customer message."""
    _detector()


def detect_language(text: str, default: Language = "en") -> Language:
    """Return ``"es"`` or ``"en"``; ``default`` when the text gives no evidence."""
    tokens = words(text)
    es_hits = sum(1 for t in tokens if t in _ES_HINTS)
    en_hits = sum(1 for t in tokens if t in _EN_HINTS)
    if _SPANISH_MARKS.search(text):
        es_hits += 2
    if es_hits >= en_hits + 2:
        return "es"
    if en_hits >= es_hits + 2:
        return "en"
    if not any(len(t) > 2 and not t.isdigit() for t in tokens):
        return default
    found = _detector().detect_language_of(text)
    if found == LinguaLanguage.SPANISH:
        return "es"
    if found == LinguaLanguage.ENGLISH:
        return "en"
    return default
