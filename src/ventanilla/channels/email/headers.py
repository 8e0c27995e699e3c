"""Header helpers: Message-ID canonical form, thread references, RFC 3834 automatic mail.

Canonical Message-ID form: the id without angle brackets (``1234@example.com``). Every
external id, thread reference and delivery report uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message

_BRACKETED = re.compile(r"<([^<>\s]+)>")
_MAX_REFS = 50

# Precedence values that mark mass or automatic mail (RFC 2076; common practice).
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


MALFORMED = (
    ValueError, TypeError, IndexError, AttributeError, LookupError, AssertionError, HeaderParseError
)


def header_text(msg: Message, name: str) -> str:
    """A header's value as plain text (encoded words decoded), or "" when missing."""
    try:
        value = msg.get(name)
    except MALFORMED:
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if "=?" in text:
        with contextlib.suppress(*MALFORMED):
            text = str(make_header(decode_header(text)))
    return clean_text(text)


def clean_text(value: str) -> str:
    """Undo surrogate escapes left by raw 8-bit bytes so the text can be stored."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")
    return value


def canonical_message_id(value: str) -> str:
    """``<a@b>`` -> ``a@b``; surrounding space and brackets dropped."""
    value = value.strip()
    found = _BRACKETED.search(value)
    if found:
        return found.group(1)
    return value.strip("<> \t")


def bracketed(message_id: str) -> str:
    return f"<{canonical_message_id(message_id)}>"


def ids_in(value: str) -> list[str]:
    """Every Message-ID in a header value, in order (tolerates missing brackets)."""
    found = _BRACKETED.findall(value)
    if found:
        return found
    return [part for part in re.split(r"[\s,]+", value) if "@" in part]


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for mail that carries no Message-ID (same bytes, same id)."""
    return hashlib.sha256(raw).hexdigest()[:40] + "@no-message-id.invalid"


def message_id_of(msg: Message, raw: bytes) -> str:
    found = ids_in(header_text(msg, "Message-ID"))
    return found[0] if found else synthetic_message_id(raw)


def thread_refs(msg: Message) -> tuple[str, ...]:
    """References (oldest first) then In-Reply-To, without duplicates; the parent is last."""
    refs = ids_in(header_text(msg, "References"))
    parents = ids_in(header_text(msg, "In-Reply-To"))
    ordered: list[str] = []
    for ref in [r for r in refs if r not in parents] + parents:
        if ref not in ordered:
            ordered.append(ref)
    return tuple(ordered[-_MAX_REFS:])


def automatic_reason(msg: Message) -> str | None:
    """Why this mail is automatic per RFC 3834 and common practice, or None for a person's mail.

    A subject such as "Auto: ..." or "Out of office" is deliberately not enough on its own.
    """
    auto_submitted = header_text(msg, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header_text(msg, "Precedence").lower()
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if "Return-Path" in msg and header_text(msg, "Return-Path").strip() in {"<>", ""}:
        return "null return path"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = header_text(msg, name).lower()
        if name in msg and value != "no":
            return f"{name}: {value or 'yes'}"
    if msg.get_content_type() == "multipart/report":
        return "multipart/report"
    return None
