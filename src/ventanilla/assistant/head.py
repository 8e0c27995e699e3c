"""A per-knowledge-base classifier over the articles, trained from their example questions.

Multinomial logistic regression (numpy only) over two views of a text:

* its sentence embedding after the knowledge base's whitening (512 numbers);
* TF-IDF weights of its stemmed words, stem pairs and character 4-grams, over the
  features that occur in at least two rows of the knowledge base (at most
  ``MAX_FEATURES``, the most frequent).

Rows are weighted so that every article counts the same whatever its number of examples.
The head is trained when the index is built, with a fixed number of full-batch Adam steps.
Its probabilities re-rank the retrieval candidates (see ``retrieval.py``); they never
replace the retrieval score. Training cost grows with rows x features x articles, so a
knowledge base too large for ``MAX_WORK`` gets no head and retrieval alone decides there
(sub-sampling the examples was tried and made the head worse than retrieval).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from ventanilla.assistant.knowledge import Language
from ventanilla.assistant.text import stems, words

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

STEPS = 120
LEARNING_RATE = 0.02
L2 = 1e-4
SCALE = 5.0  # features are unit-length; this sets the temperature of the softmax
CHAR_ORDER = 4
MIN_DF = 2
MAX_FEATURES = 3000
# Training budget in multiply-adds (steps x rows x features x articles, about 5-10 s on
# one core) and in feature-matrix cells (memory: 4 bytes each).
MAX_WORK = 100e9
MAX_CELLS = 30_000_000


def text_features(text: str, language: Language) -> list[str]:
    """Sparse feature names of ``text``: stems, stem pairs and character 4-grams."""
    stemmed = stems(text, language)
    feats = [f"w:{s}" for s in stemmed]
    feats.extend(f"b:{a} {b}" for a, b in pairwise(stemmed))
    for word in words(text):
        padded = f" {word} "
        feats.extend(
            f"c:{padded[i : i + CHAR_ORDER]}" for i in range(max(1, len(padded) - CHAR_ORDER + 1))
        )
    return feats


class TfIdf:
    """Vocabulary and IDF of the training rows; features outside it are ignored."""

    def __init__(self, documents: Sequence[list[str]]) -> None:
        df: dict[str, int] = {}
        for doc in documents:
            for name in set(doc):
                df[name] = df.get(name, 0) + 1
        frequent = sorted((n for n, c in df.items() if c >= MIN_DF), key=lambda n: -df[n])
        kept = frequent[:MAX_FEATURES]
        self.vocabulary = {name: column for column, name in enumerate(kept)}
        counts = np.asarray([df[name] for name in kept], dtype=np.float32)
        self.idf: FloatArray = (np.log((1 + len(documents)) / (1 + counts)) + 1).astype(np.float32)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def row(self, doc: list[str]) -> tuple[IntArray, FloatArray]:
        """Columns and L2-normalised log-TF x IDF weights of one text's features."""
        counts: dict[int, int] = {}
        for name in doc:
            column = self.vocabulary.get(name)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (
            np.fromiter(
                (1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts)
            )
            * self.idf[columns]
        )
        norm = float(np.linalg.norm(values))
        if norm > 0:
            values /= norm
        return columns, values.astype(np.float32)


def _softmax(logits: FloatArray) -> FloatArray:
    shifted: FloatArray = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


class ArticleHead:
    """Probabilities over the articles for a query, from a trained linear model."""

    def __init__(
        self,
        dense: FloatArray,
        docs: Sequence[list[str]],
        labels: IntArray,
        classes: int,
        tfidf: TfIdf | None = None,
    ) -> None:
        """``dense``: one whitened embedding per row; ``docs``: its ``text_features``;
        ``labels``: the row's article index (every article in ``range(classes)``)."""
        self.classes = classes
        self.tfidf = tfidf or TfIdf(docs)
        dims = dense.shape[1]
        features = np.zeros((len(docs), dims + len(self.tfidf)), np.float32)
        features[:, :dims] = dense
        for i, doc in enumerate(docs):
            columns, values = self.tfidf.row(doc)
            features[i, dims + columns] = values
        features *= SCALE
        weights, self.bias = _train(features, labels, classes)
        self.dense_weights: FloatArray = weights[:dims].copy()
        self.sparse_weights: FloatArray = weights[dims:].copy()

    def probabilities(self, dense: FloatArray, text: str, language: Language) -> FloatArray:
        """P(article | query) for every article, from the query's whitened embedding."""
        columns, values = self.tfidf.row(text_features(text, language))
        logits = (dense * SCALE) @ self.dense_weights + self.bias
        if len(columns):
            logits += (values * SCALE) @ self.sparse_weights[columns]
        return _softmax(logits.astype(np.float32))


def _train(features: FloatArray, labels: IntArray, classes: int) -> tuple[FloatArray, FloatArray]:
    """Class-balanced, L2-regularised softmax regression by full-batch Adam."""
    n = features.shape[0]
    counts = np.bincount(labels, minlength=classes).astype(np.float32)
    sample = (1.0 / (classes * np.maximum(counts[labels], 1))).astype(np.float32)
    target = np.zeros((n, classes), np.float32)
    target[np.arange(n), labels] = 1.0
    weights = np.zeros((features.shape[1], classes), np.float32)
    bias = np.zeros(classes, np.float32)
    params = (weights, bias)
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    beta1, beta2 = 0.9, 0.999
    for step in range(1, STEPS + 1):
        grad = features @ weights
        grad += bias
        grad = _softmax(grad)
        grad -= target
        grad *= sample[:, None]
        grads = (features.T @ grad + L2 * weights, grad.sum(axis=0))
        for p, g, m, v in zip(params, grads, first, second, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * (g * g)
            p -= (LEARNING_RATE / (1 - beta1**step)) * m / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
    return weights, bias


def _too_costly(rows: int, width: int, classes: int) -> bool:
    return STEPS * rows * width * classes > MAX_WORK or rows * width > MAX_CELLS


def build_head(
    dense: FloatArray,
    texts: Sequence[str],
    languages: Sequence[Language],
    labels: IntArray,
    classes: int,
    extra: tuple[int, Callable[[], FloatArray]] | None = None,
) -> tuple[ArticleHead | None, bool]:
    """A head trained on every row, or None when the knowledge base exceeds the budget
    (or has fewer than two articles); and whether it uses ``extra``.

    ``extra`` is (width, a function computing that many more dense features per row): they
    are computed and used only when the head still fits the budget with them."""
    if classes < 2 or not len(labels) or _too_costly(len(labels), dense.shape[1], classes):
        return None, False
    docs = [text_features(t, lang) for t, lang in zip(texts, languages, strict=True)]
    tfidf = TfIdf(docs)
    sparse = len(tfidf)
    if extra is not None and not _too_costly(
        len(labels), dense.shape[1] + extra[0] + sparse, classes
    ):
        wider = np.hstack([dense, extra[1]()]).astype(np.float32)
        return ArticleHead(wider, docs, labels, classes, tfidf), True
    if _too_costly(len(labels), dense.shape[1] + sparse, classes):
        return None, False
    return ArticleHead(dense, docs, labels, classes, tfidf), False
