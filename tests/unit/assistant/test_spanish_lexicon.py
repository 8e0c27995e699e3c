"""The Spanish polarity cues the sentiment model reads for Spanish messages."""

from __future__ import annotations

import pytest

from ventanilla.assistant.spanish_lexicon import LEXICON, features, polarity


def test_praise_and_anger_weigh_on_their_own_side() -> None:
    positive, negative = polarity("El envío llegó genial, muchas gracias")
    assert positive > 0 and negative == 0
    positive, negative = polarity("Un servicio pésimo, qué vergüenza")
    assert negative > 0 and positive == 0


def test_accents_and_capitals_do_not_matter_but_the_tilde_on_n_does() -> None:
    assert polarity("PÉSIMO") == polarity("pesimo")
    assert polarity("qué pena")[1] > 0
    assert polarity("la peña del barrio") == (0.0, 0.0)


def test_negation_turns_a_word_around_but_weaker() -> None:
    plain_positive, _ = polarity("el producto es bueno")
    _, negated = polarity("el producto no es bueno")
    assert negated > 0
    assert negated < plain_positive
    # Negation reaches a few words, not the whole message.
    positive, _ = polarity("no lo sabía, pero al final todo fue bueno")
    assert positive > 0


def test_intensifiers_strengthen_the_next_word() -> None:
    assert polarity("muy malo")[1] > polarity("malo")[1]


@pytest.mark.parametrize("word", ["quiero", "ayuda", "claro", "solo", "espera", "pedido"])
def test_words_customers_use_neutrally_carry_no_polarity(word: str) -> None:
    assert word not in LEXICON
    assert polarity(f"{word} cancelar mi pedido") == (0.0, 0.0)


def test_laughter_emoticons_and_emphasis_are_read() -> None:
    calm = features("El pedido llegó el martes")
    happy = features("jajaja me encantó :) 😂")
    sad = features("otra vez sin respuesta :( 😭")
    shouting = features("¡¡¡Otra vez!!!")
    question = features("¿Cuándo llega?")
    assert calm[3] == 0 and happy[3] == 1  # laughter
    assert happy[4] == 1 and sad[4] == -1 and calm[4] == 0  # emoticons
    assert happy[2] > calm[2] > sad[2]  # overall polarity
    assert shouting[5] == 1 and calm[5] == 0  # exclamation marks
    assert question[6] == 1 and calm[6] == 0
    assert len(calm) == 8


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("Me cancelaron el vuelo y me extraviaron la maleta, es inaceptable", "negative"),
        ("Muy atentos y eficientes, problema resuelto", "positive"),
    ],
)
def test_service_complaints_and_praise_are_covered(text: str, side: str) -> None:
    positive, negative = polarity(text)
    assert (positive > negative) == (side == "positive")
