"""Sender authentication: DKIM verified here, DMARC alignment, trusted Authentication-Results."""

from __future__ import annotations

import pytest
from email_dkim import DkimKey, FakeDns, example_dns, make_key, sign
from email_shared import eml_names, read_eml

from ventanilla.channels.base import InboundMessage
from ventanilla.channels.email import build_adapter
from ventanilla.channels.email.authentication import (
    Peer,
    Policy,
    Verdict,
    authenticate,
    org_domain,
    stamp,
)

OURS = "ventanilla.local"


def mail(
    sender: str = "Ana <ana@example.com>", body: str = "¿Dónde está mi pedido 10023?"
) -> bytes:
    return (
        f"From: {sender}\r\nTo: soporte@tienda.example\r\nSubject: Pedido\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <p1@example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def key() -> DkimKey:
    return make_key()


@pytest.fixture
def dns(key: DkimKey) -> FakeDns:
    return example_dns(key)


def policy(dns: FakeDns, *trusted: str, loopback: bool = False) -> Policy:
    return Policy(OURS, frozenset(trusted), loopback, dns)


def parsed(raw: bytes, verdict: Verdict) -> InboundMessage:
    adapter = build_adapter({"address": "soporte@tienda.example"}, None)
    adapter.authserv_id = OURS
    (event,) = adapter.parse({}, stamp(raw, verdict, OURS))
    assert isinstance(event, InboundMessage)
    return event


def test_a_signature_of_the_from_domain_authenticates_the_sender(
    key: DkimKey, dns: FakeDns
) -> None:
    raw = sign(mail(), key, "example.com")
    verdict = authenticate(raw, policy(dns))
    assert (verdict.result, verdict.dmarc) == ("pass", "pass")
    assert verdict.reason == "signed by example.com, aligned with From"
    msg = parsed(raw, verdict)
    assert msg.sender.verified
    assert msg.meta["sender_auth"] == "pass"


def test_a_subdomain_signature_is_aligned_with_the_organisational_domain(
    key: DkimKey, dns: FakeDns
) -> None:
    dns.publish_key("mail.example.com", key)
    raw = sign(mail(), key, "mail.example.com")
    assert authenticate(raw, policy(dns)).result == "pass"


def test_a_forged_from_signed_by_another_domain_fails_under_dmarc(
    key: DkimKey, dns: FakeDns
) -> None:
    dns.publish_key("attacker.test", key)
    raw = sign(mail(), key, "attacker.test")  # a valid signature, but not of example.com
    verdict = authenticate(raw, policy(dns))
    assert verdict.result == "fail"
    assert verdict.dkim == [("attacker.test", "pass")]
    assert "not aligned with From example.com" in verdict.reason
    assert "p=reject" in verdict.reason
    msg = parsed(raw, verdict)
    assert not msg.sender.verified
    assert msg.sender.address == "ana@example.com"  # still a message, from an unproven sender
    assert msg.meta["sender_auth"] == "fail"


def test_changing_the_from_or_the_body_after_signing_breaks_the_signature(
    key: DkimKey, dns: FakeDns
) -> None:
    signed = sign(mail(sender="Eva <eva@example.com>"), key, "example.com")
    forged_from = signed.replace(b"eva@example.com", b"ana@example.com")
    verdict = authenticate(forged_from, policy(dns))
    assert verdict.result == "fail" and "does not verify" in verdict.reason
    altered = signed.replace(b"10023", b"10051")
    verdict = authenticate(altered, policy(dns))
    assert verdict.result == "fail" and "body hash mismatch" in verdict.reason


def test_unsigned_mail_fails_with_a_dmarc_policy_and_is_unproven_without(dns: FakeDns) -> None:
    verdict = authenticate(mail(), policy(dns))
    assert (verdict.result, verdict.reason) == (
        "fail",
        "no DKIM signature (DMARC policy of example.com: p=reject)",
    )
    verdict = authenticate(mail("Bob <bob@nodmarc.test>"), policy(dns))
    assert verdict.result == "none"
    assert "nodmarc.test publishes no DMARC policy" in verdict.reason


def test_a_subdomain_without_its_own_record_follows_the_organisations_sp(dns: FakeDns) -> None:
    dns.records["_dmarc.example.com"] = ["v=DMARC1; p=none; sp=quarantine"]
    verdict = authenticate(mail("Ana <ana@ventas.example.com>"), policy(dns))
    assert "p=quarantine" in verdict.reason
    assert "_dmarc.ventas.example.com" in dns.asked


def test_two_from_headers_fail(key: DkimKey, dns: FakeDns) -> None:
    # the classic trick: a signed From of the attacker below a From the reader sees first
    dns.publish_key("attacker.test", key)
    signed = sign(mail("Mallory <m@attacker.test>"), key, "attacker.test")
    raw = b"From: Ana <ana@example.com>\r\n" + signed
    verdict = authenticate(raw, policy(dns))
    assert verdict.result == "fail" and verdict.reason == "2 From headers, expected one"


def test_a_dns_outage_leaves_the_sender_unproven_not_failed(key: DkimKey, dns: FakeDns) -> None:
    raw = sign(mail(), key, "example.com")
    dns.down = True
    verdict = authenticate(raw, policy(dns))
    assert verdict.result == "none"
    assert "for now" in verdict.reason
    assert not parsed(raw, verdict).sender.verified


SPOOFED = b"Authentication-Results: mx.tienda.example; dkim=pass header.d=example.com;\r\n dmarc=pass header.from=example.com\r\n"  # noqa: E501


def test_authentication_results_from_an_untrusted_server_are_ignored(dns: FakeDns) -> None:
    raw = SPOOFED + mail()
    verdict = authenticate(raw, policy(dns))
    assert verdict.result == "fail"
    # even one that claims to be us, which stamp() removes before adding ours
    claim = b'Authentication-Results: ventanilla.local; x-sender-auth=pass reason="trust me"\r\n'
    verdict = authenticate(claim + mail(), policy(dns))
    assert verdict.result == "fail"
    stamped = stamp(claim + mail(), verdict, OURS)
    assert b"trust me" not in stamped
    assert stamped.count(b"Authentication-Results: ventanilla.local") == 1
    assert not parsed(claim + mail(), verdict).sender.verified


def test_a_trusted_servers_topmost_results_are_honoured(dns: FakeDns) -> None:
    raw = SPOOFED + mail()
    verdict = authenticate(raw, policy(dns, "mx.tienda.example"))
    assert (verdict.result, verdict.reason) == ("pass", "mx.tienda.example reported dmarc=pass")
    assert parsed(raw, verdict).sender.verified
    # the trusted server's own (topmost) header says fail: a copy further down is the sender's
    real = b"Authentication-Results: mx.tienda.example; dkim=none; dmarc=fail header.from=example.com\r\n"  # noqa: E501
    verdict = authenticate(real + raw, policy(dns, "mx.tienda.example"))
    assert verdict.result == "fail"


def test_an_aligned_dkim_pass_reported_by_a_trusted_server_counts() -> None:
    raw = read_eml("chatwoot_notification.eml")  # Gmail: dkim=pass header.i=@chatwoot.com
    verdict = authenticate(raw, Policy(OURS, frozenset({"mx.google.com"}), False, FakeDns()))
    assert verdict.result == "pass"
    assert verdict.reason == "mx.google.com reported dkim=pass for chatwoot.com, aligned with From"
    assert authenticate(raw, Policy(OURS, lookup=FakeDns())).result != "pass"


def test_loopback_is_trusted_only_when_configured(dns: FakeDns) -> None:
    local = Peer("127.0.0.1", "localhost", "ana@example.com")
    assert authenticate(mail(), policy(dns, loopback=True), local).result == "pass"
    assert authenticate(mail(), policy(dns), local).result == "fail"
    outside = Peer("203.0.113.9", "mx.example.com", "ana@example.com")
    assert authenticate(mail(), policy(dns, loopback=True), outside).result == "fail"


def test_organisational_domains() -> None:
    assert org_domain("mail.example.com") == "example.com"
    assert org_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert org_domain("tienda.com.es") == "tienda.com.es"
    assert org_domain("correo.tienda.es") == "tienda.es"
    assert org_domain("co.uk") == "co.uk"


@pytest.mark.parametrize("name", eml_names())
def test_every_shared_email_is_judged_without_error_and_never_proven_without_keys(
    name: str,
) -> None:
    raw = read_eml(name)
    verdict = authenticate(raw, Policy(OURS, lookup=FakeDns()))
    assert verdict.result in ("fail", "none") and verdict.reason
    adapter = build_adapter({"address": "care@example.com"}, None)
    adapter.authserv_id = OURS
    for event in adapter.parse({}, stamp(raw, verdict, OURS)):
        if isinstance(event, InboundMessage):
            assert not event.sender.verified
            assert event.meta["sender_auth"] == verdict.result


def test_an_international_from_domain_aligns_with_its_ascii_signature(key: DkimKey) -> None:
    dns = FakeDns()
    dns.publish_key("xn--espaa-rta.es", key)
    raw = sign(mail("Ana <ana@españa.es>"), key, "xn--espaa-rta.es")
    verdict = authenticate(raw, policy(dns))
    assert verdict.result == "pass"
    assert parsed(raw, verdict).sender.verified


def test_a_from_domain_crafted_to_inject_a_result_is_refused(dns: FakeDns) -> None:
    raw = mail("ana@[example.com;x-sender-auth=pass]")
    verdict = authenticate(raw, policy(dns))
    assert (verdict.result, verdict.reason) == (
        "fail",
        "the From domain is not a valid domain name",
    )
    assert b"x-sender-auth=pass" not in stamp(raw, verdict, OURS).split(b"\r\n")[0]
    assert not parsed(raw, verdict).sender.verified
