from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ventanilla.domain.conversations import (
    check_status_change,
    normalize_tags,
    status_after_customer_message,
)
from ventanilla.domain.enums import ConversationStatus, IdentityKind
from ventanilla.domain.errors import InvalidInput
from ventanilla.domain.identity import normalize_address

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (IdentityKind.EMAIL, "  Maria@Example.COM ", "maria@example.com"),
        (IdentityKind.PHONE, "+34 600 11 22 33", "+34600112233"),
        (IdentityKind.WHATSAPP, "whatsapp:+34600112233", "+34600112233"),
        (IdentityKind.TELEGRAM, "123456", "123456"),
    ],
)
def test_the_same_address_written_differently_is_one_identity(
    kind: IdentityKind, raw: str, expected: str
) -> None:
    assert normalize_address(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(IdentityKind.EMAIL, "not-an-email"), (IdentityKind.PHONE, "12"), (IdentityKind.EMAIL, " ")],
)
def test_bad_addresses_are_refused_with_a_reason(kind: IdentityKind, raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalize_address(kind, raw)


def test_snoozing_needs_a_future_aware_time() -> None:
    with pytest.raises(InvalidInput, match="snoozed_until"):
        check_status_change(ConversationStatus.SNOOZED, None, NOW)
    with pytest.raises(InvalidInput, match="future"):
        check_status_change(ConversationStatus.SNOOZED, NOW - timedelta(minutes=1), NOW)
    with pytest.raises(InvalidInput, match="time zone"):
        check_status_change(ConversationStatus.SNOOZED, datetime(2030, 1, 1), NOW)
    check_status_change(ConversationStatus.SNOOZED, NOW + timedelta(hours=1), NOW)


def test_a_customer_message_wakes_snoozed_and_pending_conversations() -> None:
    assert status_after_customer_message(ConversationStatus.SNOOZED) is ConversationStatus.OPEN
    assert status_after_customer_message(ConversationStatus.PENDING) is ConversationStatus.OPEN
    assert status_after_customer_message(ConversationStatus.OPEN) is ConversationStatus.OPEN


def test_tags_are_cleaned_and_deduplicated() -> None:
    assert normalize_tags(["VIP", " vip ", "Refund"]) == ["vip", "refund"]
    with pytest.raises(InvalidInput):
        normalize_tags(["   "])
