"""The note an agent reads when the assistant hands a conversation over."""

from __future__ import annotations

import pytest

from tests.unit.assistant.conftest import HELP_CENTER
from ventanilla.assistant import Assistant, AssistantState, DecisionKind, HandoffReason
from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import ActionIntent
from ventanilla.assistant.summary import (
    ActionRun,
    HandoffSummary,
    build_handoff_summary,
    is_request,
    note_language,
)
from ventanilla.assistant.summary_text import ActionFailure
from ventanilla.services.assistant_pool import Computed, compute

CATALOG = ArticleCatalog(HELP_CENTER)


def converse(assistant: Assistant, *texts: str) -> Computed:
    """The customer writes ``texts`` one after another; the last turn's result."""
    state = AssistantState()
    computed = None
    for text in texts:
        computed = compute(assistant, state, text)
        state = computed.turn.decision.state
    assert computed is not None
    return computed


def lines(note: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in note.splitlines())


def test_an_english_conversation_gets_an_english_note(assistant: Assistant) -> None:
    computed = converse(assistant, "How long does shipping take?", "I want to talk to a person")
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Wants"] == "How long does shipping take?"
    assert note["Tried"] == 'answered with the article "Shipping times"'
    assert note["Language"] == "English"
    assert note["Hand-off reason"] == "The customer asked to talk to a person."
    assert "Qué quiere" not in computed.summary


def test_a_spanish_conversation_gets_a_spanish_note(assistant: Assistant) -> None:
    computed = converse(
        assistant, "Hola", "¿Cuánto tarda en llegar el envío?", "quiero hablar con una persona"
    )
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Qué quiere"] == "¿Cuánto tarda en llegar el envío?"
    assert note["Qué se intentó"] == "respuesta con el artículo «Plazos de envío»"
    assert note["Idioma"] == "español"
    assert note["Motivo del traspaso"] == "El cliente pidió hablar con una persona."


def test_the_agent_reads_the_note_in_their_own_language(assistant: Assistant) -> None:
    computed = converse(assistant, "How long does shipping take?", "I want to talk to a person")
    assert computed.note is not None
    note = lines(computed.note.as_text("es"))
    assert note["Qué quiere"] == "How long does shipping take?"  # the customer's own words
    assert note["Idioma"] == "inglés"
    assert note["Motivo del traspaso"] == "El cliente pidió hablar con una persona."


@pytest.mark.parametrize("reason", list(HandoffReason))
@pytest.mark.parametrize("language", ["es", "en"])
def test_every_hand_off_reason_reads_as_a_sentence(
    reason: HandoffReason, language: Language
) -> None:
    state = AssistantState(language="en", customer_messages=("help",), failed_attempts=2)
    summary = build_handoff_summary(state, CATALOG, reason=reason)
    text = summary.reason_text(language)
    assert text is not None and text.endswith(".") and text[0].isupper()
    assert reason.value not in summary.as_text(language)
    assert text in summary.as_text(language)


def test_failed_attempts_and_people_only_topics_are_named() -> None:
    failed = AssistantState(language="es", customer_messages=("no va",), failed_attempts=2)
    summary = build_handoff_summary(failed, CATALOG, reason=HandoffReason.FAILED_ATTEMPTS)
    assert "(2 intentos fallidos)" in (summary.reason_text() or "")
    legal = AssistantState(language="en", tried=("legal",), customer_messages=("I'll sue",))
    summary = build_handoff_summary(legal, CATALOG, reason=HandoffReason.HUMAN_ONLY)
    assert summary.reason_text() == (
        'This topic is handled by people only: "Legal claims and disputes".'
    )
    assert "Offered" not in summary.as_text()  # it was never offered as an answer


def test_a_hand_off_from_an_order_action_says_which_action_failed(
    store_assistant: Assistant,
) -> None:
    computed = converse(store_assistant, "where is my order 55821?")
    assert computed.turn.decision.kind is DecisionKind.ACT
    assert computed.summary is not None and computed.note is not None
    assert lines(computed.summary)["Hand-off reason"] == (
        "The assistant could not complete the status check of order 55821; its reply to the "
        "customer says why."
    )
    told = computed.note.with_failure(ActionFailure.NOT_OWNER).as_text("es")
    assert lines(told)["Motivo del traspaso"] == (
        "El pedido no está a nombre de ningún correo o teléfono verificado del cliente, así "
        "que no se hizo la consulta del estado del pedido 55821."
    )


