"""IMAP polling against a real Dovecot on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from email_dkim import FakeDns
from email_dovecot import DOVECOT, PASSWORD, USER, Dovecot
from sqlalchemy import select
from tests.helpers import make_inbox, need

from ventanilla.bootstrap import Container
from ventanilla.channels.email import parse_settings
from ventanilla.channels.email.imap import MailboxError, poll_mailbox
from ventanilla.config import Settings
from ventanilla.services.email_ingest import poll_imap_inbox, poll_imap_inboxes
from ventanilla.storage.models import Message


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    need(DOVECOT.exists(), f"{DOVECOT} is missing (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings_for(server: Dovecot, password_user: str = USER) -> dict[str, object]:
    return {
        "address": USER,
        "imap_host": "127.0.0.1",
        "imap_port": server.port,
        "imap_ssl": False,
        "imap_username": password_user,
    }


def mail(n: int, text: str = "Hola") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Cliente {n} <cliente{n}@example.com>"
    msg["To"] = USER
    msg["Subject"] = f"Consulta {n}"
    msg["Message-ID"] = f"<imap-{n}@example.com>"
    msg.set_content(f"{text} {n}")
    return msg.as_bytes()


def stored_texts(container: Container) -> list[str]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(Message.text).order_by(Message.id)))


async def test_polling_stores_unseen_mail_once_and_flags_it_seen(
    container: Container, dovecot: Dovecot
) -> None:
    inbox_id = make_inbox(container, "email", settings_for(dovecot), secret=PASSWORD)
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2))
    dovecot.deliver(mail(3), seen=True)  # already read by someone in the mailbox: left alone

    assert await poll_imap_inbox(container, inbox_id, FakeDns()) == 2
    assert stored_texts(container) == ["Hola 1", "Hola 2"]
    assert dovecot.unseen() == 0
    assert await poll_imap_inbox(container, inbox_id, FakeDns()) == 0

    # another worker (or a crash before the flag) hands the same mail over again
    dovecot.mark_all_unseen()
    assert await poll_imap_inboxes(container, FakeDns()) == {inbox_id: 3}
    assert stored_texts(container) == ["Hola 1", "Hola 2", "Hola 3"]


async def test_mail_stays_unseen_when_storing_it_fails(dovecot: Dovecot) -> None:
    dovecot.deliver(mail(1))
    settings = parse_settings(settings_for(dovecot))

    async def broken(raw: bytes) -> None:
        raise RuntimeError("database is down")

    with pytest.raises(RuntimeError):
        await poll_mailbox(settings, PASSWORD, broken)
    assert dovecot.unseen() == 1

    got: list[bytes] = []

    async def keep(raw: bytes) -> None:
        got.append(raw)

    assert await poll_mailbox(settings, PASSWORD, keep) == 1
    assert b"Message-ID: <imap-1@example.com>" in got[0]
    assert dovecot.unseen() == 0


async def test_a_wrong_password_is_a_clear_mailbox_error(dovecot: Dovecot) -> None:
    settings = parse_settings(settings_for(dovecot))

    async def keep(raw: bytes) -> None:
        raise AssertionError("nothing should be fetched")

    with pytest.raises(MailboxError, match="login"):
        await poll_mailbox(settings, "wrong", keep)


async def test_a_mailbox_providers_results_count_only_when_its_authserv_id_is_trusted(
    container: Container, settings: Settings, dovecot: Dovecot
) -> None:
    provider = b"Authentication-Results: imap.proveedor.example; dkim=pass header.d=example.com\r\n"
    trusting = Container(
        settings.model_copy(update={"email_trusted_authserv_ids": "imap.proveedor.example"})
    )
    try:
        inbox_id = make_inbox(trusting, "email", settings_for(dovecot), secret=PASSWORD)
        dovecot.deliver(provider + mail(1))
        assert await poll_imap_inbox(container, inbox_id, FakeDns()) == 1
        dovecot.mark_all_unseen()
        dovecot.deliver(provider + mail(2))
        assert await poll_imap_inbox(trusting, inbox_id, FakeDns()) == 2
        with trusting.uow() as uow:
            got = {
                m.text: m.meta["sender_auth"]
                for m in uow.session.scalars(select(Message).order_by(Message.id))
            }
    finally:
        await trusting.http.aclose()
        trusting.engine.dispose()
    # the first round did not trust the provider; the same mail again is stored once
    assert got == {"Hola 1": "none", "Hola 2": "pass"}
