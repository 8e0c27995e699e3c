"""Compact signed tokens (HMAC-SHA256) for widget visitor sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from ventanilla.domain.errors import Unauthorized


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, claims: dict[str, Any], ttl_s: int) -> str:
    body = _b64(
        json.dumps({**claims, "exp": int(time.time()) + ttl_s}, separators=(",", ":")).encode()
    )
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify(secret: str, token: str) -> dict[str, Any]:
    try:
        body, mac = token.split(".", 1)
        expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise Unauthorized("session token signature does not match")
        claims = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unauthorized("session token is malformed") from exc
    if not isinstance(claims, dict) or int(claims.get("exp", 0)) < time.time():
        raise Unauthorized("session token expired")
    return claims


def user_hash(secret: str, user_id: str) -> str:
    """What the company's backend computes to vouch for a signed-in user."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
