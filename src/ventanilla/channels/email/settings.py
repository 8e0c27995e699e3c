"""The settings of an email inbox, read from the inbox's stored settings mapping.

Keys (all optional except ``address``):

``address``         the inbox address customers write to (``support@example.com``)
``from_name``       display name on outgoing mail
``aliases``         other addresses routed to this inbox (list or comma-separated string)
``smtp_host``       outgoing SMTP server (default ``localhost``)
``smtp_port``       default 587 with STARTTLS, 465 with implicit TLS, else 25
``smtp_username``   login for the SMTP server; no login when empty
``smtp_starttls``   upgrade the SMTP connection with STARTTLS (default false)
``smtp_ssl``        implicit TLS (SMTPS) instead of STARTTLS (default false)
``smtp_timeout``    seconds (default 30)
``imap_host``       IMAP server to poll; polling is off when empty
``imap_port``       default 993 with TLS, else 143
``imap_username``   defaults to ``address``
``imap_mailbox``    default ``INBOX``
``imap_ssl``        IMAP over TLS (default true)

The inbox secret is the password for both SMTP and IMAP logins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from typing import Any

from ventanilla.domain.errors import InvalidInput


@dataclass(frozen=True)
class EmailSettings:
    address: str
    from_name: str | None = None
    aliases: tuple[str, ...] = ()
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout: float = 30.0
    imap_host: str | None = None
    imap_port: int = 993
    imap_username: str | None = None
    imap_mailbox: str = "INBOX"
    imap_ssl: bool = True

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"

    @property
    def all_addresses(self) -> tuple[str, ...]:
        return tuple(a.lower() for a in (self.address, *self.aliases))

    @property
    def from_header(self) -> str:
        if not self.from_name:
            return self.address
        local, _, domain = self.address.partition("@")
        return str(Address(self.from_name, local, domain))


def _flag(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(value, int):
        return value != 0
    raise InvalidInput(f"email setting {key!r} must be true or false")


def _int(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"email setting {key!r} must be a number") from None


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _aliases(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("aliases") or ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(a).strip() for a in items if str(a).strip())


def parse_settings(raw: Mapping[str, Any]) -> EmailSettings:
    """Validate an inbox's settings mapping; raise InvalidInput with a clear message."""
    address = _text(raw, "address")
    if not address or "@" not in address:
        raise InvalidInput("email setting 'address' must be an email address")
    ssl = _flag(raw, "smtp_ssl", False)
    starttls = _flag(raw, "smtp_starttls", False)
    smtp_default = 465 if ssl else 587 if starttls else 25
    imap_ssl = _flag(raw, "imap_ssl", True)
    try:
        timeout = float(raw.get("smtp_timeout") or 30.0)
    except (TypeError, ValueError):
        raise InvalidInput("email setting 'smtp_timeout' must be a number") from None
    return EmailSettings(
        address=address,
        from_name=_text(raw, "from_name"),
        aliases=_aliases(raw),
        smtp_host=_text(raw, "smtp_host") or "localhost",
        smtp_port=_int(raw, "smtp_port", smtp_default),
        smtp_username=_text(raw, "smtp_username"),
        smtp_starttls=starttls,
        smtp_ssl=ssl,
        smtp_timeout=timeout,
        imap_host=_text(raw, "imap_host"),
        imap_port=_int(raw, "imap_port", 993 if imap_ssl else 143),
        imap_username=_text(raw, "imap_username") or address,
        imap_mailbox=_text(raw, "imap_mailbox") or "INBOX",
        imap_ssl=imap_ssl,
    )
