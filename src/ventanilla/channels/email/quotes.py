"""Trim quoted history and signatures from the plain text of a reply (English and Spanish)."""

from __future__ import annotations

import re

# "On Mon, 1 Jan 2024 at 10:00, Ana <ana@example.com> wrote:" (may wrap over 2-3 lines),
# "El lun, 1 ene 2024 a las 10:00, Ana (<ana@example.com>) escribió:".
_ATTRIBUTION = re.compile(
    r"^[ \t]*(?:On|El)\b[^\n]{0,300}(?:\n[^\n]{0,300}){0,2}?"
    r"\b(?:wrote|escribió|escribio)[ \t]*:[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Outlook and friends: "-----Original Message-----", "-----Mensaje original-----",
# and a long underscore rule before the "From:/De:" header block.
_SEPARATOR = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:Original Message|Mensaje original|Forwarded by[^\n]*)[ \t]*-{2,}"
    r"|_{20,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_HEADER_BLOCK_START = re.compile(r"^[ \t]*\*?(?:From|De)\*?:[ \t]*\S", re.IGNORECASE)
_HEADER_BLOCK_FIELD = re.compile(
    r"^[ \t]*\*?(?:Sent|Date|To|Subject|Cc|Enviado(?: el)?|Fecha|Para|Asunto|CC)\*?:",
    re.IGNORECASE,
)
_MOBILE_SIGNATURE = re.compile(
    r"^[ \t]*(?:Sent from (?:my |Mail |Yahoo |Outlook |AOL )|Sent via |Get Outlook for "
    r"|Enviado desde (?:mi |Correo |Yahoo |Outlook )|Obtener Outlook para |Descargar Outlook para "
    r"|Enviado con |Sent with )",
    re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^--[ \t]?$")
_MAX_SIGNATURE_LINES = 12


def trim_reply(text: str) -> str:
    """The new part of a message: quoted history and signature removed.

    When trimming would leave nothing (a message that is only a quote), the text is returned
    unchanged so nothing the customer wrote disappears.
    """
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    trimmed = _cut_at_quote_header(normalised)
    lines = _drop_quoted_blocks(trimmed.split("\n"))
    lines = _drop_signature(lines)
    result = "\n".join(lines).strip()
    return result if result else normalised.strip()


def _cut_at_quote_header(text: str) -> str:
    cuts = [m.start() for m in (_ATTRIBUTION.search(text), _SEPARATOR.search(text)) if m]
    block = _outlook_header_block(text)
    if block is not None:
        cuts.append(block)
    return text[: min(cuts)] if cuts else text


def _outlook_header_block(text: str) -> int | None:
    """Offset of a "From: ... / Sent: ... / To: ..." block that starts quoted history."""
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        if i > 0 and _HEADER_BLOCK_START.match(line):
            following = [ln for ln in lines[i + 1 : i + 5] if ln.strip()]
            if sum(1 for ln in following if _HEADER_BLOCK_FIELD.match(ln)) >= 2:
                return offset
        offset += len(line) + 1
    return None


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _drop_quoted_blocks(lines: list[str]) -> list[str]:
    """Remove the quoted block at the end (top-posting) and at the start (bottom-posting)."""
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _is_quoted(lines[end - 1])):
        end -= 1
    start = 0
    while start < end and (not lines[start].strip() or _is_quoted(lines[start])):
        start += 1
    if any(_is_quoted(line) for line in lines[start:end]):
        start = 0  # answers between quotes: the quotes give them their meaning
    return lines[start:end]


def _drop_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_DELIMITER.match(lines[i]) and len(lines) - i <= _MAX_SIGNATURE_LINES:
            lines = lines[:i]
            break
    tail = [i for i, line in enumerate(lines) if line.strip()][-3:]
    for i in tail:
        if _MOBILE_SIGNATURE.match(lines[i]):
            return lines[:i]
    return lines
