"""Per-message sentiment (negative / neutral / positive) and a frustration signal.

A multinomial logistic regression over multilingual sentence embeddings, lexicon scores
(VADER for English, ``spanish_lexicon`` for Spanish) and a language flag, trained on
Spanish and English tweets by ``scripts/build_sentiment_model.py``. English messages also
get the English encoder's embedding (``english.py``) when its package is installed: a
second set of weights, trained with it, scores them. The weights ship in
``models/sentiment.npz``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from ventanilla.assistant import service_cues, spanish_lexicon
from ventanilla.assistant.embeddings import Encoder, default_encoder
from ventanilla.assistant.english import EnglishEncoder, english_encoder
from ventanilla.assistant.intents import complaint_cues, emphasis_cues
from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.language import detect_language
from ventanilla.assistant.text import for_matching

LABELS = ("negative", "neutral", "positive")
MODEL_PATH = Path(__file__).with_name("models") / "sentiment.npz"
FloatMatrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SentimentResult:
    label: str
    scores: dict[str, float]
    frustration: float
    frustrated: bool
    language: Language


def normalize_tweet(text: str) -> str:
    """Mask handles and links the way the training tweets are masked."""
    text = re.sub(r"@\w+", "@user", text)
    return re.sub(r"https?://\S+", "http", text).strip()


# Words of customer service that VADER's general lexicon lacks or reads the wrong way,
# on its scale (-4 to 4): travel and delivery mishaps, outages, and "joke", which VADER
# scores as positive although customers write it as "is this a joke".
SERVICE_VALENCE = {
    "delays": -1.3, "delaying": -1.0, "canceled": -1.0, "cancellation": -0.8,
    "stranded": -2.0, "overbooked": -1.5, "bumped": -1.0, "misplaced": -1.3,
    "mishandled": -1.8, "overcharged": -2.0, "inconvenienced": -1.5, "unhelpful": -1.8,
    "unreachable": -1.3, "unresponsive": -1.5, "nightmare": -2.5, "outage": -1.8,
    "downtime": -1.2, "disconnected": -1.0, "crashed": -1.5, "crashes": -1.5,
    "glitch": -1.2, "glitches": -1.2, "buggy": -1.5, "laggy": -1.3, "unusable": -2.0,
    "undelivered": -1.5, "joke": -1.0,
}


# How much likelier a complaint is than in the training tweets, for a statement (not a
# question or a request) about what a company sells or runs: the tweets are a third
# negative, messages to a service about half to two thirds (63 % in the published airline
# tweets), so the odds are about two to three times as high.
SERVICE_REPORT_NEGATIVE_ODDS = 2.5
# How much likelier praise is than the model thinks, for thanks with no problem left
# standing at the end ("the flight was cancelled, but the agent rebooked me. Thank you!").
GRATEFUL_POSITIVE_ODDS = 4.0


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(SERVICE_VALENCE)
    return analyzer


def lexicon_features(texts: Sequence[str], languages: Sequence[Language]) -> FloatMatrix:
    """VADER scores for English texts, the Spanish lexicon's for Spanish ones (zeros in the
    other language's columns), each block ending in its language's flag."""
    width = 5 + spanish_lexicon.WIDTH
    rows = []
    for text, language in zip(texts, languages, strict=True):
        row = [0.0] * width
        if language == "en":
            s = _vader().polarity_scores(text)
            row[:5] = [2 * s["neg"], 2 * s["neu"], 2 * s["pos"], 2 * s["compound"], 1.0]
        else:
            row[5:] = spanish_lexicon.features(text)
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), width)


def features(
    embeddings: FloatMatrix, texts: Sequence[str], languages: Sequence[Language],
    english: FloatMatrix | None = None,
) -> FloatMatrix:
    """The model's input: embedding of the normalised text, then (for the English-view
    weights) the English encoder's embedding, zeros for other languages, then the lexicon
    features."""
    return _stack(embeddings, english, lexicon_features(texts, languages))


def _stack(
    embeddings: FloatMatrix, english: FloatMatrix | None, lexicon: FloatMatrix
) -> FloatMatrix:
    parts = [embeddings] if english is None else [embeddings, english]
    return np.hstack([*parts, lexicon]).astype(np.float32)


class SentimentModel:
    """Loads the shipped weights; thread-safe after construction.

    ``english``: the English encoder for English messages; True for the shared one (when
    its package is installed), None to score every message with the base weights.
    ``read_cues``: False gives the trained model's own label, without the service cues and
    complaint words (for comparison only)."""

    def __init__(
        self, encoder: Encoder | None = None, path: Path = MODEL_PATH,
        english: EnglishEncoder | bool | None = True, read_cues: bool = True,
    ) -> None:
        self._read_cues = read_cues
        data = np.load(path)
        self._weights: FloatMatrix = data["weights"].astype(np.float32)
        self._bias: FloatMatrix = data["bias"].astype(np.float32)
        self._encoder = encoder or default_encoder()
        self._english: EnglishEncoder | None = None
        if "english_weights" in data.files:
            self._english_weights: FloatMatrix = data["english_weights"].astype(np.float32)
            self._english_bias: FloatMatrix = data["english_bias"].astype(np.float32)
            self._english = english_encoder() if english is True else english or None

    @property
    def uses_english_view(self) -> bool:
        return self._english is not None

    def warm_up(self) -> None:
        """Load the English encoder now rather than on the first English message."""
        if self._english is not None:
            self._english.encode(["warm up"])

    def probabilities(
        self, texts: Sequence[str], languages: Sequence[Language],
        embeddings: FloatMatrix | None = None,
    ) -> FloatMatrix:
        clean = [normalize_tweet(t) for t in texts]
        if embeddings is None:
            embeddings = self._encoder.encode(clean)
        lexicon = lexicon_features(clean, languages)
        logits = _stack(embeddings, None, lexicon) @ self._weights + self._bias
        english = [i for i, lang in enumerate(languages) if lang == "en"]
        if self._english is not None and english:
            # The text as retrieval reads it, so a turn's two uses share one computation.
            view = self._english.encode([for_matching(clean[i]) for i in english])
            logits[english] = (
                _stack(embeddings[english], view, lexicon[english])
                @ self._english_weights + self._english_bias
            )
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        result: FloatMatrix = exp / exp.sum(axis=1, keepdims=True)
        return result

    def analyze(self, text: str, language: Language | None = None) -> SentimentResult:
        """Sentiment of one message."""
        lang = language or detect_language(text)
        probs = self.probabilities([text], [lang])[0]
        service = service_cues.read(text) if self._read_cues else service_cues.ServiceCues()
        # Complaint words, irony and "thanks for nothing" count on their own; emphasis only
        # in a message that does not read as positive, so a delighted "Thank you so much!!"
        # never hands off. A wait or a persisting problem alone does not: the customer may
        # just want the status, which the assistant can give.
        complaints = complaint_cues(text) + int(service.ironic) + int(service.thanks_for_nothing)
        if service.negative:
            # Irony, "thanks for nothing", a problem that persists, a long wait or a
            # question that complains: a bad experience whatever the words' polarity.
            probs = _to_negative(probs)
        elif service.grateful and not complaints and int(np.argmax(probs)) != 2:
            # Thanks or praise with no problem left at the end: the model reads the story
            # of the problem. A problem put right ("the flight was cancelled, but the agent
            # rebooked me in ten minutes, thank you!") is praise whatever the model says.
            probs = (_to_positive(probs) if service.recovered
                     else _with_odds(probs, 2, GRATEFUL_POSITIVE_ODDS))
        elif service.service_report and int(np.argmax(probs)) == 1:
            # A flat statement about an order, a flight, a bill...: customers write to a
            # service to complain far more often than the tweets the model learnt from did.
            # Praise keeps its reading: the model reads it well.
            probs = _with_odds(probs, 0, SERVICE_REPORT_NEGATIVE_ODDS)
        label = LABELS[int(np.argmax(probs))]
        if label == "neutral" and self._read_cues and (complaints or service.own_mishap):
            # "Nobody answers the phone" and "my bag was lost" are not neutral. Emphasis
            # alone does not count: tweets shout with joy as often as with anger.
            probs = _to_negative(probs)
            label = "negative"
        cues = complaints + (0 if label == "positive" else emphasis_cues(text))
        scores = {name: float(p) for name, p in zip(LABELS, probs, strict=True)}
        frustration = min(1.0, 0.4 * cues + 0.5 * max(0.0, scores["negative"] - 0.5))
        return SentimentResult(
            label=label, scores=scores, frustration=frustration,
            frustrated=cues >= 1, language=lang,
        )


def _with_odds(probs: FloatMatrix, label: int, factor: float) -> FloatMatrix:
    """Multiply the odds of ``label`` against the other labels by ``factor``."""
    shifted = probs.astype(np.float32, copy=True)
    shifted[label] *= factor
    result: FloatMatrix = shifted / shifted.sum()
    return result


def _to_positive(probs: FloatMatrix) -> FloatMatrix:
    """Move the negative probability and half the neutral one to positive."""
    neg, neu, pos = (float(p) for p in probs)
    return np.array([0.0, neu / 2, pos + neg + neu / 2], dtype=np.float32)


def _to_negative(probs: FloatMatrix) -> FloatMatrix:
    """Move the positive probability and half the neutral one to negative, which then
    comes first."""
    neg, neu, pos = (float(p) for p in probs)
    return np.array([neg + pos + neu / 2, neu / 2, 0.0], dtype=np.float32)


_model: SentimentModel | None = None
_model_lock = threading.Lock()


def default_model() -> SentimentModel:
    """The process-wide sentiment model over the shared encoder."""
    global _model
    with _model_lock:
        if _model is None:
            _model = SentimentModel()
        return _model


def analyze(text: str, language: Language | None = None) -> SentimentResult:
    """Sentiment and frustration of one customer message."""
    return default_model().analyze(text, language)
