"""The system resolver wrapper, with dnspython's resolve() answering from memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.resolver
import dns.rrset
import pytest

from ventanilla.channels.email.lookup import DnsUnavailable, SystemDns

ZONE = {
    ("example.com", "TXT"): ['"v=spf1 " "ip4:192.0.2.0/24 -all"', '"other"'],
    ("example.com", "MX"): ["20 mx2.example.com.", "10 mx1.example.com."],
    ("mx1.example.com", "A"): ["192.0.2.25"],
    ("mx1.example.com", "AAAA"): ["2001:db8::25"],
}


@dataclass
class Answer:
    rrset: Any


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(name: str, kind: str, **options: Any) -> Answer:
        if name == "down.test":
            raise dns.exception.Timeout()
        if name == "missing.test":
            raise dns.resolver.NXDOMAIN()
        values = ZONE.get((name, kind))
        return Answer(dns.rrset.from_text(name + ".", 300, "IN", kind, *values) if values else None)

    monkeypatch.setattr(dns.resolver, "resolve", resolve)


def test_records_are_read_into_plain_text(zone: None) -> None:
    system = SystemDns()
    assert sorted(system("example.com")) == ["other", "v=spf1 ip4:192.0.2.0/24 -all"]
    assert system.mx("example.com") == ["mx1.example.com", "mx2.example.com"]
    assert sorted(system.addresses("mx1.example.com")) == ["192.0.2.25", "2001:db8::25"]
    assert system.addresses("mx2.example.com") == []


def test_no_such_name_is_empty_and_a_timeout_is_temporary(zone: None) -> None:
    assert SystemDns()("missing.test") == []
    with pytest.raises(DnsUnavailable):
        SystemDns()("down.test")
