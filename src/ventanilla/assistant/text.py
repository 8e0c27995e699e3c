"""Text normalisation, tokenising and stemming for Spanish and English."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

from ventanilla.assistant.knowledge import Language

TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)  # a word: letters and digits


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPANISH_STOPWORDS = _word_set(
    """a al algo algunas algunos ante antes como con contra cual cuando de del desde donde
    durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto
    estos fue ha hay la las le les lo los me mi mis mucho muy nada ni no nos o os otra otro
    para pero poco por porque que quien se sea ser si sin sobre su sus tambien te tengo ti
    tu tus un una uno unos y ya yo estoy estar he has hemos puedo puede quiero"""
)
ENGLISH_STOPWORDS = _word_set(
    """a about after all am an and any are as at be been being but by can could did do does
    doing for from had has have having he her here hers him his how i if in into is it its
    me my myself of on or our ours she should so some than that the their them then there
    these they this those to too was we were what when where which while who whom why will
    with would you your yours i'm im"""
)
STOPWORDS: dict[Language, frozenset[str]] = {"es": SPANISH_STOPWORDS, "en": ENGLISH_STOPWORDS}


def strip_accents(text: str) -> str:
    """Remove diacritics (``canción`` -> ``cancion``) but keep ``ñ`` distinct."""
    text = text.replace("ñ", "\0").replace("Ñ", "\1")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("\0", "ñ").replace("\1", "Ñ")


def words(text: str) -> list[str]:
    """Lower-case word tokens without accents."""
    return TOKEN_RE.findall(strip_accents(text.lower()))


def normalized(text: str) -> str:
    """Accent-free lower-case words joined by single spaces (what the rule patterns read)."""
    return " ".join(words(text))


_HANDLES_AND_LINKS = re.compile(r"@\w+|https?://\S+|www\.\S+")


def own_words(text: str) -> str:
    """The text without handles and links: what the customer wrote themselves."""
    return _HANDLES_AND_LINKS.sub(" ", text)


@lru_cache(maxsize=2)
def _stemmer(language: Language) -> Stemmer.Stemmer:
    return Stemmer.Stemmer("spanish" if language == "es" else "english")


def stems(text: str, language: Language) -> list[str]:
    """Stemmed content words of ``text`` in ``language`` (stopwords removed)."""
    tokens = [w for w in words(text) if w not in STOPWORDS[language]]
    result: list[str] = _stemmer(language).stemWords(tokens)
    return result


PUNCTUATION_DROPPED = "¿¡?!"
_MARKS = str.maketrans("", "", PUNCTUATION_DROPPED)
_REFERENCE = re.compile(r"#?\b[\w-]*\d[\w-]*\b|\{\{[^}]*\}\}")


def for_matching(text: str) -> str:
    """Text with reference numbers and template placeholders removed.

    Sentence embeddings react strongly to digits; an order number says nothing about
    what the customer wants.
    """
    cleaned = " ".join(_REFERENCE.sub(" ", text).translate(_MARKS).split())
    return cleaned or text.strip()
