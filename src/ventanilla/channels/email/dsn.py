"""Delivery status notifications (RFC 3464 multipart/report; report-type=delivery-status)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser

from ventanilla.channels.email.headers import header_text, ids_in

_SMTP_REPLY = re.compile(r"\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b")
_MAX_REASON = 1000


@dataclass(frozen=True)
class Notification:
    status: str  # "failed" or "delivered"
    original_message_id: str  # canonical form; "" when the report does not say
    reason: str


def is_delivery_report(msg: Message) -> bool:
    if msg.get_content_type() == "multipart/report":
        return msg.get_param("report-type", "", header="content-type") == "delivery-status" or (
            "X-Failed-Recipients" in msg
        )
    return "X-Failed-Recipients" in msg and msg.is_multipart()


def read_notification(msg: Message, human_text: str) -> Notification | None:
    """What the report says about our message; None for a mere "delayed" warning."""
    per_message, recipients = _status_fields(msg)
    actions = {header_text(r, "Action").lower() for r in recipients} - {""}
    if actions and "failed" not in actions:
        if actions <= {"delayed"}:
            return None
        if actions & {"delivered", "relayed", "expanded"}:
            return Notification("delivered", _original_id(msg, per_message), "")
    reason = _reason(recipients, human_text)
    failed = header_text(msg, "X-Failed-Recipients")
    if not recipients and failed and failed not in reason:
        reason = f"{failed}: {reason}"[:_MAX_REASON]
    return Notification("failed", _original_id(msg, per_message), reason)


def _status_fields(msg: Message) -> tuple[Message | None, list[Message]]:
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks = [p for p in payload if isinstance(p, Message)]
        else:
            text = str(payload).replace("\r\n", "\n")
            blocks = [HeaderParser().parsestr(b) for b in re.split(r"\n\s*\n", text) if b.strip()]
        if blocks:
            return blocks[0], blocks[1:]
    return None, []


def _original_id(msg: Message, per_message: Message | None) -> str:
    for part in msg.walk():
        ctype = part.get_content_type()
        returned: Message | None = None
        if ctype == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                returned = payload[0]
        elif ctype == "text/rfc822-headers":
            returned = HeaderParser().parsestr(_part_text(part))
        if returned is not None:
            found = ids_in(header_text(returned, "Message-ID"))
            if found:
                return found[0]
    if per_message is not None:
        envelope_id = header_text(per_message, "Original-Envelope-Id")
        if envelope_id:
            return ids_in(envelope_id)[0] if ids_in(envelope_id) else envelope_id.strip("<>")
    return ""


def _reason(recipients: list[Message], human_text: str) -> str:
    reasons = []
    for rcpt in recipients:
        if header_text(rcpt, "Action").lower() not in {"failed", ""}:
            continue
        who = header_text(rcpt, "Final-Recipient").partition(";")[2].strip()
        diagnostic = header_text(rcpt, "Diagnostic-Code")
        diagnostic = diagnostic.partition(";")[2].strip() if ";" in diagnostic else diagnostic
        status = header_text(rcpt, "Status")
        text = diagnostic or "delivery failed"
        if status and status not in text:
            text = f"{text} (status {status})"
        reasons.append(f"{who}: {text}" if who else text)
    if reasons:
        return "; ".join(reasons)[:_MAX_REASON]
    return _reason_from_text(human_text)


def _reason_from_text(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
    for paragraph in paragraphs:
        if _SMTP_REPLY.search(paragraph):
            return paragraph[:_MAX_REASON]
    return (" ".join(paragraphs) or "delivery failed")[:_MAX_REASON]


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    return str(part.get_payload())
