"""The grammar of the Authentication-Results header (RFC 8601): authserv-id and results.

Comments in parentheses are dropped and semicolons inside quoted strings are kept, so a
header such as ``mx.example.net (our relay); dkim=pass header.d="a;b"`` reads as one
authserv-id and one result.
"""

from __future__ import annotations

import re

AuthResult = tuple[str, str, dict[str, str]]  # method, result, properties


def read_results(value: str) -> tuple[str, list[AuthResult]]:
    """``authserv-id; method=result prop=value ...`` -> (authserv-id, results)."""
    cleaned = _strip_comments(value)
    parts = _split_outside_quotes(cleaned, ";")
    server = parts[0].strip().split()[0].lower() if parts and parts[0].strip() else ""
    results: list[AuthResult] = []
    for part in parts[1:]:
        tokens = re.findall(r'([\w.\-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)', part)
        if not tokens:
            continue
        method, result = tokens[0][0].lower(), tokens[0][1].strip('"').lower()
        props = {k.lower(): v.strip('"') for k, v in tokens[1:]}
        results.append((method, result, props))
    return server, results


def _strip_comments(value: str) -> str:
    out: list[str] = []
    depth, quoted = 0, False
    for ch in value:
        if ch == '"' and depth == 0:
            quoted = not quoted
        if not quoted and ch == "(":
            depth += 1
            continue
        if not quoted and ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)


def _split_outside_quotes(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts
