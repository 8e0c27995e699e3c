"""Every shared .eml through the parser, and what a user would notice on the ones that matter."""

from __future__ import annotations

import random

import pytest
from email_shared import eml_names, read_eml

from ventanilla.channels.base import DeliveryReport, InboundMessage
from ventanilla.channels.email import build_adapter, parse_email
from ventanilla.domain.errors import PayloadError

INBOX = {"address": "care@example.com"}


def parse(name: str, settings: dict[str, str] | None = None) -> list[object]:
    adapter = build_adapter(settings or INBOX, None)
    return list(adapter.parse({}, read_eml(name)))


def only_message(name: str) -> InboundMessage:
    events = parse(name)
    assert len(events) == 1
    assert isinstance(events[0], InboundMessage)
    return events[0]


@pytest.mark.parametrize("name", eml_names())
def test_every_shared_email_parses_into_one_event(name: str) -> None:
    events = parse(name)
    assert len(events) == 1
    event = events[0]
    if isinstance(event, InboundMessage):
        assert event.external_id and "<" not in event.external_id
        assert "@" in event.sender.address
        assert event.text or event.html or event.attachments
        assert all("<" not in ref for ref in event.thread_refs)
        assert event.sent_at is None or event.sent_at.utcoffset() is not None
    else:
        assert isinstance(event, DeliveryReport)
        assert event.status == "failed"
        assert event.reason


@pytest.mark.parametrize(
    "name",
    [
        "chatwoot_auto_reply.eml",
        "chatwoot_auto_reply_with_auto_submitted.eml",
        "constructed_rfc3834_vacation_autoreply.eml",
        "chatwoot_non_utf_encoded_mail.eml",
    ],
)
def test_automatic_mail_is_flagged(name: str) -> None:
    msg = only_message(name)
    assert msg.automatic
    assert msg.meta["automatic_reason"]


@pytest.mark.parametrize(
    "name", ["chatwoot_support.eml", "chatwoot_reply.eml", "rfc5322_A2_reply1.eml"]
)
def test_mail_from_a_person_is_not_automatic(name: str) -> None:
    assert not only_message(name).automatic


def test_gmail_bounce_fails_our_message_with_the_smtp_reason() -> None:
    (report,) = parse("chatwoot_bounced_gmail.eml")
    assert isinstance(report, DeliveryReport)
    assert report.status == "failed"
    assert report.external_id == (
        "conversation/93775311-9416-4428-964b-862001f8a8b2/messages/27855337@gmail.com"
    )
    assert report.reason is not None
    assert report.reason.startswith(
        "alex.jones@fictionalcorp.com: 550 5.1.1 The email account that you tried to reach"
    )


def test_postfix_bounce_reason_comes_from_the_diagnostic_code() -> None:
    (report,) = parse("chatwoot_bounced_with_no_from.eml")
    assert isinstance(report, DeliveryReport)
    assert report.reason is not None
    assert "554 5.7.1" in report.reason
    assert "noreply@example-service.com" in report.reason


def test_rfc3464_simple_dsn_reports_diagnostic_and_status() -> None:
    (report,) = parse("rfc3464_appendixD_simple_dsn.eml")
    assert isinstance(report, DeliveryReport)
    assert report.reason == "louisl@larry.slip.umd.edu: 426 connection timed out (status 4.0.0)"


def test_rfc5322_thread_references_grow_with_the_parent_last() -> None:
    assert only_message("rfc5322_A1_1_original.eml").thread_refs == ()
    assert only_message("rfc5322_A2_reply1.eml").thread_refs == ("1234@local.machine.example",)
    assert only_message("rfc5322_A2_reply2.eml").thread_refs == (
        "1234@local.machine.example",
        "3456@example.net",
    )


def test_folded_multi_valued_in_reply_to_keeps_every_id() -> None:
    refs = only_message("chatwoot_multiple_in_reply_to.eml").thread_refs
    assert refs[-2:] == (
        "4e6e35f5a38b4_479f13bb90078171@small-app-01.mail",
        "4e6e35f5a38b4_479f13bb90078131@small-app-01.mail",
    )
    assert "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail" in refs


def test_html_body_and_attachment_are_kept() -> None:
    msg = only_message("chatwoot_html_and_attachments.eml")
    assert msg.html is not None and "<h1>" in msg.html
    assert msg.text == "This is html and attachments only mail"
    (attachment,) = msg.attachments
    assert attachment.filename == "1610894557447.jpg"
    assert attachment.content_type == "image/jpeg"
    assert attachment.data.startswith(b"\xff\xd8")  # a real JPEG


def test_inline_images_become_attachments() -> None:
    msg = only_message("chatwoot_support.eml")
    assert [a.filename for a in msg.attachments] == ["avatar1.jpeg", "avatar2.jpg"]
    assert msg.text == "Let's talk about these images:"


def test_encoded_words_and_base64_body_are_decoded() -> None:
    msg = only_message("chatwoot_non_utf_encoded_mail.eml")
    assert msg.subject == "أهلين عميلنا الكريم"
    assert msg.sender.name == "متجر سوق نت"
    assert msg.text.startswith("أنظروا")


def test_plain_signature_is_trimmed_from_a_gmail_message() -> None:
    msg = only_message("chatwoot_reply_cc.eml")
    assert msg.text == "Hello,\n\nFind the related inbox."
    assert msg.meta["email_cc"] == "test@example.com"


def test_mail_from_our_own_address_is_ignored() -> None:
    events = parse("chatwoot_notification.eml", {"address": "accounts@chatwoot.com"})
    assert events == []


def damaged_copies(raw: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    copies = [raw[: rng.randrange(1, len(raw))] for _ in range(8)]
    for _ in range(8):
        damaged = bytearray(raw)
        for _ in range(20):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        copies.append(bytes(damaged))
    return copies


@pytest.mark.parametrize("name", eml_names())
def test_damaged_mail_gives_an_event_or_a_clear_payload_error(name: str) -> None:
    raw = read_eml(name)
    for damaged in damaged_copies(raw, seed=sum(name.encode())):
        try:
            events = parse_email(damaged)
        except PayloadError:
            continue
        for event in events:
            if isinstance(event, InboundMessage):  # everything must be storable as UTF-8
                stored = event.text + (event.subject or "") + (event.sender.name or "")
                stored.encode("utf-8")
