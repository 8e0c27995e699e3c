"""Bad settings, bad mail and bad outbound data give clear errors, never a traceback."""

from __future__ import annotations

import pytest
from email_servers import OutsideWorld

from ventanilla.channels.base import OutboundMessage, PermanentSendError
from ventanilla.channels.email import build_adapter, parse_email, parse_settings
from ventanilla.domain.errors import InvalidInput, PayloadError


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "'address'"),
        ({"address": "not-an-address"}, "'address'"),
        ({"address": "a@b.example", "smtp_port": "smtp"}, "'smtp_port'"),
        ({"address": "a@b.example", "smtp_timeout": "soon"}, "'smtp_timeout'"),
        ({"address": "a@b.example", "imap_ssl": [1]}, "'imap_ssl'"),
    ],
)
def test_bad_settings_are_refused_with_the_key_named(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        build_adapter(settings, None)


def test_settings_defaults_follow_the_tls_choice() -> None:
    assert parse_settings({"address": "a@b.example"}).smtp_port == 25
    assert parse_settings({"address": "a@b.example", "smtp_starttls": "yes"}).smtp_port == 587
    assert parse_settings({"address": "a@b.example", "smtp_ssl": True}).smtp_port == 465
    imap = parse_settings({"address": "a@b.example", "imap_ssl": False})
    assert (imap.imap_port, imap.imap_username, imap.imap_mailbox) == (143, "a@b.example", "INBOX")


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"just some bytes, no headers"])
def test_mail_without_content_or_sender_is_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_email(raw)


async def test_a_header_injection_attempt_is_a_permanent_failure() -> None:
    async with OutsideWorld() as world:
        adapter = build_adapter(
            {"address": "a@b.example", "smtp_host": "127.0.0.1", "smtp_port": world.port}, None
        )
        message = OutboundMessage(
            recipient="ana@example.com\r\nBcc: everyone@example.com",
            text="hola",
            idempotency_key="k1",
        )
        with pytest.raises(PermanentSendError):
            await adapter.send(message)
    assert world.handler.received == []
