"""DKIM for the tests: an RSA key made in the test, signing, and a DNS that serves the key.

The key is generated here (Miller-Rabin primes, PKCS#1 DER built by hand) so the tests need
neither the network nor a crypto package beyond what dkimpy itself uses.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

import dkim  # type: ignore[import-untyped]

from ventanilla.channels.email.authentication import DnsUnavailable

_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]


def _probable_prime(n: int, rounds: int = 32) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if _probable_prime(candidate):
            return candidate


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_int(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0 keeps it positive
    return b"\x02" + _der_len(len(raw)) + raw


def _der_seq(items: Iterable[bytes]) -> bytes:
    body = b"".join(items)
    return b"\x30" + _der_len(len(body)) + body


@dataclass(frozen=True)
class DkimKey:
    private_pem: bytes
    public_b64: str

    @property
    def record(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_b64}"


def make_key(bits: int = 1024) -> DkimKey:
    e = 65537
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e and (p * q).bit_length() == bits:
            break
    n, d = p * q, pow(e, -1, phi)
    private = _der_seq(
        _der_int(v) for v in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))
    )
    pem = (
        b"-----BEGIN RSA PRIVATE KEY-----\n"
        + base64.encodebytes(private)
        + b"-----END RSA PRIVATE KEY-----\n"
    )
    public = base64.b64encode(_der_seq([_der_int(n), _der_int(e)])).decode()
    return DkimKey(pem, public)


def sign(raw: bytes, key: DkimKey, domain: str, selector: str = "s1") -> bytes:
    """The mail with a DKIM-Signature of ``domain`` on top (relaxed/relaxed, rsa-sha256)."""
    header = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        key.private_pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[b"from", b"to", b"subject", b"message-id", b"date"],
    )
    return bytes(header) + raw


@dataclass
class FakeDns:
    """TXT, address and MX records by name; ``down`` makes every lookup a temporary failure."""

    records: dict[str, list[str]] = field(default_factory=dict)
    hosts: dict[str, list[str]] = field(default_factory=dict)
    exchangers: dict[str, list[str]] = field(default_factory=dict)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    def publish_key(self, domain: str, key: DkimKey, selector: str = "s1") -> None:
        self.records[f"{selector}._domainkey.{domain}"] = [key.record]

    def publish_dmarc(self, domain: str, policy: str = "reject") -> None:
        self.records[f"_dmarc.{domain}"] = [f"v=DMARC1; p={policy}; rua=mailto:d@{domain}"]

    def publish_spf(self, domain: str, record: str) -> None:
        self.records.setdefault(domain, []).append(record)

    def _answer(self, table: dict[str, list[str]], name: str) -> list[str]:
        self.asked.append(name)
        if self.down:
            raise DnsUnavailable(f"{name}: timed out")
        return list(table.get(name.lower().rstrip("."), []))

    def __call__(self, name: str) -> list[str]:
        return self._answer(self.records, name)

    def addresses(self, name: str) -> list[str]:
        return self._answer(self.hosts, name)

    def mx(self, name: str) -> list[str]:
        return self._answer(self.exchangers, name)


def example_dns(key: DkimKey) -> FakeDns:
    """DNS for example.com: its DKIM key and a DMARC policy of reject."""
    dns = FakeDns()
    dns.publish_key("example.com", key)
    dns.publish_dmarc("example.com", "reject")
    return dns
