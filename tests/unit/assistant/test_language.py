import pytest

from ventanilla.assistant.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¿Dónde está mi pedido?", "es"),
        ("quiero cancelar mi compra", "es"),
        ("reembolso", "es"),
        ("Where is my order?", "en"),
        ("cancel order", "en"),
        ("I would like a refund please", "en"),
    ],
)
def test_the_language_of_a_message_is_detected(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_a_message_without_words_keeps_the_conversation_language() -> None:
    assert detect_language("12345", default="es") == "es"
    assert detect_language("ok", default="es") == "es"
