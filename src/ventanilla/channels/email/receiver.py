"""A built-in SMTP receiver (aiosmtpd) that hands each accepted message to a callback.

A message is acknowledged with 250 only after the callback returned, i.e. after the raw mail
is stored. Unknown recipients get 550, oversize mail 552, and a failing callback 451 so the
sending server keeps the message and retries later: nothing we answered 250 for is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP

from ventanilla.channels.email.authentication import Peer

log = logging.getLogger(__name__)

# Which inbox a recipient address belongs to (None: not ours).
Route = Callable[[str], Awaitable[int | None]]
# Store one raw message for one inbox, with who handed it over; raise to make the sender retry.
Deliver = Callable[[int, bytes, Peer], Awaitable[None]]

DEFAULT_MAX_SIZE = 25 * 1024 * 1024


def normalise_address(address: str) -> str:
    """``Support+tag@Example.com`` -> ``support@example.com`` (plus-addressing folded)."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}".lower()


class InboxMailHandler:
    """aiosmtpd handler: RCPT checks the recipient, DATA stores the message."""

    def __init__(self, route: Route, deliver: Deliver, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._route = route
        self._deliver = deliver
        self.max_size = max_size

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            inbox_id = await self._route(address)
        except Exception:
            log.exception("could not look up the inbox for %s", address)
            return "451 4.3.0 Temporary lookup failure, try again later"
        if inbox_id is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data: bytes = envelope.original_content or b""
        if len(data) > self.max_size:
            return "552 5.3.4 Message too big"
        raw = _with_return_path(envelope.mail_from or "", data)
        peer = Peer(
            ip=_peer_ip(session),
            helo=str(getattr(session, "host_name", "") or ""),
            mail_from=str(envelope.mail_from or ""),
        )
        try:
            inbox_ids: list[int] = []
            for rcpt in envelope.rcpt_tos:
                inbox_id = await self._route(rcpt)
                if inbox_id is not None and inbox_id not in inbox_ids:
                    inbox_ids.append(inbox_id)
            for inbox_id in inbox_ids:
                await self._deliver(inbox_id, raw, peer)
        except Exception:
            log.exception("could not store mail from %s", envelope.mail_from)
            return "451 4.3.0 Message not stored, try again later"
        return "250 2.0.0 OK: message accepted"


def _peer_ip(session: Any) -> str:
    peer = getattr(session, "peer", None)
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "")


def _with_return_path(mail_from: str, data: bytes) -> bytes:
    """Record the envelope sender as the final delivery server does (RFC 5321 4.4)."""
    sender = mail_from.strip().strip("<>").replace("\r", "").replace("\n", "")
    return b"Return-Path: <" + sender.encode("utf-8", "replace") + b">\r\n" + data


class SmtpReceiver:
    """Listens on host:port in the running event loop; port 0 picks a free port."""

    def __init__(
        self,
        route: Route,
        deliver: Deliver,
        host: str = "127.0.0.1",
        port: int = 2525,
        max_size: int = DEFAULT_MAX_SIZE,
        hostname: str | None = None,
    ) -> None:
        self.handler = InboxMailHandler(route, deliver, max_size)
        self.host = host
        self.port = port
        self.hostname = hostname
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                self.handler,
                data_size_limit=self.handler.max_size,
                enable_SMTPUTF8=True,
                decode_data=False,
                hostname=self.hostname,
                ident="Ventanilla ESMTP",
                loop=loop,
            )

        self._server = await loop.create_server(protocol, self.host, self.port)
        sockets = self._server.sockets
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
