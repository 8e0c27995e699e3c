"""A question told with its story: sentences about the customer's circumstances are set aside
when they match no article, and the question is answered as if asked alone."""

from __future__ import annotations

import pytest

from ventanilla.assistant import Assistant, DecisionKind


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("My daughter usually sorts these things out for me, but she is abroad this month. "
         "Is shipping free?", "shipping-costs-en"),
        ("¿Aceptáis PayPal? Es que me voy de viaje el lunes y estaré fuera dos semanas.",
         "payment-methods-es"),
        ("Mi marido es el que suele encargarse de estas cosas, pero hoy está trabajando. "
         "¿Puedo pagar con Bizum?", "payment-methods-es"),
        ("Llevo tres años comprando vuestro café y estoy encantada. "
         "¿Cómo pauso la suscripción?", "subscription-es"),
        ("I moved house three weeks ago and everything is still in boxes. I need an invoice.",
         "invoice-en"),
    ],
)
def test_a_question_after_or_before_its_story_gets_its_answer(
    demo_assistant: Assistant, text: str, article: str
) -> None:
    decision = demo_assistant.turn(None, text).decision
    assert (decision.kind, decision.article_id) == (DecisionKind.ANSWER, article)


@pytest.mark.parametrize(
    "text",
    [
        "I'm travelling around Japan this month for work. What will the weather be like in "
        "Kyoto tomorrow?",
        "Mi hermano se casa en junio y estoy muy nerviosa. ¿Me recomiendas un restaurante?",
    ],
)
def test_a_story_around_a_question_from_elsewhere_is_still_not_answered(
    demo_assistant: Assistant, text: str
) -> None:
    decision = demo_assistant.turn(None, text).decision
    assert decision.kind is not DecisionKind.ANSWER
    assert not decision.options


def test_sentences_that_each_match_articles_are_read_together(
    demo_assistant: Assistant,
) -> None:
    """Nothing is set aside when every sentence is about the shop: the whole is the query."""
    text = "My order arrived yesterday. The brewer is broken."
    whole = demo_assistant.suggest(text)
    assert whole[0].article.id == "damaged-order-en"
    decision = demo_assistant.turn(None, text).decision
    assert (decision.kind, decision.article_id) == (DecisionKind.ANSWER, "damaged-order-en")
