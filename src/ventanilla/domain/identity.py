"""Normalising the addresses a contact is known by."""

from __future__ import annotations

import re

from ventanilla.domain.enums import IdentityKind
from ventanilla.domain.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_KINDS = {IdentityKind.PHONE, IdentityKind.WHATSAPP}


def normalize_address(kind: IdentityKind, address: str) -> str:
    """Return the canonical form of an address, or raise InvalidInput."""
    value = address.strip()
    if not value:
        raise InvalidInput(f"empty {kind.value} address")
    if len(value) > 320:
        raise InvalidInput(f"{kind.value} address is too long")
    if kind is IdentityKind.EMAIL:
        value = value.lower()
        if not _EMAIL.match(value):
            raise InvalidInput(f"not an email address: {address!r}")
        return value
    if kind in _PHONE_KINDS:
        digits = re.sub(r"[^\d]", "", value.removeprefix("whatsapp:"))
        if not 6 <= len(digits) <= 15:
            raise InvalidInput(f"not a phone number: {address!r}")
        return "+" + digits
    return value
