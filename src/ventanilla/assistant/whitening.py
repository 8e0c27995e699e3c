"""Within-article covariance whitening of sentence embeddings.

Directions in which the example questions of one article vary (wording, politeness) are
shrunk; directions that separate articles are kept. Estimated per knowledge base, with
strong shrinkage towards the identity so that articles with few examples stay safe.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ventanilla.assistant.embeddings import Matrix

SHRINKAGE = 0.85


def whitening_transform(
    rows: Matrix, starts: npt.NDArray[np.int64], shrinkage: float = SHRINKAGE
) -> Matrix:
    """The matrix ``T`` such that ``normalize(x @ T)`` is the whitened embedding."""
    dims = rows.shape[1]
    if rows.shape[0] <= len(starts):
        return np.eye(dims, dtype=np.float32)
    counts = np.diff(np.append(starts, rows.shape[0]))
    means = np.add.reduceat(rows, starts, axis=0) / counts[:, None]
    residuals = rows - np.repeat(means, counts, axis=0)
    scatter = residuals.T @ residuals / rows.shape[0]
    scale = float(np.trace(scatter)) / dims or 1.0
    scatter = (1 - shrinkage) * scatter + shrinkage * scale * np.eye(dims)
    values, vectors = np.linalg.eigh(scatter.astype(np.float64))
    transform = (vectors * (1.0 / np.sqrt(np.maximum(values, 1e-9)))) @ vectors.T
    result: Matrix = (transform * np.sqrt(scale)).astype(np.float32)
    return result


def apply(vectors: Matrix, transform: Matrix) -> Matrix:
    """Whitened, L2-normalised copies of ``vectors`` (one per row)."""
    projected = vectors @ transform
    norms = np.linalg.norm(projected, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Matrix = (projected / norms).astype(np.float32)
    return result
