"""The English encoder (all-MiniLM-L6-v2 in numpy) behind the head's second view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.unit.assistant.shared import english_or_skip
from ventanilla.assistant.english import EnglishEncoder, WordPiece, model_folder, read_safetensors


@pytest.fixture(scope="module")
def english() -> EnglishEncoder:
    return english_or_skip()


def test_text_is_cut_into_the_models_word_pieces(english: EnglishEncoder) -> None:
    folder = model_folder()
    assert folder is not None
    tokenizer = WordPiece(folder / "vocab.txt")
    names = {i: t for t, i in tokenizer.ids.items()}
    pieces = [names[i] for i in tokenizer.encode("I can't LOG-IN to my Cuénta!!")]
    # As the model's own (Hugging Face) tokenizer cuts it.
    assert pieces == ["[CLS]", "i", "can", "'", "t", "log", "-", "in", "to", "my",
                      "cue", "##nta", "!", "!", "[SEP]"]


def test_paraphrases_are_closer_than_other_topics(english: EnglishEncoder) -> None:
    forgot, remember, hours = english.encode(
        ["I forgot my password", "I can't remember my password", "what time do you open"]
    )
    assert float(forgot @ remember) > float(forgot @ hours) + 0.3
    assert np.allclose(np.linalg.norm([forgot, remember, hours], axis=1), 1.0, atol=1e-5)


def test_a_text_encodes_the_same_alone_or_batched_with_longer_ones(
    english: EnglishEncoder,
) -> None:
    short = "card not arrived"
    batch = english.encode([short, "my card still has not arrived after two weeks, why?"])
    alone = english.encode([short])
    assert np.allclose(batch[0], alone[0], atol=1e-5)


def test_weights_that_are_not_the_published_model_are_refused(tmp_path: Path) -> None:
    forged = tmp_path / "model.safetensors"
    forged.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(ValueError, match="not the published"):
        read_safetensors(forged)


def test_a_repeated_text_gets_the_same_vector_and_callers_cannot_spoil_it(
    english: EnglishEncoder,
) -> None:
    first = english.encode(["where is my refund"])
    expected = first.copy()
    first *= 0  # a caller scaling its own copy in place
    again = english.encode(["where is my refund"])
    assert np.allclose(again, expected, atol=1e-6)
    assert np.allclose(english.encode(["where is my refund", "hello"])[0], expected, atol=1e-5)
