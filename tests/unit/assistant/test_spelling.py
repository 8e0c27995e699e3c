"""Typing slips are read as the knowledge base's own words."""

from __future__ import annotations

import pytest

from ventanilla.assistant import Assistant, DecisionKind
from ventanilla.assistant.embeddings import UseEncoder
from ventanilla.assistant.english import english_words
from ventanilla.assistant.spelling import Speller

KB_TEXTS = (
    "how do I reset my password", "¿cuál es la política de devolución?",
    "cancel my order", "where is my order", "list my orders", "where is my parcel",
    "I want a reimburfsement",  # a slip in an example
)
# Real words, as the encoders' vocabularies tell them.
KNOWN = frozenset({
    "password", "política", "devolución", "order", "orders", "parcel", "passport", "políticas",
})


@pytest.mark.parametrize(
    ("text", "corrected"),
    [
        ("how do I reset my pasword", "how do I reset my password"),  # letter dropped
        ("where is my parcle", "where is my parcel"),  # neighbours swapped
        ("cancel my orderr", "cancel my order"),  # letter doubled (five letters or more)
        ("polítca de devoluion", "política de devolución"),  # accents as the articles have them
        ("cancel my ordes", "cancel my order"),  # "order" twice, "orders" once: the former
    ],
)
def test_a_slip_one_edit_from_a_knowledge_base_word_is_corrected(
    text: str, corrected: str
) -> None:
    assert Speller(KB_TEXTS, KNOWN.__contains__).correct(text) == corrected


@pytest.mark.parametrize(
    "text",
    [
        "reset my passport",  # a real word no article uses: not a slip
        "where is my ordr",  # four letters: too short to tell
        "cancel my order 10045",
        "la políticas",  # a real word one letter from an article's
        "I want a reimbursement",  # not towards an example's own slip
    ],
)
def test_real_words_and_short_words_are_left_alone(text: str) -> None:
    assert Speller(KB_TEXTS, KNOWN.__contains__).correct(text) == text


def test_the_encoders_tell_real_words_from_slips(encoder: UseEncoder) -> None:
    assert encoder.is_word("producto") and encoder.is_word("password")
    assert not encoder.is_word("prodcto")
    if english_words():
        assert "passport" in english_words() and "pasword" not in english_words()


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("retrun polcy", "returns-en"),
        ("quiero devolvr un prodcto", "returns-es"),
        ("can I chnage my adress", "change-or-cancel-order-en"),
        ("quiero cancelar mi pedidio", "change-or-cancel-order-es"),
    ],
)
def test_a_mistyped_question_gets_its_answer(
    demo_assistant: Assistant, text: str, article: str
) -> None:
    decision = demo_assistant.turn(None, text).decision
    assert (decision.kind, decision.article_id) == (DecisionKind.ANSWER, article)
