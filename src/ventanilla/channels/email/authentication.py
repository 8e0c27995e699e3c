"""Sender authentication of inbound mail: DKIM, DMARC alignment, trusted Authentication-Results.

Anyone can write any address in ``From``. A mail counts as really coming from its ``From``
address only when one of these holds:

* a DKIM signature verifies (checked here, with dkimpy) and its ``d=`` domain is aligned with
  the ``From`` domain (relaxed alignment: same organisational domain, DMARC RFC 7489 3.1.1);
* a mail server the operator trusts (its authserv-id is configured) says so in the topmost
  ``Authentication-Results`` header it added: ``dmarc=pass`` for the ``From`` domain, or an
  aligned ``dkim=pass`` / ``spf=pass``;
* it reached our own SMTP receiver from a server that SPF (``spf.py``) allows to send for the
  envelope sender's domain, and that domain is aligned with the ``From`` domain;
* it reached our own SMTP receiver from a loopback address and loopback is trusted (demo).

``Authentication-Results`` headers from any other authserv-id are ignored: the sender may have
written them. Every DNS lookup goes through a ``Dns`` object so tests supply the keys and
policies themselves. The outcome is a :class:`Verdict`; :func:`stamp` records it on the raw
mail as our own ``Authentication-Results`` header, which the parser reads back.

Organisational domain: the last two labels, or three when the last two form a common
second-level public suffix (``co.uk``, ``com.es``, ``gob.mx`` ...). This is a simplification
of the Public Suffix List; where it errs it errs strict (domains that do not align), except
for rare suffixes of the form ``<other>.<ccTLD>`` that are public and missing from the list.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.policy import default as policy_default
from email.utils import parseaddr
from typing import Literal

import dkim  # type: ignore[import-untyped]

from ventanilla.channels.email.auth_results import AuthResult, read_results
from ventanilla.channels.email.headers import MALFORMED, header_text
from ventanilla.channels.email.lookup import (
    DNS_TIMEOUT_S,
    Dns,
    DnsUnavailable,
    SystemDns,
    ascii_domain,
)
from ventanilla.channels.email.spf import SpfResult, check_spf

__all__ = ["Dns", "DnsUnavailable", "Peer", "Policy", "Verdict", "authenticate", "stamp"]

Result = Literal["pass", "fail", "none"]

MAX_SIGNATURES = 5
METHOD = "x-sender-auth"  # our own result in our Authentication-Results header

_SECOND_LEVEL = {"co", "com", "org", "net", "gob", "gov", "edu", "ac", "nom", "mil", "or", "ne"}


@dataclass(frozen=True)
class Peer:
    """Who handed a mail to our SMTP receiver."""

    ip: str
    helo: str = ""
    mail_from: str = ""

    @property
    def loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.ip.split("%", 1)[0]).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class Policy:
    """How this deployment authenticates senders."""

    authserv_id: str  # ours, on the header we add
    trusted_authserv_ids: frozenset[str] = frozenset()
    trust_loopback: bool = False
    lookup: Dns = field(default_factory=SystemDns)


@dataclass
class Verdict:
    result: Result
    reason: str
    from_domain: str | None = None
    dkim: list[tuple[str, str]] = field(default_factory=list)  # (d= domain, pass|fail|temperror)
    spf: tuple[SpfResult, str] | None = None  # (result, envelope domain), SMTP receiver only
    dmarc: str | None = None  # pass | fail | none | temperror

    def header(self, authserv_id: str) -> str:
        """Our ``Authentication-Results`` header value."""
        parts = [authserv_id]
        signed = [f"dkim={r} header.d={ascii_domain(d) or 'invalid'}" for d, r in self.dkim]
        parts += signed or ["dkim=none"]
        if self.spf is not None:
            parts.append(f"spf={self.spf[0]} smtp.mailfrom={self.spf[1] or 'unknown'}")
        if self.from_domain:
            parts.append(f"dmarc={self.dmarc or 'none'} header.from={self.from_domain}")
        parts.append(f"{METHOD}={self.result} reason={_quoted(self.reason)}")
        return "; ".join(parts)


def org_domain(domain: str) -> str:
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def aligned(a: str, b: str) -> bool:
    return org_domain(a) == org_domain(b)


def authenticate(raw: bytes, policy: Policy, peer: Peer | None = None) -> Verdict:
    """Decide whether the mail comes from its From address. Never raises for bad mail."""
    try:
        msg = _parse(raw)
        froms = msg.get_all("From") or []
    except MALFORMED:
        return Verdict("none", "the mail could not be read")
    if len(froms) != 1:
        return Verdict("fail" if froms else "none", f"{len(froms)} From headers, expected one")
    address = parseaddr(header_text(msg, "From"))[1]
    if "@" not in address:
        return Verdict("none", "no address in From")
    domain = ascii_domain(address.rpartition("@")[2])
    if domain is None:
        return Verdict("fail", "the From domain is not a valid domain name")
    verdict = Verdict("none", "", from_domain=domain)
    if peer is not None and peer.loopback and policy.trust_loopback:
        verdict.result, verdict.reason = "pass", f"local delivery from {peer.ip} (trusted)"
        return verdict
    # (domain that passed, who says so): trusted servers, then our DKIM check, then SPF
    passed: list[tuple[str, str]] = []
    for server, results in _trusted_results(msg, policy.trusted_authserv_ids):
        for method, result, props in results:
            if result != "pass":
                continue
            if method == "dmarc" and props.get("header.from", "").lower() == domain:
                verdict.result, verdict.dmarc = "pass", "pass"
                verdict.reason = f"{server} reported dmarc=pass"
                return verdict
            signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
            if method == "dkim" and signer:
                passed.append((signer.lower(), f"{server} reported dkim=pass for"))
            if method == "spf" and "@" in props.get("smtp.mailfrom", ""):
                mailfrom_domain = props["smtp.mailfrom"].rpartition("@")[2].lower()
                passed.append((mailfrom_domain, f"{server} reported spf=pass for"))
    dkim_results, temp, failure = _verify_dkim(raw, policy.lookup)
    verdict.dkim = dkim_results
    passed += [(d, "signed by") for d, r in dkim_results if r == "pass"]
    if peer is not None:
        verdict.spf = check_spf(peer.ip, peer.mail_from, peer.helo, policy.lookup)
        if verdict.spf[0] == "pass":
            passed.append((verdict.spf[1], f"SPF allows {peer.ip} to send for"))
        temp = temp or verdict.spf[0] == "temperror"
    match = next(((d, who) for d, who in passed if aligned(d, domain)), None)
    if match is not None:
        verdict.result, verdict.dmarc = "pass", "pass"
        verdict.reason = f"{match[1]} {match[0]}, aligned with From"
        return verdict
    try:
        dmarc = _dmarc_policy(domain, policy.lookup)
    except DnsUnavailable as exc:
        verdict.dmarc, verdict.reason = "temperror", f"DMARC lookup failed for now: {exc}"
        return verdict
    verdict.dmarc = "fail" if dmarc else "none"
    if temp:
        verdict.reason = "a DNS lookup failed for now" + (f" ({failure})" if failure else "")
        return verdict
    if failure:
        why = failure
    elif passed:
        why = f"{passed[0][1]} {passed[0][0]}, not aligned with From {domain}"
    else:
        why = "no DKIM signature"
    if dmarc or any(r == "fail" for _, r in dkim_results):
        verdict.result = "fail"
        verdict.reason = why + (f" (DMARC policy of {domain}: p={dmarc})" if dmarc else "")
    else:
        verdict.reason = f"{why}; {domain} publishes no DMARC policy"
    return verdict


def _parse(raw: bytes) -> Message:
    try:
        msg = BytesParser(policy=policy_default).parsebytes(raw)
        msg.get_all("From")
        return msg
    except MALFORMED:
        return BytesParser(policy=compat32).parsebytes(raw)


def _verify_dkim(raw: bytes, lookup: Dns) -> tuple[list[tuple[str, str]], bool, str]:
    """(d= domain, result) per signature, whether a lookup failed for now, the first failure."""
    temp_failed = False

    def dnsfunc(name: bytes, timeout: float = DNS_TIMEOUT_S) -> bytes | None:
        nonlocal temp_failed
        try:
            records = lookup(name.decode("ascii", "replace").rstrip("."))
        except DnsUnavailable as exc:
            temp_failed = True
            raise dkim.DnsTimeoutError(str(exc)) from exc
        key = next((r for r in records if "p=" in r), records[0] if records else None)
        return key.encode("utf-8") if key is not None else None

    results: list[tuple[str, str]] = []
    failure = ""
    try:
        checker = dkim.DKIM(raw, minkey=1024, timeout=DNS_TIMEOUT_S)
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except (dkim.DKIMException, *MALFORMED) as exc:
        return [], False, f"DKIM could not read the mail: {exc}"
    for idx in range(min(count, MAX_SIGNATURES)):
        temp_failed = False
        domain = "?"
        try:
            prep = checker.verify_headerprep(idx)
            if prep:
                domain = prep[0][b"d"].decode("ascii", "replace").lower()
            ok = bool(checker.verify(idx=idx, dnsfunc=dnsfunc))
            signed = {h.lower() for h in checker.include_headers}
            why = "" if ok else "signature does not verify"
            if ok and b"from" not in signed:
                ok, why = False, "From is not signed"
            if ok and b"l" in checker.signature_fields:
                ok, why = False, "partial body signature (l=) not accepted"
        except (dkim.DKIMException, *MALFORMED) as exc:
            ok, why = False, str(exc).split(" (got ", 1)[0]
        result = "pass" if ok else "temperror" if temp_failed else "fail"
        results.append((domain, result))
        if not ok and not failure:
            failure = f"DKIM signature of {domain}: {why or 'key lookup failed'}"
    return results, any(r == "temperror" for _, r in results), failure


def _dmarc_policy(domain: str, lookup: Dns) -> str | None:
    """The p= of the DMARC record for the domain (or sp= / p= of its organisational domain)."""
    org = org_domain(domain)
    for name, subdomain in ((domain, False), (org, org != domain)):
        records = [r for r in lookup(f"_dmarc.{name}") if r.strip().lower().startswith("v=dmarc1")]
        if len(records) == 1:
            tags = _tags(records[0])
            value = (tags.get("sp") if subdomain else None) or tags.get("p") or "none"
            return value.lower()
        if name == org:
            break
    return None


def _tags(record: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip()
    return tags


# --- Authentication-Results (RFC 8601), just enough to read and write them ---


def _trusted_results(msg: Message, trusted: Collection[str]) -> list[tuple[str, list[AuthResult]]]:
    """The topmost Authentication-Results of each trusted authserv-id; the rest is ignored."""
    wanted = {t.lower() for t in trusted}
    seen: set[str] = set()
    found: list[tuple[str, list[AuthResult]]] = []
    for value in _all(msg, "Authentication-Results"):
        server, results = read_results(value)
        if server in wanted and server not in seen:
            seen.add(server)
            found.append((server, results))
    return found


def _all(msg: Message, name: str) -> list[str]:
    try:
        values = msg.get_all(name) or []
    except MALFORMED:
        values = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    return [" ".join(str(v).split()) for v in values]


def recorded_verdict(msg: Message, authserv_id: str) -> tuple[Result, str, str] | None:
    """(result, reason, From domain) from our own header, when the topmost one is ours."""
    values = _all(msg, "Authentication-Results")
    if not values:
        return None
    server, results = read_results(values[0])
    if server != authserv_id.lower():
        return None
    from_domain = ""
    for method, _result, props in results:
        if method == "dmarc":
            from_domain = props.get("header.from", "").lower()
    for method, result, props in results:
        if method == METHOD:
            outcome: Result = "pass" if result == "pass" else "fail" if result == "fail" else "none"
            return outcome, props.get("reason", ""), from_domain
    return None


def _quoted(text: str) -> str:
    cleaned = " ".join(text.replace("\\", "/").replace('"', "'").split())[:300]
    return f'"{cleaned}"'


def stamp(raw: bytes, verdict: Verdict, authserv_id: str) -> bytes:
    """Drop any Authentication-Results claiming our authserv-id, then add ours on top.

    RFC 8601 section 5: a header claiming to be ours that we did not add is a forgery.
    """
    head, sep, body = _split_head(raw)
    kept: list[bytes] = []
    current: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        if current:
            kept.extend(_unless_ours(current, authserv_id))
        current = [line]
    if current:
        kept.extend(_unless_ours(current, authserv_id))
    eol = b"\r\n" if b"\r\n" in head[:2000] or not head else b"\n"
    ours = f"Authentication-Results: {verdict.header(authserv_id)}".encode("utf-8", "replace")
    return ours + eol + b"".join(kept) + sep + body


def _split_head(raw: bytes) -> tuple[bytes, bytes, bytes]:
    """(header lines with their line ends, the empty line, the body)."""
    found = re.search(rb"\r?\n(\r?\n)", raw)
    if found is None:
        return raw, b"", b""
    return raw[: found.start(1)], raw[found.start(1) : found.end()], raw[found.end() :]


def _unless_ours(lines: list[bytes], authserv_id: str) -> list[bytes]:
    name, _, value = b"".join(lines).partition(b":")
    if name.strip().lower() != b"authentication-results":
        return lines
    text = " ".join(value.decode("utf-8", "replace").split())
    server, _ = read_results(text)
    return [] if server == authserv_id.lower() else lines
