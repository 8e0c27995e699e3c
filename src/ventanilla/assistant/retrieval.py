"""Hybrid retrieval over the knowledge base: sentence embeddings plus BM25 with stemming.

Each article contributes one row per example question (and one for its title). An
article's semantic score blends its best row and its centroid; the lexical score is the
best BM25 row, relative to the best lexical match overall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import numpy.typing as npt

from ventanilla.assistant.embeddings import Encoder, Matrix
from ventanilla.assistant.english import DIMENSIONS as ENGLISH_DIMENSIONS
from ventanilla.assistant.english import EnglishEncoder, english_encoder, english_words
from ventanilla.assistant.head import ArticleHead, build_head
from ventanilla.assistant.knowledge import Article, Language
from ventanilla.assistant.spelling import Speller
from ventanilla.assistant.text import for_matching, stems
from ventanilla.assistant.whitening import apply, whitening_transform

Vector = npt.NDArray[np.float32]
SEMANTIC_WEIGHT = 0.92
CENTROID_WEIGHT = 0.4
WHITENED_WEIGHT = 0.5
# How far the head's probabilities move the ranking (not the scores); see search().
HEAD_WEIGHT = 0.2
# A sentence of a query whose best article scores less than this matches nothing here; such
# sentences are set aside when another scores at least SENTENCE_GAIN more than the whole.
CONTEXT_FLOOR = 0.5
SENTENCE_GAIN = 0.05
# Weight of the English encoder's embedding among the head's features (English texts).
ENGLISH_WEIGHT = 3.0
# Added to the semantic score of an article written in another language than the query,
# by (query language, article language). The same meaning scores lower across languages:
# a Spanish sentence's USE cosines to English ones run at about 0.75 x its English twin's
# + 0.035, which at the policy's floors (0.45-0.5) is 0.08 lower; the other way round,
# 0.83 x + 0.03, 0.05 lower. Fitted on the demo knowledge base's translated examples by
# scripts/fit_cross_language_offset.py; see docs/assistant.md.
CROSS_LANGUAGE_OFFSET: dict[tuple[Language, Language], float] = {
    ("es", "en"): 0.08,
    ("en", "es"): 0.05,
}


@dataclass(frozen=True)
class Candidate:
    """An article and how well it matches a query (scores in [0, 1])."""

    article: Article
    score: float
    semantic: float
    lexical: float


def article_texts(article: Article) -> list[str]:
    """The texts that stand for an article in the index: its title and example questions."""
    title = article.title.replace("_", " ").strip()
    texts = [title] if title else []
    texts.extend(e.strip() for e in article.examples if e.strip() and e.strip() != title)
    return texts or [article.id]


class KnowledgeIndex:
    """Immutable search index over a set of articles; build a new one when articles change."""

    def __init__(
        self,
        articles: Sequence[Article],
        encoder: Encoder,
        english: EnglishEncoder | bool | None = True,
    ) -> None:
        """``english``: the English encoder for the head's second view; True for the
        installed one (if any), None or False for none."""
        if len({a.id for a in articles}) != len(articles):
            raise ValueError("article ids must be unique")
        self.articles: tuple[Article, ...] = tuple(articles)
        self.encoder = encoder
        texts: list[str] = []
        starts: list[int] = []
        row_language: list[Language] = []
        for article in self.articles:
            starts.append(len(texts))
            own = article_texts(article)
            texts.extend(for_matching(t) for t in own)
            row_language.extend([article.language] * len(own))
        # Slips are corrected towards the words of articles in the question's language only.
        dictionary = english_words()
        is_word = getattr(encoder, "is_word", None)

        def known(word: str) -> bool:
            return word in dictionary or bool(is_word and is_word(word))

        self._spellers = {
            lang: Speller([t for t, r in zip(texts, row_language, strict=True) if r == lang], known)
            for lang in set(row_language)
        }
        self._starts = np.asarray(starts, dtype=np.int64)
        self._rows: Matrix = encoder.encode(texts) if texts else np.zeros((0, 512), np.float32)
        self._centroids = self._build_centroids(self._rows)
        self._transform = whitening_transform(self._rows, self._starts)
        self._white_rows = apply(self._rows, self._transform)
        self._white_centroids = self._build_centroids(self._white_rows)
        self._bm25 = bm25s.BM25()
        corpus = [stems(t, lang) for t, lang in zip(texts, row_language, strict=True)]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._public = np.asarray([a.audience == "public" for a in self.articles], dtype=bool)
        self._languages = np.asarray([a.language for a in self.articles])
        self._english: EnglishEncoder | None = (
            english_encoder() if english is True else english or None
        )
        self.head = self._build_head(texts, row_language)

    def _build_head(self, texts: list[str], row_language: list[Language]) -> ArticleHead | None:
        if HEAD_WEIGHT <= 0:
            return None
        counts = np.diff(np.append(self._starts, len(texts)))
        labels = np.repeat(np.arange(len(self.articles), dtype=np.int64), counts)
        english_rows = [i for i, lang in enumerate(row_language) if lang == "en"]
        encoder = self._english
        extra = None
        if encoder is not None and english_rows:

            def english_view() -> Matrix:
                view = np.zeros((len(texts), ENGLISH_DIMENSIONS), np.float32)
                view[english_rows] = ENGLISH_WEIGHT * encoder.encode(
                    [texts[i] for i in english_rows]
                )
                return view

            extra = (ENGLISH_DIMENSIONS, english_view)
        head, uses_english = build_head(
            self._white_rows, texts, row_language, labels, len(self.articles), extra
        )
        if not uses_english:
            self._english = None
        return head

    def corrected(self, text: str, language: Language) -> str:
        """``text`` with its typing slips read as words of the ``language`` articles."""
        speller = self._spellers.get(language)
        return speller.correct(text) if speller else text

    def head_view(self, vector: Vector, text: str, language: Language) -> Vector:
        """The query as the head's dense features: whitened embedding (+ English view)."""
        white = apply(vector, self._transform)
        if self._english is None:
            return white
        second = np.zeros(ENGLISH_DIMENSIONS, np.float32)
        if language == "en":
            second = ENGLISH_WEIGHT * self._english.encode([for_matching(text)])[0]
        view: Vector = np.concatenate([white, second]).astype(np.float32)
        return view

    def _build_centroids(self, rows: Matrix) -> Matrix:
        if not self.articles:
            return np.zeros((0, 512), np.float32)
        sums = np.add.reduceat(rows, self._starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        centroids: Matrix = (sums / norms).astype(np.float32)
        return centroids

    def __len__(self) -> int:
        return len(self.articles)

    def embed(self, text: str) -> Vector:
        """The query vector for ``text`` (computed once per turn and shared)."""
        vector: Vector = self.encoder.encode([for_matching(text)])[0]
        return vector

    def _lexical(self, query_stems: list[str]) -> Vector:
        if not query_stems or not self.articles:
            return np.zeros(len(self.articles), np.float32)
        rows = np.asarray(self._bm25.get_scores(query_stems), dtype=np.float32)
        best: Vector = np.maximum.reduceat(rows, self._starts).astype(np.float32)
        top = float(best.max()) if best.size else 0.0
        if top <= 0:
            return np.zeros_like(best)
        relative: Vector = (best / top).astype(np.float32)
        return relative

    def parts(self, vector: Vector, text: str, language: Language) -> tuple[Vector, Vector]:
        """Semantic and lexical score of every article for the query.

        Semantic scores of articles in another language than ``language`` are raised by
        ``CROSS_LANGUAGE_OFFSET`` so that they sit on the scale of same-language ones.
        """
        if not self.articles:
            empty = np.zeros(0, np.float32)
            return empty, empty
        semantic = self._semantic(self._rows, self._centroids, vector)
        if WHITENED_WEIGHT > 0:
            white = self._semantic(
                self._white_rows, self._white_centroids, apply(vector, self._transform)
            )
            semantic = (1 - WHITENED_WEIGHT) * semantic + WHITENED_WEIGHT * white
        for (query, article), offset in CROSS_LANGUAGE_OFFSET.items():
            if query == language:
                other = self._languages == article
                semantic = np.where(
                    other, np.minimum(semantic + offset, 1.0), semantic
                ).astype(np.float32)
        return semantic, self._lexical(stems(for_matching(text), language))

    def _semantic(self, rows: Matrix, centroids: Matrix, vector: Vector) -> Vector:
        best_row = np.maximum.reduceat(rows @ vector, self._starts)
        blended: Vector = (
            CENTROID_WEIGHT * (centroids @ vector) + (1 - CENTROID_WEIGHT) * best_row
        ).astype(np.float32)
        return blended

    def search(
        self, vector: Vector, text: str, language: Language, *, k: int = 5,
        public_only: bool = True, sentences: Sequence[tuple[Vector, str]] = (),
    ) -> list[Candidate]:
        """The ``k`` best articles for the query, best first.

        ``sentences``: the query's sentences (vector and text each) when it has several.
        A message that tells its story before or after its question ("I'm writing from my
        husband's phone. How do I reset my password?") matches every article less well as
        a whole than its question does alone. Sentences that match no article (best score
        under ``CONTEXT_FLOOR``) are set aside when one of the others matches better alone
        than the whole message (by ``SENTENCE_GAIN``); the rest is the query.

        Translations of one article (same slug, other language) count once: only the
        better ranked of them is a candidate, so the customer is never offered the same
        article twice.
        """
        if not self.articles:
            return []
        eligible = self._public if public_only else np.ones(len(self.articles), dtype=bool)
        semantic, lexical, blended = self._scores(vector, text, language)
        if sentences and eligible.any():
            query = self._on_topic(
                float(blended[eligible].max()), language, sentences, eligible
            )
            if query is not None:
                vector, text, (semantic, lexical, blended) = query
        rank = blended
        if self.head is not None:
            # The trained head re-orders the candidates; each keeps its retrieval score,
            # which the policy's thresholds and the calibration were set on. A candidate
            # promoted over a higher-scoring one therefore leaves a zero margin, and the
            # policy offers both rather than answering.
            probs = self.head.probabilities(
                self.head_view(vector, text, language), for_matching(text), language
            )
            rank = (blended + HEAD_WEIGHT * probs).astype(np.float32)
        rank = np.where(eligible, rank, -np.inf).astype(np.float32)
        found: list[Candidate] = []
        languages_of: dict[str, Language] = {}
        for i in np.argsort(-rank, kind="stable"):
            if len(found) == k or not np.isfinite(rank[i]):
                break
            article = self.articles[i]
            if languages_of.setdefault(article.slug, article.language) != article.language:
                continue  # a translation of a better-ranked candidate
            found.append(
                Candidate(article, float(blended[i]), float(semantic[i]), float(lexical[i]))
            )
        return found

    def _on_topic(
        self, whole: float, language: Language, sentences: Sequence[tuple[Vector, str]],
        eligible: npt.NDArray[np.bool_],
    ) -> tuple[Vector, str, tuple[Vector, ...]] | None:
        """The query without its sentences that match no article (with its scores), when
        some others do and one of them matches better alone than the message does
        (``whole``, its best score); None to keep the whole message."""
        scored = [(v, t, self._scores(v, t, language)) for v, t in sentences]
        tops = [float(scores[2][eligible].max()) for _, _, scores in scored]
        kept = [s for s, top in zip(scored, tops, strict=True) if top >= CONTEXT_FLOOR]
        if not kept or len(kept) == len(sentences) or max(tops) < whole + SENTENCE_GAIN:
            return None
        if len(kept) == 1:
            return kept[0]
        joined = " ".join(t for _, t, _ in kept)
        vector = self.embed(joined)
        return vector, joined, self._scores(vector, joined, language)

    def _scores(self, vector: Vector, text: str, language: Language) -> tuple[Vector, ...]:
        """Semantic, lexical and blended score of every article for the query."""
        semantic, lexical = self.parts(vector, text, language)
        if lexical.any():
            blended = SEMANTIC_WEIGHT * semantic + (1 - SEMANTIC_WEIGHT) * lexical
        else:  # no shared words (e.g. another language): meaning alone decides
            blended = semantic
        return semantic, lexical, blended.astype(np.float32)
