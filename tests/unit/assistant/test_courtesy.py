"""Greetings, thanks and sign-offs around a question: the question is what gets answered."""

from __future__ import annotations

import pytest

from ventanilla.assistant import Assistant, DecisionKind
from ventanilla.assistant.courtesy import only_courtesy, request_part
from ventanilla.assistant.state import ActionIntent


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Hola, buenas tardes. ¿Cuánto tarda el envío? Un saludo, Lucía",
         "¿Cuánto tarda el envío?"),
        ("Good morning, dear support team. What is your return policy? Thank you for your "
         "time. Best wishes, Anna", "What is your return policy?"),
        ("Hi, my name is Peter Walsh. Can I pay with PayPal? Kind regards, Peter",
         "Can I pay with PayPal?"),
        ("Estimados señores: necesito la factura de marzo. Atentamente, Ana Belén Torres",
         "necesito la factura de marzo."),
        ("hey where is my order", "where is my order"),
        ("hola buenas, quería saber si hacéis envíos a Canarias? 🙏",
         "quería saber si hacéis envíos a Canarias?"),
        ("Where is my parcel?\n\nSent from my iPhone", "Where is my parcel?"),
    ],
)
def test_courtesy_around_a_request_is_set_aside(text: str, asked: str) -> None:
    assert request_part(text) == asked


@pytest.mark.parametrize(
    "text",
    [
        "Thanks to you I lost my money",  # not thanks at all
        "This morning, I tried to pay and it failed",  # a time, not a greeting
        "¿Qué tal el envío urgente?",  # "qué tal" asking about something
        "I have a question about my invoice",
        "Hi, I'm not very good with computers. How do I reset my password?",
        "Hola",
        "Thank you so much!",
    ],
)
def test_words_that_carry_the_request_are_kept(text: str) -> None:
    kept = request_part(text)
    assert kept == text or kept.endswith("How do I reset my password?")
    if kept != text:  # only the greeting went; the context stays
        assert kept.startswith("I'm not very good with computers.")


@pytest.mark.parametrize(
    ("text", "courtesy"),
    [
        ("Hola, buenas tardes", True),
        ("Hi, Tom here.", True),
        ("Muchas gracias por la ayuda. Un saludo", True),
        ("Hola, ¿dónde está mi pedido?", False),
        ("Thanks to you I lost my money", False),
    ],
)
def test_a_message_that_is_only_courtesy_is_recognised(text: str, courtesy: bool) -> None:
    assert only_courtesy(text) is courtesy


@pytest.mark.parametrize(
    ("wrapped", "bare"),
    [
        ("Good morning, dear support team. What is your return policy? Thank you for your "
         "time. Best wishes, Anna", "What is your return policy?"),
        ("Hello, I hope you're doing well. I have a question. Can I pay with PayPal? "
         "Kind regards, Peter Walsh", "Can I pay with PayPal?"),
        ("Hola, buenas tardes. ¿Cuánto tarda el envío? Un saludo, Lucía",
         "¿Cuánto tarda el envío?"),
    ],
)
def test_a_wrapped_question_gets_the_answer_of_the_bare_one(
    assistant: Assistant, wrapped: str, bare: str
) -> None:
    plain = assistant.turn(None, bare).decision
    decision = assistant.turn(None, wrapped).decision
    assert plain.kind is DecisionKind.ANSWER
    assert (decision.kind, decision.article_id) == (DecisionKind.ANSWER, plain.article_id)
    assert decision.language == plain.language


def test_thanks_at_the_end_of_a_request_is_not_taken_for_small_talk(
    store_assistant: Assistant,
) -> None:
    decision = store_assistant.turn(None, "Hello. Please cancel order 10045. Thanks!").decision
    assert decision.kind is DecisionKind.CLARIFY
    assert "cancel order 10045" in decision.reply
    assert decision.state.confirming is ActionIntent.CANCEL_ORDER


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Hola, buenas tardes", "¡Hola! ¿En qué puedo ayudarte?"),
        ("Hi, Tom here.", "Hi! How can I help you?"),
    ],
)
def test_a_first_message_of_greetings_only_is_greeted_not_handed_off(
    assistant: Assistant, text: str, reply: str
) -> None:
    decision = assistant.turn(None, text).decision
    assert (decision.kind, decision.reply) == (DecisionKind.CLARIFY, reply)
