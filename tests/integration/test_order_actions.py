"""What a customer reads when the assistant checks, or cancels, an order in the store.

The connector talks to the demo store's own backend (its real router, served in process);
a store with another shape and vocabulary is faked at the HTTP boundary.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from ventanilla.assistant.knowledge import ArticleCatalog, Language
from ventanilla.assistant.state import ActionIntent, ActionRun, AssistantState
from ventanilla.assistant.summary import build_handoff_summary
from ventanilla.config import Settings
from ventanilla.services import demo
from ventanilla.services.assistant_actions import ActionOutcome, combined, compose
from ventanilla.services.store_connector import ConnectorConfig, StoreConnector
from ventanilla.web import demo_store, errors

TODAY = date(2026, 11, 25)
STATUS, REFUND, CANCEL = (
    ActionIntent.ORDER_STATUS,
    ActionIntent.REFUND_STATUS,
    ActionIntent.CANCEL_ORDER,
)
MARIA = {"email": {"maria@example.com"}}
JOHN = {"email": {"john@example.com"}}
DEFAULT_FIELDS: dict[str, str] = Settings.model_fields["store_fields"].get_default(
    call_default_factory=True
)


class Shop:
    """The assistant's side of a store: the connector, and the reply it composes."""

    def __init__(self, connector: StoreConnector) -> None:
        self.connector = connector

    async def ask(
        self, action: ActionIntent, order: str, lang: str, who: Mapping[str, set[str]]
    ) -> ActionOutcome:
        facts = await self.connector.run(action, order, who)
        return compose(action, facts, lang, today=TODAY)


