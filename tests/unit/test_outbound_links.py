"""Links to our own pages, as a customer reading a mail or a messaging app gets them."""

from __future__ import annotations

import pytest

from ventanilla.services.outbound import absolute_html_links, absolute_links

BASE = "https://soporte.tienda.example/"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Aceptamos tarjeta, PayPal y Bizum.\n\nMás información: /help/es/payment-methods",
            "Aceptamos tarjeta, PayPal y Bizum.\n\n"
            "Más información: https://soporte.tienda.example/help/es/payment-methods",
        ),
        (
            "See /help/en/shipping-costs.",
            "See https://soporte.tienda.example/help/en/shipping-costs.",
        ),
        ("(/help/es/invoice)", "(https://soporte.tienda.example/help/es/invoice)"),
        (
            "[1] Envío: /help/es/shipping-costs\n[2] Plazos: /help/es/shipping-times, ¿vale?",
            "[1] Envío: https://soporte.tienda.example/help/es/shipping-costs\n"
            "[2] Plazos: https://soporte.tienda.example/help/es/shipping-times, ¿vale?",
        ),
        ("/help", "https://soporte.tienda.example/help"),
    ],
)
def test_paths_of_the_help_center_become_full_addresses(text: str, expected: str) -> None:
    assert absolute_links(text, BASE) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://otra.example/help/es/payment-methods",  # already an address
        "ana@example.com/help",
        "y/help o /helpdesk o /help-me",
        "Su pedido sale hoy.",
    ],
)
def test_everything_else_is_left_alone(text: str) -> None:
    assert absolute_links(text, BASE) == text


def test_a_base_under_a_path_keeps_its_prefix() -> None:
    assert absolute_links("/help/es/x", "https://tienda.example/soporte") == (
        "https://tienda.example/soporte/help/es/x"
    )


def test_root_relative_addresses_in_html_become_full_addresses() -> None:
    html = (
        '<p><a href="/help/es/payment-methods">Formas de pago</a> '
        "<img src='/static/logo.png'> <a href=\"//cdn.example/x\">cdn</a> "
        '<a href="https://otra.example/">otra</a></p>'
    )
    assert absolute_html_links(html, BASE) == (
        '<p><a href="https://soporte.tienda.example/help/es/payment-methods">Formas de pago</a> '
        "<img src='https://soporte.tienda.example/static/logo.png'> "
        '<a href="//cdn.example/x">cdn</a> <a href="https://otra.example/">otra</a></p>'
    )
