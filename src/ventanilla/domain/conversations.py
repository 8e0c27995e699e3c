"""Rules about conversation state that do not depend on storage."""

from __future__ import annotations

from datetime import datetime

from ventanilla.domain.enums import ConversationStatus
from ventanilla.domain.errors import InvalidInput

_ALLOWED = {
    ConversationStatus.OPEN,
    ConversationStatus.PENDING,
    ConversationStatus.SNOOZED,
    ConversationStatus.RESOLVED,
}


def check_status_change(
    new: ConversationStatus, snoozed_until: datetime | None, now: datetime
) -> None:
    """Validate a requested status change."""
    if new not in _ALLOWED:
        raise InvalidInput(f"unknown status {new!r}")
    if new is ConversationStatus.SNOOZED:
        if snoozed_until is None:
            raise InvalidInput("snoozed needs snoozed_until")
        if snoozed_until.tzinfo is None:
            raise InvalidInput("snoozed_until must carry a time zone")
        if snoozed_until <= now:
            raise InvalidInput("snoozed_until must be in the future")
    elif snoozed_until is not None:
        raise InvalidInput("snoozed_until only goes with status snoozed")


def status_after_customer_message(current: ConversationStatus) -> ConversationStatus:
    """A customer writing again wakes a pending or snoozed conversation."""
    if current in (ConversationStatus.PENDING, ConversationStatus.SNOOZED):
        return ConversationStatus.OPEN
    return current


def normalize_tags(tags: list[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        clean = tag.strip().lower()
        if not clean or len(clean) > 64:
            raise InvalidInput(f"bad tag {tag!r}")
        if clean not in seen:
            seen.append(clean)
    return seen
