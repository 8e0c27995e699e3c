"""Raw RFC 5322 bytes -> channel-neutral inbound events."""

from __future__ import annotations

import mimetypes
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from ventanilla.channels.base import (
    DeliveryReport,
    InboundAttachment,
    InboundEvent,
    InboundMessage,
    SenderIdentity,
)
from ventanilla.channels.email.authentication import recorded_verdict
from ventanilla.channels.email.dsn import is_delivery_report, read_notification
from ventanilla.channels.email.headers import (
    MALFORMED,
    automatic_reason,
    clean_text,
    header_text,
    message_id_of,
    thread_refs,
)
from ventanilla.channels.email.htmltext import html_to_text
from ventanilla.channels.email.lookup import ascii_domain
from ventanilla.channels.email.quotes import trim_reply
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.domain.errors import PayloadError

MAX_TEXT = 100_000
_FALLBACK_CHARSETS = ("utf-8", "cp1252")


@dataclass
class _Body:
    texts: list[str] = field(default_factory=list)
    html: str | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)


def parse_message(raw: bytes, strict: bool = True) -> Message:
    """Parse with the modern policy, or the lenient legacy one for mail it chokes on."""
    if not raw.strip():
        raise PayloadError("empty email")
    return BytesParser(policy=policy.default if strict else policy.compat32).parsebytes(raw)


def parse_email(
    raw: bytes, own_addresses: Collection[str] = (), authserv_id: str | None = None
) -> list[InboundEvent]:
    """Parse one email: a customer message, a delivery report, or nothing (our own mail).

    ``authserv_id`` names our own ``Authentication-Results`` header (added when the mail was
    received, see ``authentication.stamp``): only a mail whose topmost such header says the
    sender is authenticated gets a verified sender. Without it, no sender is verified.
    """
    try:
        return _events(parse_message(raw), raw, own_addresses, authserv_id)
    except MALFORMED:
        pass  # headers the modern parser cannot read: retry leniently
    try:
        return _events(parse_message(raw, strict=False), raw, own_addresses, authserv_id)
    except MALFORMED as exc:
        raise PayloadError(f"malformed email: {exc}") from exc


def _events(
    msg: Message, raw: bytes, own_addresses: Collection[str], authserv_id: str | None
) -> list[InboundEvent]:
    message_id = message_id_of(msg, raw)
    body = _Body()
    _collect(msg, body)
    text = "\n\n".join(t for t in body.texts if t.strip())
    if is_delivery_report(msg):
        note = read_notification(msg, text or html_to_text(body.html or ""))
        if note is None:
            return []
        return [
            DeliveryReport(
                channel=ChannelKind.EMAIL,
                external_id=note.original_message_id,
                status=note.status,
                reason=note.reason or None,
                event_id=message_id,
            )
        ]
    name, address, source = _sender(msg)
    if address.lower() in {a.lower() for a in own_addresses}:
        return []  # our own mail coming back: never a customer message
    if not text and body.html:
        text = html_to_text(body.html)
    auth, auth_reason = _sender_auth(msg, address, source, authserv_id)
    meta = {**_meta(msg), "sender_auth": auth, "sender_auth_reason": auth_reason[:300]}
    return [
        InboundMessage(
            channel=ChannelKind.EMAIL,
            external_id=message_id,
            sender=SenderIdentity(
                IdentityKind.EMAIL, address.lower(), name or None, verified=auth == "pass"
            ),
            text=_cap(trim_reply(text)) if text else "",
            html=body.html,
            subject=header_text(msg, "Subject") or None,
            sent_at=_sent_at(msg),
            attachments=tuple(body.attachments),
            thread_refs=thread_refs(msg),
            automatic=automatic_reason(msg) is not None,
            meta=meta,
        )
    ]


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _sender(msg: Message) -> tuple[str, str, str]:
    """(display name, address, the header it came from)."""
    for header in ("From", "Sender", "Reply-To", "Return-Path"):
        name, address = parseaddr(header_text(msg, header))
        if "@" in address:
            return name.strip(), address.strip(), header
    raise PayloadError("email has no sender address")


def _sender_auth(
    msg: Message, address: str, source: str, authserv_id: str | None
) -> tuple[str, str]:
    """("pass" | "fail" | "none", reason) for the sender address, from our own header."""
    recorded = recorded_verdict(msg, authserv_id) if authserv_id else None
    if recorded is None:
        return "none", "sender not checked"
    result, reason, from_domain = recorded
    if result == "pass":
        domain = ascii_domain(address.rpartition("@")[2])
        if source != "From":
            return "none", f"the sender address comes from {source}, not From"
        if domain != from_domain:
            return "fail", f"authenticated domain {from_domain} is not the sender's {domain}"
    return result, reason


def _sent_at(msg: Message) -> datetime | None:
    value = header_text(msg, "Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _meta(msg: Message) -> dict[str, str]:
    meta: dict[str, str] = {}
    for key, header in (("email_to", "To"), ("email_cc", "Cc"), ("reply_to", "Reply-To")):
        addresses = [a for _, a in getaddresses([header_text(msg, header)]) if "@" in a]
        if addresses:
            meta[key] = ", ".join(addresses)[:1000]
    reason = automatic_reason(msg)
    if reason:
        meta["automatic_reason"] = reason
    return meta


def _collect(part: Message, body: _Body) -> None:
    """Walk the MIME tree: first text/plain and text/html are the body, the rest attachments."""
    maintype, ctype = part.get_content_maintype(), part.get_content_type()
    if maintype == "multipart":
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                _collect(sub, body)
        return
    if ctype in {"message/delivery-status", "text/rfc822-headers"}:
        return
    filename = _filename(part)
    is_attachment = part.get_content_disposition() == "attachment" or filename is not None
    if ctype == "text/plain" and not is_attachment:
        body.texts.append(decode_text(part))
    elif ctype == "text/html" and not is_attachment and body.html is None:
        body.html = decode_text(part)
    else:
        _add_attachment(part, body, filename)


def _add_attachment(part: Message, body: _Body, filename: str | None) -> None:
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        data = first.as_bytes() if isinstance(first, Message) else b""
    else:
        decoded = part.get_payload(decode=True)
        data = decoded if isinstance(decoded, bytes) else b""
    if not data:
        return  # an empty part (e.g. a truncated inline image) carries nothing to keep
    if not filename:
        ext = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ".bin"
        filename = f"attachment-{len(body.attachments) + 1}{ext}"
    body.attachments.append(InboundAttachment(filename=filename, content_type=ctype, data=data))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, TypeError, LookupError):
        return None
    if not name:
        return None
    cleaned = clean_text(str(name)).replace("/", "_").replace("\\", "_").strip()
    return cleaned[:255] or None


def decode_text(part: Message) -> str:
    """A text part as str, whatever charset it declares (or mislabels)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return clean_text(str(part.get_payload()))
    declared = part.get_content_charset() or "utf-8"
    for charset in (declared, *_FALLBACK_CHARSETS):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("utf-8", "replace")
