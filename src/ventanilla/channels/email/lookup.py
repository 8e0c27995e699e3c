"""DNS as sender authentication needs it: TXT, addresses and MX, behind one small interface.

The system resolver (dnspython) is the default; tests pass their own object with the same three
methods, so nothing leaves the machine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

DNS_TIMEOUT_S = 5.0

_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}")


class DnsUnavailable(Exception):
    """A DNS lookup failed for now (timeout, no answer from any server)."""


class Dns(Protocol):
    def __call__(self, name: str) -> Sequence[str]:
        """The TXT records at a name ([] when there are none)."""

    def addresses(self, name: str) -> Sequence[str]:
        """The A and AAAA addresses of a name ([] when there are none)."""

    def mx(self, name: str) -> Sequence[str]:
        """The mail exchangers of a name, by preference ([] when there are none)."""


def ascii_domain(domain: str) -> str | None:
    """A domain in lower-case ASCII (IDNA for international names), or None if it is not one."""
    name = domain.strip().rstrip(".").lower()
    try:
        name = name.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    return name if _DOMAIN.fullmatch(name) else None


class SystemDns:
    """The machine's resolver, through dnspython; every failure but "no such name" is temporary."""

    def __call__(self, name: str) -> list[str]:
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self._resolve(name, "TXT")]

    def addresses(self, name: str) -> list[str]:
        return [r.to_text() for kind in ("A", "AAAA") for r in self._resolve(name, kind)]

    def mx(self, name: str) -> list[str]:
        found = sorted(
            (int(r.preference), r.exchange.to_text().rstrip(".")) for r in self._resolve(name, "MX")
        )
        return [host for _, host in found]

    def _resolve(self, name: str, kind: str) -> list[Any]:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(
                name, kind, lifetime=DNS_TIMEOUT_S, raise_on_no_answer=False, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.YXDOMAIN):
            return []
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsUnavailable(f"{name} {kind}: {exc}") from exc
        return list(answer.rrset) if answer.rrset is not None else []
