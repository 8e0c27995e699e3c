"""Poll an existing mailbox over IMAP (stdlib imaplib, run in a worker thread).

Each UNSEEN message is fetched with BODY.PEEK[] (which leaves it unseen), handed to the
callback, and flagged \\Seen only after the callback returned. A crash in between leaves the
message unseen, so the next round fetches it again; the pipeline dedupes it by Message-ID,
which also makes two concurrent pollers harmless.
"""

from __future__ import annotations

import asyncio
import imaplib
import ssl
from collections.abc import Awaitable, Callable, Sequence

from ventanilla.channels.email.settings import EmailSettings

Handle = Callable[[bytes], Awaitable[None]]
IMAP_TIMEOUT_S = 30.0


class MailboxError(Exception):
    """The mailbox could not be reached, logged into or read."""


async def poll_mailbox(
    settings: EmailSettings, password: str | None, handle: Handle, limit: int = 200
) -> int:
    """One polling round; returns how many messages were handed over and flagged seen."""
    if not settings.imap_host:
        raise MailboxError(f"inbox {settings.address} has no imap_host")
    client = await asyncio.to_thread(_open, settings, password)
    try:
        uids = await asyncio.to_thread(_unseen, client)
        handed = 0
        for uid in uids[:limit]:
            raw = await asyncio.to_thread(_fetch, client, uid)
            if raw is None:
                continue
            await handle(raw)
            await asyncio.to_thread(_mark_seen, client, uid)
            handed += 1
        return handed
    finally:
        await asyncio.to_thread(_close, client)


def _check(result: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = result
    if status != "OK":
        raise MailboxError(f"IMAP {what} failed: {data!r}")
    return data


def _open(settings: EmailSettings, password: str | None) -> imaplib.IMAP4:
    host = settings.imap_host or ""
    try:
        client: imaplib.IMAP4
        if settings.imap_ssl:
            context = ssl.create_default_context()
            client = imaplib.IMAP4_SSL(
                host, settings.imap_port, ssl_context=context, timeout=IMAP_TIMEOUT_S
            )
        else:
            client = imaplib.IMAP4(host, settings.imap_port, timeout=IMAP_TIMEOUT_S)
    except OSError as exc:
        raise MailboxError(f"cannot connect to {host}:{settings.imap_port}: {exc}") from exc
    try:
        client.login(settings.imap_username or settings.address, password or "")
        _check(client.select(_quoted(settings.imap_mailbox)), "SELECT")
    except (imaplib.IMAP4.error, OSError) as exc:
        _close(client)
        raise MailboxError(f"IMAP login or SELECT failed: {exc}") from exc
    return client


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unseen(client: imaplib.IMAP4) -> list[str]:
    try:
        data = _check(client.uid("SEARCH", "UNSEEN"), "SEARCH")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"IMAP SEARCH failed: {exc}") from exc
    found = data[0] if data else b""
    return [uid.decode() for uid in found.split()] if isinstance(found, bytes) else []


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    try:
        data = _check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"IMAP FETCH {uid} failed: {exc}") from exc
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], bytes):
            return item[1]
    return None  # expunged meanwhile


def _mark_seen(client: imaplib.IMAP4, uid: str) -> None:
    try:
        _check(client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
    except (imaplib.IMAP4.error, OSError) as exc:
        raise MailboxError(f"IMAP STORE {uid} failed: {exc}") from exc


def _close(client: imaplib.IMAP4) -> None:
    for step in (client.close, client.logout):
        try:
            step()
        except (imaplib.IMAP4.error, OSError):
            continue
