"""Quoted history and signatures are trimmed from what the agent reads (Spanish and English)."""

from __future__ import annotations

import pytest

from ventanilla.channels.base import InboundMessage
from ventanilla.channels.email import parse_email
from ventanilla.channels.email.quotes import trim_reply

CASES = {
    "gmail_en": (
        "Thanks, the parcel arrived.\n\n"
        "On Mon, 3 Jun 2024 at 10:02, Tienda Support <support@example.com>\nwrote:\n\n"
        "> Your order has shipped.\n> Tracking: 123\n",
        "Thanks, the parcel arrived.",
    ),
    "gmail_es": (
        "Hola, sigo sin recibir el pedido.\n\n"
        "El lun, 3 jun 2024 a las 10:02, Soporte Tienda (<soporte@example.com>)\n"
        "escribió:\n\n> Su pedido ha sido enviado.\n",
        "Hola, sigo sin recibir el pedido.",
    ),
    "outlook_en": (
        "Please cancel it.\r\n\r\n-----Original Message-----\r\n"
        "From: Support <support@example.com>\r\nSent: Monday, June 3, 2024 10:02 AM\r\n"
        "To: Ana <ana@example.com>\r\nSubject: Your order\r\n\r\nYour order has shipped.\r\n",
        "Please cancel it.",
    ),
    "outlook_es_header_block": (
        "Quiero la factura, por favor.\n\n"
        "________________________________\n"
        "De: Soporte <soporte@example.com>\nEnviado: lunes, 3 de junio de 2024 10:02\n"
        "Para: Ana <ana@example.com>\nAsunto: Su pedido\n\nSu pedido ha sido enviado.\n",
        "Quiero la factura, por favor.",
    ),
    "outlook_from_block_without_rule": (
        "Sounds good.\n\nFrom: Support <support@example.com>\nDate: Mon, 3 Jun 2024\n"
        "To: ana@example.com\nSubject: Re: order\n\nOld text\n",
        "Sounds good.",
    ),
    "signature_dash_dash": (
        "Where is my refund?\n\n-- \nAna Pérez\nCustomer since 2019\n",
        "Where is my refund?",
    ),
    "iphone_en": ("Yes please.\n\nSent from my iPhone\n", "Yes please."),
    "iphone_es": (
        "Sí, por favor.\n\nEnviado desde mi iPhone\n\n"
        "El 3 jun 2024, a las 10:02, Soporte <soporte@example.com> escribió:\n> ¿Confirma?\n",
        "Sí, por favor.",
    ),
    "outlook_mobile_es": (
        "Gracias\n\nObtener Outlook para Android\n",
        "Gracias",
    ),
    "bottom_posting": (
        "> Did the parcel arrive?\n> Support\n\nNo, it did not.\n",
        "No, it did not.",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_quotes_and_signatures_are_trimmed(case: str) -> None:
    text, expected = CASES[case]
    assert trim_reply(text) == expected


def test_inline_answers_between_quotes_are_kept() -> None:
    text = "> Which size?\nMedium.\n> Which colour?\nBlue.\n\n> Thanks\n"
    assert trim_reply(text) == "> Which size?\nMedium.\n> Which colour?\nBlue."


def test_a_message_that_is_only_a_quote_is_kept_whole() -> None:
    assert trim_reply("> just forwarding this\n") == "> just forwarding this"


def test_a_sentence_starting_with_on_is_not_a_quote_header() -> None:
    text = "On Monday I ordered two shirts.\nThey have not arrived yet."
    assert trim_reply(text) == text


def _mail(body: bytes, content_type: bytes, extra: bytes = b"") -> bytes:
    return (
        b"From: Ana <ana@example.com>\r\nTo: care@example.com\r\n"
        b"Subject: pedido\r\nMessage-ID: <m1@example.com>\r\n" + extra
        + b"MIME-Version: 1.0\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
    )


def _only(raw: bytes) -> InboundMessage:
    (msg,) = parse_email(raw)
    assert isinstance(msg, InboundMessage)
    return msg


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "iso-8859-15"])
def test_latin_charsets_are_decoded(charset: str) -> None:
    body = "¿Dónde está mi pedido? Añadí una dirección nueva.".encode(charset)
    msg = _only(_mail(body, b"text/plain; charset=" + charset.encode()))
    assert msg.text == "¿Dónde está mi pedido? Añadí una dirección nueva."


def test_unknown_or_wrong_charset_falls_back_without_losing_the_text() -> None:
    body = "Pedido número 5, señor".encode()
    assert _only(_mail(body, b"text/plain; charset=x-unknown")).text == "Pedido número 5, señor"
    latin = "Pedido número 5".encode("latin-1")
    assert _only(_mail(latin, b"text/plain; charset=us-ascii")).text == "Pedido número 5"


def test_raw_8bit_subject_is_readable() -> None:
    raw = _mail(b"hola", b"text/plain; charset=utf-8").replace(
        b"Subject: pedido", "Subject: Devolución".encode()
    )
    assert _only(raw).subject == "Devolución"


def test_html_only_mail_gets_text_with_the_quote_trimmed() -> None:
    html = (
        b"<div>Still waiting.</div><div class=gmail_quote>On Mon, 3 Jun 2024, Support "
        b"&lt;s@example.com&gt; wrote:<blockquote>Shipped!</blockquote></div>"
    )
    msg = _only(_mail(html, b"text/html; charset=utf-8"))
    assert msg.text == "Still waiting."
    assert msg.html is not None and "blockquote" in msg.html


def test_missing_message_id_gets_a_stable_synthetic_one() -> None:
    raw = _mail(b"hello", b"text/plain").replace(b"Message-ID: <m1@example.com>\r\n", b"")
    first, second = _only(raw), _only(raw)
    assert first.external_id == second.external_id
    assert first.external_id.endswith("@no-message-id.invalid")
    assert _only(raw + b"!").external_id != first.external_id
