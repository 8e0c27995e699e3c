"""The generic API channel: the company's own systems post messages, and get ours back."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from ventanilla.channels.base import (
    InboundEvent,
    InboundMessage,
    OutboundMessage,
    PermanentSendError,
    SenderIdentity,
    SendResult,
    TransientSendError,
)
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.domain.errors import PayloadError

MAX_SKEW_S = 300


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class ApiChannel:
    """Inbound JSON: {"external_id", "sender": {"id", "name", "email"?, "phone"?}, "text"}."""

    name = ChannelKind.API

    def __init__(self, callback_url: str | None, secret: str | None, http: httpx.AsyncClient):
        self._callback = callback_url
        self._secret = secret
        self._http = http

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Inbound calls are authenticated by API token at the web layer."""
        return None

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[InboundEvent]:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadError(f"body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object")
        return [self._message(data)]

    def _message(self, data: dict[str, Any]) -> InboundMessage:
        sender = data.get("sender")
        text = data.get("text")
        ext = data.get("external_id")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), str | int):
            raise PayloadError("sender.id is required (string)")
        if not isinstance(text, str) or not text.strip():
            raise PayloadError("text is required (non-empty string)")
        if not isinstance(ext, str | int) or not str(ext).strip():
            raise PayloadError("external_id is required (string)")
        others: list[SenderIdentity] = []
        for key, kind in (("email", IdentityKind.EMAIL), ("phone", IdentityKind.PHONE)):
            value = sender.get(key)
            if value is not None and not isinstance(value, str):
                raise PayloadError(f"sender.{key} must be a string")
            if value:
                # The company's own backend vouches for these identities.
                others.append(SenderIdentity(kind, value, verified=bool(sender.get("verified"))))
        name = sender.get("name")
        return InboundMessage(
            channel=ChannelKind.API,
            external_id=str(ext)[:300],
            sender=SenderIdentity(
                IdentityKind.EXTERNAL, str(sender["id"]), name if isinstance(name, str) else None
            ),
            text=text,
            other_identities=tuple(others),
        )

    async def send(self, message: OutboundMessage) -> SendResult:
        if not self._callback:
            raise PermanentSendError("this API inbox has no callback_url")
        body = json.dumps(
            {"recipient": message.recipient, "text": message.text, "id": message.idempotency_key},
            separators=(",", ":"),
        ).encode()
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "idempotency-key": message.idempotency_key,
            "x-ventanilla-timestamp": ts,
        }
        if self._secret:
            headers["x-ventanilla-signature"] = "v1=" + signature(self._secret, ts, body)
        try:
            resp = await self._http.post(self._callback, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransientSendError(f"callback unreachable: {exc.__class__.__name__}") from exc
        status = resp.status_code
        if status in (408, 425, 429) or status >= 500:
            raise TransientSendError(f"callback answered {status}")
        if status >= 400:
            raise PermanentSendError(f"callback refused the message: {status}{_said(resp)}")
        if status >= 300:  # never followed: the message would silently go nowhere
            raise PermanentSendError(f"callback answered a redirect ({status}); set the final URL")
        return SendResult(external_id=message.idempotency_key)


def _said(resp: httpx.Response) -> str:
    """The start of the receiver's explanation, if it gave a readable one."""
    try:
        said = " ".join(resp.text.split())[:200]
    except (UnicodeDecodeError, LookupError):
        return ""
    return f" ({said})" if said else ""
