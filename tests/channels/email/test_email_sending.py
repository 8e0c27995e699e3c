"""What we send, as a real SMTP server on loopback receives it."""

from __future__ import annotations

import socket

import pytest
from email_servers import OutsideWorld, RecordingHandler

from ventanilla.channels.base import (
    ChannelAdapter,
    OutboundAttachment,
    OutboundMessage,
    PermanentSendError,
    TransientSendError,
)
from ventanilla.channels.email import EmailAdapter, build_adapter, parse_email


def adapter_for(port: int, **extra: object) -> EmailAdapter:
    settings = {
        "address": "soporte@tienda.example",
        "from_name": "Soporte Tienda",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        **extra,
    }
    return build_adapter(settings, None)


def reply(**overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "recipient": "ana@example.com",
        "recipient_name": "Ana Pérez",
        "text": "Su pedido sale hoy.",
        "idempotency_key": "msg-42",
        "subject": "Mi pedido",
        "thread_refs": ("first@example.com", "<second@example.com>"),
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_the_adapter_satisfies_the_channel_interface() -> None:
    assert isinstance(adapter_for(25), ChannelAdapter)


async def test_a_reply_carries_threading_headers_and_a_stable_message_id() -> None:
    async with OutsideWorld() as world:
        adapter = adapter_for(world.port)
        first = await adapter.send(reply())
        retried = await adapter.send(reply())
    assert first.external_id == retried.external_id  # a retried send is the same message
    sent = world.handler.received[0]
    assert sent.mail_from == "soporte@tienda.example"
    assert sent.rcpt_tos == ["ana@example.com"]
    msg = sent.message
    assert msg["Message-ID"] == f"<{first.external_id}>"
    assert first.external_id.endswith("@tienda.example")
    assert msg["In-Reply-To"] == "<second@example.com>"
    assert msg["References"] == "<first@example.com> <second@example.com>"
    assert msg["Subject"] == "Re: Mi pedido"
    assert msg["From"] == "Soporte Tienda <soporte@tienda.example>"
    assert msg["To"].addresses[0].display_name == "Ana Pérez"
    assert "Auto-Submitted" not in msg
    assert world.handler.received[1].message["Message-ID"] == msg["Message-ID"]


async def test_automatic_mail_is_marked_and_sent_with_a_null_envelope_sender() -> None:
    async with OutsideWorld() as world:
        await adapter_for(world.port).send(reply(automatic=True, idempotency_key="auto-1"))
    sent = world.handler.received[0]
    assert sent.message["Auto-Submitted"] == "auto-replied"
    assert sent.mail_from in ("", "<>")
    # and our own parser would never answer it
    (parsed,) = parse_email(b"Return-Path: <>\r\n" + sent.raw)
    assert parsed.automatic  # type: ignore[union-attr]


async def test_text_html_and_attachments_arrive_intact() -> None:
    pdf = b"%PDF-1.4 invoice"
    message = reply(
        thread_refs=(),
        subject="Factura",
        html="<p>Adjunto la <b>factura</b>.</p>",
        attachments=(OutboundAttachment("factura.pdf", "application/pdf", pdf),),
    )
    async with OutsideWorld() as world:
        await adapter_for(world.port).send(message)
    msg = world.handler.received[0].message
    assert msg["Subject"] == "Factura"  # a new thread is not a reply
    assert "In-Reply-To" not in msg and "References" not in msg
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and text.get_content().strip() == "Su pedido sale hoy."
    assert html is not None and "<b>factura</b>" in html.get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "factura.pdf"
    assert attachment.get_content() == pdf


async def test_a_refused_recipient_is_a_permanent_failure() -> None:
    handler = RecordingHandler(rcpt_reply="550 5.1.1 No such user")
    async with OutsideWorld(handler) as world:
        with pytest.raises(PermanentSendError, match="550"):
            await adapter_for(world.port).send(reply())


async def test_a_temporary_refusal_is_retried_later() -> None:
    handler = RecordingHandler(reply="451 4.7.1 Greylisted, try again")
    async with OutsideWorld(handler) as world:
        with pytest.raises(TransientSendError, match="451"):
            await adapter_for(world.port).send(reply())


async def test_an_unreachable_server_is_retried_later() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientSendError, match="connection"):
        await adapter_for(port, smtp_timeout=2).send(reply())


async def test_starttls_required_but_not_offered_is_retried_later() -> None:
    async with OutsideWorld() as world:
        with pytest.raises(TransientSendError):
            await adapter_for(world.port, smtp_starttls=True).send(reply())
