"""SPF at our SMTP receiver: which servers may send for the envelope sender's domain."""

from __future__ import annotations

import pytest
from email_dkim import FakeDns

from ventanilla.channels.email.authentication import Peer, Policy, authenticate
from ventanilla.channels.email.spf import check_spf


@pytest.fixture
def dns() -> FakeDns:
    dns = FakeDns()
    dns.publish_spf("example.com", "v=spf1 ip4:192.0.2.0/24 include:_spf.mailer.test mx -all")
    dns.publish_spf("_spf.mailer.test", "v=spf1 ip6:2001:db8::/32 a:out.mailer.test ~all")
    dns.hosts["out.mailer.test"] = ["198.51.100.7"]
    dns.exchangers["example.com"] = ["mx1.example.com"]
    dns.hosts["mx1.example.com"] = ["203.0.113.25", "2001:db8:ffff::25"]
    return dns


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("192.0.2.44", "pass"),  # ip4 range
        ("2001:db8:1::9", "pass"),  # ip6 range of the include
        ("198.51.100.7", "pass"),  # a: of the include
        ("203.0.113.25", "pass"),  # the domain's own MX
        ("::ffff:192.0.2.44", "pass"),  # an IPv4 peer seen as IPv6
        ("198.51.100.8", "fail"),  # the include ends ~all (no match), then -all
        ("127.0.0.1", "fail"),
    ],
)
def test_which_servers_may_send_for_a_domain(dns: FakeDns, ip: str, expected: str) -> None:
    assert check_spf(ip, "ana@example.com", "mail.example.net", dns) == (expected, "example.com")


def test_a_null_sender_is_checked_against_helo(dns: FakeDns) -> None:
    dns.publish_spf("mail.example.com", "v=spf1 ip4:192.0.2.44 -all")
    assert check_spf("192.0.2.44", "", "mail.example.com", dns) == ("pass", "mail.example.com")


def test_redirect_and_neutral_and_none(dns: FakeDns) -> None:
    dns.publish_spf("ventas.example.com", "v=spf1 redirect=example.com")
    assert check_spf("192.0.2.1", "a@ventas.example.com", "h", dns)[0] == "pass"
    dns.publish_spf("open.test", "v=spf1 ?all")
    assert check_spf("192.0.2.1", "a@open.test", "h", dns)[0] == "neutral"
    assert check_spf("192.0.2.1", "a@nospf.test", "h", dns)[0] == "none"


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 include:loop.test -all",  # includes itself: over the 10 lookups
        "v=spf1 exists:%{i}.spf.loop.test -all",  # macros are not evaluated
        "v=spf1 ip4:192.0.2.300 -all",
        "v=spf1 foo:bar -all",
        "v=spf1 redirect=a.test redirect=b.test",
    ],
)
def test_broken_records_are_permanent_errors_never_a_pass(dns: FakeDns, record: str) -> None:
    dns.publish_spf("loop.test", record)
    assert check_spf("192.0.2.44", "a@loop.test", "h", dns)[0] == "permerror"


def test_two_spf_records_are_a_permanent_error(dns: FakeDns) -> None:
    dns.publish_spf("example.com", "v=spf1 +all")
    assert check_spf("192.0.2.44", "ana@example.com", "h", dns)[0] == "permerror"


def test_a_dns_outage_is_temporary(dns: FakeDns) -> None:
    dns.down = True
    assert check_spf("192.0.2.44", "ana@example.com", "h", dns)[0] == "temperror"


MAIL = (
    b"From: Ana <ana@example.com>\r\nTo: soporte@tienda.example\r\nSubject: Hola\r\n"
    b"Message-ID: <s1@example.com>\r\n\r\nHola\r\n"
)


def test_an_aligned_spf_pass_authenticates_unsigned_mail(dns: FakeDns) -> None:
    dns.publish_dmarc("example.com", "reject")
    policy = Policy("ventanilla.local", lookup=dns)
    allowed = Peer("192.0.2.44", "mail.example.com", "bounces@example.com")
    verdict = authenticate(MAIL, policy, allowed)
    assert verdict.result == "pass"
    assert verdict.reason == "SPF allows 192.0.2.44 to send for example.com, aligned with From"
    assert "spf=pass smtp.mailfrom=example.com" in verdict.header("ventanilla.local")
    other = Peer("198.51.100.99", "mx.attacker.test", "ana@example.com")
    verdict = authenticate(MAIL, policy, other)
    assert verdict.result == "fail"
    # an SPF pass for the attacker's own envelope domain does not speak for example.com
    dns.publish_spf("attacker.test", "v=spf1 +all")
    verdict = authenticate(MAIL, policy, Peer("198.51.100.99", "h", "x@attacker.test"))
    assert verdict.result == "fail" and verdict.spf == ("pass", "attacker.test")
