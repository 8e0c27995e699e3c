"""Email inbound wiring: store raw mail durably, then run it through the inbound pipeline.

Entry points for the processes:

* ``start_smtp_receiver(container)`` - ``ventanilla serve``: the built-in SMTP listener for
  every email inbox (recipients are matched against each inbox's address and aliases).
* ``poll_imap_inbox(container, inbox_id)`` / ``poll_imap_inboxes(container)`` -
  ``ventanilla worker``: one IMAP polling round (safe with several workers).
* ``receive_raw_email(container, inbox_id, raw)`` - one raw RFC 5322 message.

Before a mail is stored its sender is authenticated (DKIM, DMARC alignment, trusted
``Authentication-Results``; see ``channels/email/authentication.py``) and the verdict is
recorded on the stored mail as our own ``Authentication-Results`` header, under the
authserv-id ``settings.mail_domain``. Headers claiming that id that we did not add are removed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from sqlalchemy import select

from ventanilla.channels.email import EmailAdapter, build_adapter
from ventanilla.channels.email.authentication import (
    Peer,
    Policy,
    Verdict,
    authenticate,
    stamp,
)
from ventanilla.channels.email.headers import message_id_of
from ventanilla.channels.email.imap import MailboxError, poll_mailbox
from ventanilla.channels.email.lookup import Dns, SystemDns
from ventanilla.channels.email.parser import parse_message
from ventanilla.channels.email.receiver import DEFAULT_MAX_SIZE, SmtpReceiver, normalise_address
from ventanilla.domain.enums import ChannelKind
from ventanilla.domain.errors import DomainError, NotFound
from ventanilla.services import ingest
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UowFactory
from ventanilla.storage.models import Inbox

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container
    from ventanilla.config import Settings

log = logging.getLogger(__name__)

CONTENT_TYPE = "message/rfc822"


def email_event_key(raw: bytes) -> str:
    """The dedupe key of a raw email: its Message-ID (or a hash when it has none)."""
    try:
        return message_id_of(parse_message(raw), raw)[:300]
    except (DomainError, ValueError, TypeError, IndexError):
        return ingest.event_key_for(raw)


def sender_policy(settings: Settings, dns: Dns | None = None) -> Policy:
    """How senders are authenticated, from the settings; ``dns`` replaces the resolver."""
    trusted = {
        part.strip().lower()
        for part in settings.email_trusted_authserv_ids.split(",")
        if part.strip()
    }
    loopback = settings.email_trust_loopback
    return Policy(
        authserv_id=settings.mail_domain.lower(),
        trusted_authserv_ids=frozenset(trusted),
        trust_loopback=settings.demo if loopback is None else loopback,
        lookup=dns or SystemDns(),
    )


def load_adapter(
    uow_factory: UowFactory, inbox_id: int, authserv_id: str | None = None
) -> EmailAdapter:
    with uow_factory() as uow:
        inbox = uow.session.get(Inbox, inbox_id)
        if inbox is None or inbox.channel != ChannelKind.EMAIL.value:
            raise NotFound(f"email inbox {inbox_id} not found")
        adapter = build_adapter(inbox.settings or {}, inbox.secret)
    adapter.authserv_id = authserv_id
    return adapter


def authenticated(raw: bytes, policy: Policy, peer: Peer | None = None) -> bytes:
    """The raw mail with our verdict on its sender on top (never fails: "none" at worst)."""
    try:
        verdict = authenticate(raw, policy, peer)
    except Exception as exc:  # a bug or an odd mail must not lose the message
        log.warning("sender authentication failed: %s", exc)
        verdict = Verdict("none", "sender authentication failed")
    return stamp(raw, verdict, policy.authserv_id)


def receive_raw_email_sync(
    uow_factory: UowFactory,
    inbox_id: int,
    raw: bytes,
    policy: Policy,
    peer: Peer | None = None,
) -> list[Received]:
    """Authenticate the sender, store (deduped by Message-ID), then parse and run the pipeline.

    Raises only when the mail could not be stored; a stored mail that cannot be parsed keeps
    its error on the raw event row and is not refused (refusing it would not make it better).
    """
    adapter = load_adapter(uow_factory, inbox_id, policy.authserv_id)
    key = email_event_key(raw)
    raw = authenticated(raw, policy, peer)
    accepted = ingest.accept(uow_factory, inbox_id, raw, CONTENT_TYPE, key)
    try:
        return ingest.process(uow_factory, adapter, accepted.raw_id)
    except DomainError as exc:
        log.warning("stored email %s not processed: %s", accepted.raw_id, exc.message)
        return []


async def receive_raw_email(
    container: Container,
    inbox_id: int,
    raw: bytes,
    peer: Peer | None = None,
    dns: Dns | None = None,
) -> list[Received]:
    """One raw mail; ``peer`` is who handed it to our SMTP receiver, ``dns`` the resolver."""
    policy = sender_policy(container.settings, dns)
    return await asyncio.to_thread(
        receive_raw_email_sync, container.uow, inbox_id, raw, policy, peer
    )


def inbox_for_address(uow_factory: UowFactory, address: str) -> int | None:
    """The email inbox an address belongs to (address or alias; plus-tags ignored)."""
    wanted = normalise_address(address)
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(Inbox.id, Inbox.settings).where(Inbox.channel == ChannelKind.EMAIL.value)
        ).all()
    for inbox_id, settings in rows:
        try:
            addresses = build_adapter(settings or {}, None).settings.all_addresses
        except DomainError:
            continue  # a misconfigured inbox receives nothing until fixed
        if wanted in {normalise_address(a) for a in addresses}:
            return int(inbox_id)
    return None


async def start_smtp_receiver(
    container: Container,
    host: str | None = None,
    port: int | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
    dns: Dns | None = None,
) -> SmtpReceiver:
    """Start the SMTP listener in the running loop; ``await receiver.stop()`` to end it.

    Defaults: host 127.0.0.1 and port ``settings.smtp_receiver_port``; one of ``port`` or
    that setting is required (0 picks a free port). ``dns`` replaces the DNS resolver.
    """
    listen_port = port if port is not None else container.settings.smtp_receiver_port
    if listen_port is None:
        raise ValueError("no port for the SMTP receiver: set VENTANILLA_SMTP_RECEIVER_PORT")

    async def route(address: str) -> int | None:
        return await asyncio.to_thread(inbox_for_address, container.uow, address)

    async def deliver(inbox_id: int, raw: bytes, peer: Peer) -> None:
        await receive_raw_email(container, inbox_id, raw, peer, dns)

    settings = container.settings
    receiver = SmtpReceiver(
        route,
        deliver,
        host=host or "127.0.0.1",
        port=listen_port,
        max_size=max_size,
        hostname=settings.mail_domain,
    )
    await receiver.start()
    return receiver


async def poll_imap_inbox(container: Container, inbox_id: int, dns: Dns | None = None) -> int:
    """One IMAP round for one inbox; returns how many new messages were handed over."""
    adapter = await asyncio.to_thread(load_adapter, container.uow, inbox_id)

    async def handle(raw: bytes) -> None:
        await receive_raw_email(container, inbox_id, raw, dns=dns)

    return await poll_mailbox(adapter.settings, adapter.password, handle)


async def poll_imap_inboxes(container: Container, dns: Dns | None = None) -> dict[int, int]:
    """One IMAP round for every email inbox with an ``imap_host``; failures are logged."""
    ids = await asyncio.to_thread(_imap_inbox_ids, container.uow)
    handed: dict[int, int] = {}
    for inbox_id in ids:
        try:
            handed[inbox_id] = await poll_imap_inbox(container, inbox_id, dns)
        except (MailboxError, DomainError) as exc:
            log.warning("IMAP polling of inbox %s failed: %s", inbox_id, exc)
    return handed


def _imap_inbox_ids(uow_factory: UowFactory) -> list[int]:
    with uow_factory() as uow:
        rows = uow.session.execute(
            select(Inbox.id, Inbox.settings).where(Inbox.channel == ChannelKind.EMAIL.value)
        ).all()
    return [int(i) for i, s in rows if isinstance(s, dict) and s.get("imap_host")]
