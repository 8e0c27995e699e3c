"""The email ChannelAdapter: parse inbound mail, send over SMTP with the standard library."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from ventanilla.channels.base import (
    InboundEvent,
    OutboundMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from ventanilla.channels.email.builder import build_email
from ventanilla.channels.email.headers import canonical_message_id
from ventanilla.channels.email.parser import parse_email
from ventanilla.channels.email.settings import EmailSettings, parse_settings
from ventanilla.domain.enums import ChannelKind


class EmailAdapter:
    """One email inbox. Inbound mail arrives through our SMTP receiver or an IMAP login."""

    name = ChannelKind.EMAIL

    def __init__(
        self,
        settings: EmailSettings,
        password: str | None = None,
        authserv_id: str | None = None,
    ) -> None:
        self.settings = settings
        self._password = password
        # Our own Authentication-Results authserv-id: the sender is verified only when the
        # receiving side recorded a pass under it (see authentication.stamp).
        self.authserv_id = authserv_id

    @property
    def password(self) -> str | None:
        return self._password

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Nothing to refuse: mail reaches us via our own SMTP listener or our IMAP login.

        Whether the sender is who ``From`` says is decided per mail when it is received
        (``authentication.authenticate``) and never makes us refuse a mail.
        """

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[InboundEvent]:
        return parse_email(
            body, own_addresses=self.settings.all_addresses, authserv_id=self.authserv_id
        )

    def build(self, message: OutboundMessage) -> EmailMessage:
        return build_email(message, self.settings)

    async def send(self, message: OutboundMessage) -> SendResult:
        try:
            email = self.build(message)
        except (ValueError, TypeError) as exc:  # e.g. a line break in an address or subject
            raise PermanentSendError(f"message cannot be built: {exc}") from exc
        message_id = canonical_message_id(str(email["Message-ID"]))
        # RFC 3834 3.3: automatic responses go out with a null envelope sender.
        envelope_from = "" if message.automatic else self.settings.address
        await asyncio.to_thread(self._deliver, email, envelope_from, message.recipient)
        return SendResult(external_id=message_id)

    def _deliver(self, email: EmailMessage, envelope_from: str, recipient: str) -> None:
        try:
            with self._connect() as smtp:
                smtp.send_message(email, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
            raise _send_error(code, reply) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Wrong credentials are fixed in the inbox settings; the message waits for that.
            raise TransientSendError(f"SMTP login failed: {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise _send_error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"SMTP connection failed: {exc}") from exc
        except ValueError as exc:  # a header that cannot be encoded (e.g. a bad address)
            raise PermanentSendError(f"message cannot be sent: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_ssl:
            context = ssl.create_default_context()
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            smtp.ehlo()
            if s.smtp_starttls and not s.smtp_ssl:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, self._password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _send_error(code: int, reply: bytes | str) -> Exception:
    message = f"SMTP {code} {_text(reply)}".strip()
    if 500 <= code < 600:
        return PermanentSendError(message)
    return TransientSendError(message)


def build_adapter(settings: Mapping[str, Any], secret: str | None) -> EmailAdapter:
    """The adapter for one email inbox; ``secret`` is the SMTP/IMAP password."""
    return EmailAdapter(parse_settings(settings), secret)
