"""Our SMTP receiver, spoken to by smtplib over loopback, with fake storage callbacks."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass, field

import pytest

from ventanilla.channels.email.authentication import Peer
from ventanilla.channels.email.receiver import SmtpReceiver, normalise_address

MAIL = (
    b"From: Ana <ana@example.com>\r\nTo: soporte@tienda.example\r\n"
    b"Subject: Hola\r\nMessage-ID: <m1@example.com>\r\n\r\nHola, y mi pedido?\r\n"
)


@dataclass
class FakeStore:
    inboxes: dict[str, int] = field(default_factory=lambda: {"soporte@tienda.example": 7})
    fail: bool = False
    stored: list[tuple[int, bytes]] = field(default_factory=list)
    peers: list[Peer] = field(default_factory=list)

    async def route(self, address: str) -> int | None:
        return self.inboxes.get(normalise_address(address))

    async def deliver(self, inbox_id: int, raw: bytes, peer: Peer) -> None:
        if self.fail:
            raise RuntimeError("database is down")
        self.stored.append((inbox_id, raw))
        self.peers.append(peer)


def send(port: int, rcpts: list[str], data: bytes, mail_from: str = "ana@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(mail_from, rcpts, data)


async def test_accepted_mail_is_stored_with_the_envelope_sender() -> None:
    store = FakeStore()
    async with SmtpReceiver(store.route, store.deliver, port=0) as receiver:
        await asyncio.to_thread(send, receiver.port, ["Soporte+pedido@Tienda.example"], MAIL)
    ((inbox_id, raw),) = store.stored
    assert inbox_id == 7
    assert raw.startswith(b"Return-Path: <ana@example.com>\r\n")
    assert raw.endswith(MAIL)
    (peer,) = store.peers  # who handed it over, for sender authentication
    assert peer.ip == "127.0.0.1" and peer.loopback
    assert peer.mail_from == "ana@example.com" and peer.helo


async def test_a_bounce_keeps_its_null_envelope_sender() -> None:
    store = FakeStore()
    async with SmtpReceiver(store.route, store.deliver, port=0) as receiver:
        await asyncio.to_thread(send, receiver.port, ["soporte@tienda.example"], MAIL, "")
    assert store.stored[0][1].startswith(b"Return-Path: <>\r\n")


async def test_unknown_recipients_are_refused_with_550() -> None:
    store = FakeStore()
    async with SmtpReceiver(store.route, store.deliver, port=0) as receiver:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            await asyncio.to_thread(send, receiver.port, ["nobody@tienda.example"], MAIL)
    assert refused.value.recipients["nobody@tienda.example"][0] == 550
    assert store.stored == []


async def test_oversize_mail_is_refused_with_552() -> None:
    store = FakeStore()
    big = MAIL + b"x" * 2000 + b"\r\n"
    async with SmtpReceiver(store.route, store.deliver, port=0, max_size=1000) as receiver:
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            await asyncio.to_thread(send, receiver.port, ["soporte@tienda.example"], big)
    assert refused.value.smtp_code == 552
    assert store.stored == []


async def test_a_storage_failure_answers_451_so_the_sender_retries() -> None:
    store = FakeStore(fail=True)
    async with SmtpReceiver(store.route, store.deliver, port=0) as receiver:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            await asyncio.to_thread(send, receiver.port, ["soporte@tienda.example"], MAIL)
        assert refused.value.smtp_code == 451
        store.fail = False  # the sending server tries again later
        await asyncio.to_thread(send, receiver.port, ["soporte@tienda.example"], MAIL)
    assert len(store.stored) == 1
