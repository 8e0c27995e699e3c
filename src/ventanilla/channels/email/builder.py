"""OutboundMessage -> a ready-to-send email.message.EmailMessage."""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from ventanilla.channels.base import OutboundMessage
from ventanilla.channels.email.headers import bracketed, canonical_message_id
from ventanilla.channels.email.settings import EmailSettings

_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|rv|fw|fwd|r)\s*:", re.IGNORECASE)
_MAX_REFERENCES = 20
DEFAULT_SUBJECT = "(no subject)"


def message_id_for(idempotency_key: str, domain: str) -> str:
    """The Message-ID (canonical, no brackets) of a send: same key, same id, on every retry."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{domain}"


def reply_subject(subject: str | None, replying: bool) -> str:
    text = " ".join((subject or "").split()) or DEFAULT_SUBJECT
    if replying and not _REPLY_PREFIX.match(text):
        return f"Re: {text}"
    return text


def build_email(message: OutboundMessage, settings: EmailSettings) -> EmailMessage:
    """Headers for threading and RFC 3834, a text body with an HTML alternative, attachments."""
    refs = [canonical_message_id(r) for r in message.thread_refs if r.strip()]
    email = EmailMessage()
    email["From"] = settings.from_header
    email["To"] = formataddr((message.recipient_name or "", message.recipient))
    email["Subject"] = reply_subject(message.subject, replying=bool(refs))
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = bracketed(message_id_for(message.idempotency_key, settings.domain))
    if refs:
        email["In-Reply-To"] = bracketed(refs[-1])
        email["References"] = " ".join(bracketed(r) for r in refs[-_MAX_REFERENCES:])
    if message.automatic:
        email["Auto-Submitted"] = "auto-replied"
        email["X-Auto-Response-Suppress"] = "All"
    email.set_content(message.text or "")
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email