@pytest.mark.parametrize("failure", list(ActionFailure))
@pytest.mark.parametrize("language", ["es", "en"])
def test_every_action_failure_reads_as_a_sentence(
    failure: ActionFailure, language: Language
) -> None:
    state = AssistantState(language="es", customer_messages=("cancela el pedido 4521",))
    summary = build_handoff_summary(
        state, CATALOG, failed_action=ActionRun(ActionIntent.CANCEL_ORDER, "4521")
    ).with_failure(failure)
    text = summary.reason_text(language)
    assert text is not None and "4521" in text and text.endswith(".")
    assert failure.value not in summary.as_text(language)


def test_actions_run_earlier_count_as_tried(store_assistant: Assistant) -> None:
    computed = converse(
        store_assistant, "where is my order 55821?", "I want to talk to a person"
    )
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Tried"] == "status check of order 55821"
    assert note["Orders"] == "55821"


def test_options_only_offered_are_not_listed_as_tried(assistant: Assistant) -> None:
    computed = converse(assistant, "password", "I want to talk to a person")
    assert computed.summary is not None
    note = lines(computed.summary)
    assert note["Tried"] == "nothing yet"
    assert note["Offered, not chosen"] == (
        '"Change your password", "Reset a forgotten password"'
    )


def test_articles_whose_role_is_not_known_are_shown_as_such() -> None:
    state = AssistantState(language="en", tried=("shipping-en",), customer_messages=("hi",))
    text = build_handoff_summary(state, CATALOG).as_text()
    assert lines(text)["Tried"] == "nothing yet"
    assert lines(text)["Shown as an answer or an option"] == '"Shipping times"'


def test_wants_is_the_request_not_the_last_complaint(assistant: Assistant) -> None:
    computed = converse(
        assistant,
        "Hi",
        "How long does shipping take?",
        "that didn't help either",
        "I don't know the number",
        "I want to talk to a person",
    )
    assert computed.note is not None
    assert computed.note.wants == "How long does shipping take?"
    assert computed.note.latest is None


def test_wants_gives_the_first_request_and_the_latest_when_they_differ() -> None:
    state = AssistantState(
        language="es",
        customer_messages=(
            "Hola, buenas",
            "No puedo entrar en mi cuenta desde ayer",
            "no me sirvió",
            "4521",
            "Y además quiero saber cuándo llega mi pedido 4521",
            "eso tampoco me sirvió",
        ),
    )
    note = lines(build_handoff_summary(state, CATALOG).as_text())
    assert note["Qué quiere"] == "No puedo entrar en mi cuenta desde ayer"
    assert note["Lo último que pidió"] == "Y además quiero saber cuándo llega mi pedido 4521"


def test_with_no_request_at_all_wants_quotes_the_last_message() -> None:
    state = AssistantState(language="es", customer_messages=("hola", "quiero hablar con alguien"))
    assert build_handoff_summary(state, CATALOG).wants == "quiero hablar con alguien"


@pytest.mark.parametrize(
    "text",
    [
        "that didn't help either", "I don't know the number", "no sé el número",
        "eso tampoco me sirvió", "Hola, buenas", "4521", "mi pedido es 4521",
        "ninguna de esas", "la primera", "ok gracias", "quiero hablar con una persona",
        "where do I find the order number?", "no es eso",
    ],
)
def test_acknowledgements_rejections_and_numbers_are_not_requests(text: str) -> None:
    assert not is_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "no puedo entrar en mi cuenta", "mi último pedido no llegó", "password",
        "change my phone number", "where is my refund for order 55821?",
        "no tengo acceso a mi cuenta", "sigo sin poder pagar con PayPal",
    ],
)
def test_short_requests_are_requests(text: str) -> None:
    assert is_request(text)


@pytest.mark.parametrize(
    ("conversation", "readers", "expected"),
    [
        ("en", [], "en"),  # nobody known: the conversation's
        ("en", ["es", "es"], "es"),  # every reader reads Spanish
        ("es", ["en"], "en"),
        ("en", ["es", "en", "es"], "en"),  # someone reads the customer's language
        ("es", ["fr", "en", "en"], "en"),
        ("es", ["fr"], "es"),
        ("en", ["es-ES", "ES"], "es"),
    ],
)
def test_the_note_language_follows_its_readers(
    conversation: Language, readers: list[str], expected: Language
) -> None:
    assert note_language(conversation, readers) == expected


def test_sentiment_is_translated_for_the_reader() -> None:
    summary = HandoffSummary(
        wants="x", answered=(), language="en", sentiment="negative", order_numbers=(),
        reason=None, messages=("x",),
    )
    assert lines(summary.as_text("es"))["Sentimiento"] == "negativo"
    assert lines(summary.as_text("en"))["Sentiment"] == "negative"
