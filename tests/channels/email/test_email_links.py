"""Links in the mail we send open from the customer's mailbox: full addresses, not paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from email_servers import OutsideWorld
from sqlalchemy import select
from tests.helpers import make_inbox

from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import inbound, knowledge, outbound
from ventanilla.services.demo_kb import ARTICLES
from ventanilla.storage.models import Inbox, Message

SUPPORT = "soporte@tienda.example"
PUBLIC = "https://soporte.tienda.example"


@dataclass
class Shop:
    container: Container
    world: OutsideWorld
    inbox_id: int

    async def customer_writes(self, text: str, n: int = 1) -> int:
        got = inbound.receive(
            self.container.uow,
            self.inbox_id,
            InboundMessage(
                channel=ChannelKind.EMAIL,
                external_id=f"<q{n}@example.com>",
                sender=SenderIdentity(IdentityKind.EMAIL, "ana@example.com", "Ana"),
                text=text,
                subject="Pagos",
            ),
        )
        await self.run_jobs()
        return got.conversation_id

    def quiet_assistant(self) -> None:
        """This inbox's mail is answered by people only."""
        with self.container.uow() as uow:
            inbox = uow.session.get(Inbox, self.inbox_id)
            assert inbox is not None
            inbox.settings = {**inbox.settings, "assistant": False}
            uow.commit()

    async def run_jobs(self) -> None:
        runner = OutboxRunner(self.container)
        for _ in range(10):
            if not await runner.run_once():
                return


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    # The public address with a trailing slash, as people write it in configuration.
    s = settings.model_copy(update={"assistant_enabled": True, "public_url": PUBLIC + "/"})
    container = Container(s)
    with container.uow() as uow:
        knowledge.upsert_many(uow.session, ARTICLES, None)
        uow.commit()
    async with OutsideWorld() as world:
        mail = {"address": SUPPORT, "smtp_host": "127.0.0.1", "smtp_port": world.port}
        yield Shop(container, world, make_inbox(container, "email", mail))
    container.engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_assistants_emailed_answer_links_to_the_public_help_center(shop: Shop) -> None:
    await shop.customer_writes("¿Aceptáis PayPal?")
    (sent,) = shop.world.handler.received
    body = sent.message.get_body(("plain",))
    assert body is not None
    lines = body.get_content().splitlines()
    assert "Aceptamos tarjeta, PayPal y Bizum." in lines
    assert f"Más información: {PUBLIC}/help/es/payment-methods" in lines
    assert not any("/help/" in line and PUBLIC not in line for line in lines)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_agents_emailed_reply_carries_full_links_in_text_and_html(shop: Shop) -> None:
    shop.quiet_assistant()
    conv_id = await shop.customer_writes("Una pregunta sobre el pago")
    with shop.container.uow() as uow:
        msg = outbound.post(
            uow,
            conv_id,
            outbound.Reply(
                "Lo tienes aquí: /help/es/payment-methods.",
                html='<p>Lo tienes <a href="/help/es/payment-methods">aquí</a>.</p>',
            ),
        )
        uow.commit()
        reply_id = msg.id
    await shop.run_jobs()
    (sent,) = shop.world.handler.received
    plain = sent.message.get_body(("plain",))
    html = sent.message.get_body(("html",))
    assert plain is not None and html is not None
    assert f"Lo tienes aquí: {PUBLIC}/help/es/payment-methods." in plain.get_content()
    assert f'<a href="{PUBLIC}/help/es/payment-methods">aquí</a>' in html.get_content()
    with shop.container.uow() as uow:
        stored = uow.session.scalars(select(Message.text).where(Message.id == reply_id)).one()
    assert stored == "Lo tienes aquí: /help/es/payment-methods."  # as the agent wrote it