@pytest.fixture
async def demo_shop(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shop]:
    monkeypatch.setattr(demo, "ORDERS", copy.deepcopy(demo.ORDERS))  # cancelling changes them
    app = FastAPI()
    errors.install(app)
    app.include_router(demo_store.router)
    base = "http://store.test/demo-store/api/orders/{order}"
    config = ConnectorConfig(
        base, base + "/cancel", f"x-store-key: {demo.DEMO_STORE_KEY}", DEFAULT_FIELDS
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield Shop(StoreConnector(config, http))


def custom_shop(
    order: dict[str, object], cancel: Callable[[], httpx.Response] | None = None
) -> Shop:
    """A store with its own JSON shape and words, configured through the field mapping."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return cancel() if cancel else httpx.Response(200, json={"ok": True})
        return httpx.Response(200, content=json.dumps(order))

    fields = {
        "status": "state",
        "email": "buyer.email",
        "eta": "shipping.expected",
        "carrier": "shipping.company",
        "refund_status": "refund.state",
        "refund_amount": "refund.total",
    }
    url = "http://shop.test/o/{order}"
    config = ConnectorConfig(url, url + "/cancel", None, fields)
    return Shop(StoreConnector(config, httpx.AsyncClient(transport=httpx.MockTransport(answer))))


async def test_a_shipped_order_reads_as_a_sentence_with_its_delivery_date(
    demo_shop: Shop,
) -> None:
    es = await demo_shop.ask(STATUS, "10023", "es", MARIA)
    en = await demo_shop.ask(STATUS, "10023", "en", MARIA)
    assert (
        es.reply == "Tu pedido 10023 ya está en camino. Entrega prevista: 27 de noviembre (SEUR)."
    )
    assert en.reply == "Your order 10023 has shipped. Expected delivery: 27 November (SEUR)."
    assert "shipped" not in es.reply and "2026-11-27" not in es.reply + en.reply
    assert not es.handoff and es.settled


async def test_an_order_being_prepared_reads_in_each_language(demo_shop: Shop) -> None:
    es = await demo_shop.ask(STATUS, "10045", "es", JOHN)
    en = await demo_shop.ask(STATUS, "10045", "en", JOHN)
    assert es.reply == (
        "Estamos preparando tu pedido 10045. Entrega prevista: 30 de noviembre (Correos Express)."
    )
    assert en.reply == (
        "We're preparing your order 10045. Expected delivery: 30 November (Correos Express)."
    )


async def test_a_cancelled_order_shows_no_delivery_date(demo_shop: Shop) -> None:
    done = await demo_shop.ask(CANCEL, "10045", "en", JOHN)
    assert done.reply == "Done: order 10045 is cancelled." and not done.handoff
    assert demo.ORDERS["10045"]["status"] == "cancelled"
    en = await demo_shop.ask(STATUS, "10045", "en", JOHN)
    es = await demo_shop.ask(STATUS, "10045", "es", JOHN)
    assert en.reply == "Order 10045 is cancelled."
    assert es.reply == "El pedido 10045 está cancelado."
    again = await demo_shop.ask(CANCEL, "10045", "es", JOHN)
    assert again.reply == "Hecho: el pedido 10045 está cancelado." and not again.handoff


async def test_a_refund_reads_as_a_sentence_with_its_amount(demo_shop: Shop) -> None:
    es = await demo_shop.ask(REFUND, "10051", "es", MARIA)
    en = await demo_shop.ask(REFUND, "10051", "en", MARIA)
    assert es.reply == "Ya hemos hecho el reembolso de 24,00 € del pedido 10051."
    assert en.reply == "We've issued the refund of 24,00 € for order 10051."
    assert es.settled and not es.handoff
    none = await demo_shop.ask(REFUND, "10023", "es", MARIA)
    assert none.reply == "No vemos ningún reembolso en el pedido 10023."


async def test_a_refused_cancellation_says_why_and_hands_off(demo_shop: Shop) -> None:
    es = await demo_shop.ask(CANCEL, "10023", "es", MARIA)
    en = await demo_shop.ask(CANCEL, "10023", "en", MARIA)
    assert es.reply == (
        "No puedo cancelar el pedido 10023 porque ya está en camino; "
        "te paso con una persona del equipo."
    )
    assert en.reply == (
        "I can't cancel order 10023 because it has already shipped; "
        "I'm passing you to a person on our team."
    )
    assert es.handoff and en.handoff and not es.settled
    returned = await demo_shop.ask(CANCEL, "10051", "es", MARIA)
    assert "porque ya se ha devuelto" in returned.reply and returned.handoff
    assert demo.ORDERS["10023"]["status"] == "shipped"  # the store kept both as they were
    assert demo.ORDERS["10051"]["status"] == "returned"


async def test_nothing_is_revealed_or_cancelled_for_someone_else(demo_shop: Shop) -> None:
    out = await demo_shop.ask(CANCEL, "10045", "es", MARIA)
    assert out.handoff and "privacidad" in out.reply and "10045" not in out.reply
    assert demo.ORDERS["10045"]["status"] == "processing"


async def test_a_custom_store_s_words_are_understood_or_shown_as_given() -> None:
    order: dict[str, object] = {"state": "In-Transit", "buyer": {"email": "maria@example.com"}}
    order["shipping"] = {"expected": "2027-01-08", "company": "DHL"}
    es = await custom_shop(order).ask(STATUS, "A-1", "es", MARIA)
    assert (
        es.reply == "Tu pedido A-1 ya está en camino. Entrega prevista: 8 de enero de 2027 (DHL)."
    )
    order["state"] = "Verpackt im Lager 3"
    order["shipping"] = {"expected": "next week"}
    en = await custom_shop(order).ask(STATUS, "A-1", "en", MARIA)
    assert en.reply == "Status of order A-1: Verpackt im Lager 3. Expected delivery: next week."
    order["state"] = "Delivered"
    order["shipping"] = {"expected": "2026-11-30T18:00:00+01:00", "company": "DHL"}
    delivered = await custom_shop(order).ask(STATUS, "A-1", "es", MARIA)
    assert delivered.reply == "Tu pedido A-1 ya se ha entregado."
    order["state"] = "wc-processing"
    processing = await custom_shop(order).ask(STATUS, "A-1", "en", MARIA)
    assert (
        processing.reply == "We're preparing your order A-1. Expected delivery: 30 November (DHL)."
    )


async def test_a_custom_store_s_refund_words() -> None:
    order: dict[str, object] = {"state": "returned", "buyer": {"email": "maria@example.com"}}
    order["refund"] = {"state": "queued", "total": "10,00 €"}
    odd = await custom_shop(order).ask(REFUND, "A-2", "es", MARIA)
    assert odd.reply == "Reembolso del pedido A-2: queued (10,00 €)."
    order["refund"] = {"state": "PENDING"}
    pending = await custom_shop(order).ask(REFUND, "A-2", "en", MARIA)
    assert pending.reply == (
        "The refund for order A-2 has been requested and is waiting to be processed."
    )
    order["refund"] = {"state": "declined", "total": "10,00 €"}
    failed = await custom_shop(order).ask(REFUND, "A-2", "es", MARIA)
    assert failed.reply == (
        "El reembolso de 10,00 € del pedido A-2 no se ha podido completar; "
        "te paso con una persona del equipo."
    )
    assert failed.handoff and not failed.settled


async def test_a_custom_store_s_cancellation_answers() -> None:
    order: dict[str, object] = {"state": "delivered", "buyer": {"email": "maria@example.com"}}
    refused = custom_shop(order, lambda: httpx.Response(422, json={"errors": "fulfilled"}))
    out = await refused.ask(CANCEL, "A-3", "es", MARIA)
    assert out.reply == (
        "No puedo cancelar el pedido A-3 porque ya se ha entregado; "
        "te paso con una persona del equipo."
    )
    order["state"] = "processing"  # refused for a reason the store doesn't give
    out = await refused.ask(CANCEL, "A-3", "en", MARIA)
    assert out.reply == (
        "Order A-3 can't be cancelled from here; I'm passing you to a person on our team."
    )
    order["state"] = "shipped"  # the store failed: we don't guess why
    broken = custom_shop(order, lambda: httpx.Response(503))
    out = await broken.ask(CANCEL, "A-3", "es", MARIA)
    assert out.reply == ("No he podido cancelar el pedido A-3; te paso con una persona del equipo.")
    assert out.handoff
    order["state"] = "canceled"
    already = custom_shop(order, lambda: httpx.Response(409))
    out = await already.ask(CANCEL, "A-3", "en", MARIA)
    assert out.reply == "Order A-3 was already cancelled." and not out.handoff


def reason_line(outcome: ActionOutcome, action: ActionIntent, lang: Language, *orders: str) -> str:
    """The hand-off reason the agent reads for ``outcome``."""
    state = AssistantState(language="es", customer_messages=("?",), order_numbers=orders)
    ran = [ActionRun(action, o) for o in orders]
    note = build_handoff_summary(state, ArticleCatalog(()), ran=ran)
    text = note.with_failure(*outcome.failures).reason_text(lang)
    assert text is not None
    return text


async def test_several_orders_are_answered_in_one_reply(demo_shop: Shop) -> None:
    replies = [await demo_shop.ask(STATUS, o, "es", MARIA) for o in ("10023", "10051")]
    out = combined(replies)
    assert out.reply.splitlines() == [
        "Tu pedido 10023 ya está en camino. Entrega prevista: 27 de noviembre (SEUR).",
        "El pedido 10051 se ha devuelto.",
    ]
    assert out.settled and not out.handoff and not out.failures
    refunds = combined([await demo_shop.ask(REFUND, o, "en", MARIA) for o in ("10051", "10023")])
    assert refunds.reply.splitlines() == [
        "We've issued the refund of 24,00 € for order 10051.",
        "We see no refund on order 10023.",
    ]


async def test_among_several_orders_one_not_the_customer_s_is_named_and_handed_off(
    demo_shop: Shop,
) -> None:
    facts = [await demo_shop.connector.run(STATUS, o, MARIA) for o in ("10023", "10045")]
    out = combined([compose(STATUS, f, "es", TODAY, several=True) for f in facts])
    assert out.reply.splitlines() == [
        "Tu pedido 10023 ya está en camino. Entrega prevista: 27 de noviembre (SEUR).",
        "Por tu privacidad solo puedo dar datos del pedido 10045 al correo o teléfono "
        "verificado con el que se hizo. Te paso con una persona del equipo.",
    ]
    assert "Correos" not in out.reply and out.handoff and not out.settled
    assert reason_line(out, STATUS, "en", "10023", "10045") == (
        "The order is not under any of the customer's verified email addresses or phones, "
        "so the status check of order 10045 was not done."
    )
    strangers = [await demo_shop.connector.run(STATUS, o, JOHN) for o in ("10023", "10051")]
    out = combined([compose(STATUS, f, "es", TODAY, several=True) for f in strangers])
    assert reason_line(out, STATUS, "es", "10023", "10051") == (
        "Los pedidos no están a nombre de ningún correo o teléfono verificado del cliente, así "
        "que no se hizo la consulta del estado de los pedidos 10023 y 10051."
    )


async def test_every_hand_off_says_why_to_the_agent(demo_shop: Shop) -> None:
    refused = await demo_shop.ask(CANCEL, "10023", "es", MARIA)
    assert reason_line(refused, CANCEL, "es", "10023") == (
        "La tienda no aceptó la cancelación del pedido 10023 porque ya está en camino."
    )
    assert reason_line(refused, CANCEL, "en", "10023") == (
        "The store refused the cancellation of order 10023 because it has already shipped."
    )
    stranger = await demo_shop.ask(STATUS, "10045", "es", MARIA)
    assert reason_line(stranger, STATUS, "es", "10045").startswith(
        "El pedido no está a nombre de ningún correo o teléfono verificado del cliente"
    )
    order: dict[str, object] = {"state": "processing", "buyer": {"email": "maria@example.com"}}
    broken = await custom_shop(order, lambda: httpx.Response(503)).ask(CANCEL, "A-3", "en", MARIA)
    assert reason_line(broken, CANCEL, "en", "A-3") == (
        "The store could not be reached for the cancellation of order A-3."
    )
    blank = await custom_shop(order, lambda: httpx.Response(422)).ask(CANCEL, "A-3", "es", MARIA)
    assert reason_line(blank, CANCEL, "es", "A-3") == (
        "La tienda no aceptó la cancelación del pedido A-3."
    )
    order["refund"] = {"state": "declined"}
    declined = await custom_shop(order).ask(REFUND, "A-3", "es", MARIA)
    assert reason_line(declined, REFUND, "es", "A-3") == (
        "El reembolso del pedido A-3 no se ha podido completar; tiene que revisarlo una persona."
    )
    order["refund"] = {"state": "rejected"}
    rejected = await custom_shop(order).ask(REFUND, "A-3", "en", MARIA)
    assert reason_line(rejected, REFUND, "en", "A-3") == (
        "The refund for order A-3 shows as declined; a person needs to look into it."
    )
