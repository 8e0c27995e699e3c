"""SPF (RFC 7208) for the SMTP receiver: may this peer send for the envelope sender's domain?

Evaluated: ``all``, ``include``, ``a``, ``mx``, ``ip4``, ``ip6``, ``exists`` and ``redirect=``,
with the limit of 10 DNS-querying terms and 2 void lookups. Not evaluated, erring strict:
``ptr`` (RFC 7208 says not to use it) never matches, and a domain-spec with macros (``%{i}``)
makes the record a ``permerror``. Only a ``pass`` ever counts for anything.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

from ventanilla.channels.email.lookup import Dns, DnsUnavailable, ascii_domain

SpfResult = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_LOOKUPS = 10
MAX_VOID = 2
MAX_MX = 10

_QUALIFIERS: dict[str, SpfResult] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MECHANISM = re.compile(r"(all|include|a|mx|ptr|ip4|ip6|exists)(?=$|[:/])", re.IGNORECASE)
_MODIFIER = re.compile(r"([a-z][a-z0-9_.-]*)=(.*)", re.IGNORECASE)
_CIDRS = re.compile(r"(?::([^/]+))?(?:/(\d{1,3}))?(?://(\d{1,3}))?")


class _PermError(Exception):
    pass


@dataclass
class _Budget:
    lookups: int = 0
    voids: int = 0

    def lookup(self) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise _PermError("more than 10 DNS lookups")

    def void(self, found: object) -> None:
        if not found:
            self.voids += 1
            if self.voids > MAX_VOID:
                raise _PermError("more than 2 void lookups")


def check_spf(ip: str, mail_from: str, helo: str, dns: Dns) -> tuple[SpfResult, str]:
    """(result, the domain checked): the envelope sender's domain, or HELO for a null sender."""
    name = mail_from.strip("<> ").rpartition("@")[2] if "@" in mail_from else helo
    domain = ascii_domain(name) if name else None
    if domain is None:
        return "none", ""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return "none", domain
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    try:
        return _check_host(address, domain, _Budget(), dns), domain
    except _PermError:
        return "permerror", domain
    except DnsUnavailable:
        return "temperror", domain


def _record(domain: str, dns: Dns) -> str | None:
    records = [r for r in dns(domain) if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]
    if len(records) > 1:
        raise _PermError(f"{domain} has {len(records)} SPF records")
    return records[0] if records else None


def _check_host(ip: IpAddress, domain: str, budget: _Budget, dns: Dns) -> SpfResult:
    record = _record(domain, dns)
    if record is None:
        return "none"
    redirect: str | None = None
    for term in record.split()[1:]:
        modifier = _MODIFIER.fullmatch(term)
        if modifier is not None:
            if modifier.group(1).lower() == "redirect":
                if redirect is not None:
                    raise _PermError("two redirect modifiers")
                redirect = modifier.group(2)
            continue  # exp= and unknown modifiers change nothing
        qualifier = "+"
        if term[:1] in _QUALIFIERS:
            qualifier, term = term[0], term[1:]
        if _matches(term, ip, domain, budget, dns):
            return _QUALIFIERS[qualifier]
    if redirect is not None:
        budget.lookup()
        result = _check_host(ip, _domain_spec(redirect), budget, dns)
        if result == "none":
            raise _PermError(f"redirect to {redirect}, which has no SPF record")
        return result
    return "neutral"


def _matches(term: str, ip: IpAddress, domain: str, budget: _Budget, dns: Dns) -> bool:
    found = _MECHANISM.match(term)
    if found is None:
        raise _PermError(f"unknown mechanism {term!r}")
    mechanism, rest = found.group(1).lower(), term[found.end() :]
    if mechanism == "all":
        if rest:
            raise _PermError(f"bad term {term!r}")
        return True
    if mechanism in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network(rest[1:], strict=False)
        except ValueError:
            raise _PermError(f"bad network in {term!r}") from None
        if not rest.startswith(":") or network.version != (4 if mechanism == "ip4" else 6):
            raise _PermError(f"bad network in {term!r}")
        return ip.version == network.version and ip in network
    if mechanism in ("include", "exists"):
        if not rest.startswith(":"):
            raise _PermError(f"{mechanism} needs a domain")
        budget.lookup()
        target = _domain_spec(rest[1:])
        if mechanism == "exists":
            found_any = [a for a in dns.addresses(target) if ":" not in a]
            budget.void(found_any)
            return bool(found_any)
        result = _check_host(ip, target, budget, dns)
        if result == "pass":
            return True
        if result in ("fail", "softfail", "neutral"):
            return False
        if result == "temperror":
            raise DnsUnavailable(f"include:{target}")
        raise _PermError(f"include:{target} gave {result}")
    if mechanism == "ptr":
        budget.lookup()
        return False  # deprecated by RFC 7208; never evaluated, so never a pass
    cidrs = _CIDRS.fullmatch(rest)
    if cidrs is None:
        raise _PermError(f"bad term {term!r}")
    target = _domain_spec(cidrs.group(1)) if cidrs.group(1) else domain
    prefix4, prefix6 = int(cidrs.group(2) or 32), int(cidrs.group(3) or 128)
    if prefix4 > 32 or prefix6 > 128:
        raise _PermError(f"bad prefix in {term!r}")
    budget.lookup()
    if mechanism == "a":
        hosts = [target]
    else:
        hosts = list(dns.mx(target))
        budget.void(hosts)
        if len(hosts) > MAX_MX:
            raise _PermError(f"{target} has more than {MAX_MX} MX records")
    prefix = prefix4 if ip.version == 4 else prefix6
    for host in hosts:
        addresses = list(dns.addresses(host))
        if mechanism == "a":
            budget.void(addresses)
        for text in addresses:
            try:
                network = ipaddress.ip_network(f"{text}/{prefix}", strict=False)
            except ValueError:
                continue
            if network.version == ip.version and ip in network:
                return True
    return False


def _domain_spec(value: str) -> str:
    if "%" in value:
        raise _PermError("SPF macros are not evaluated")
    domain = ascii_domain(value)
    if domain is None:
        raise _PermError(f"bad domain {value!r}")
    return domain
