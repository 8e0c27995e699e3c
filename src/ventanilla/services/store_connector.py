"""A configurable HTTP connector to the store's own backend, for order actions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from ventanilla.assistant.state import ActionIntent
from ventanilla.domain.enums import IdentityKind
from ventanilla.domain.errors import InvalidInput
from ventanilla.domain.identity import normalize_address


@dataclass(frozen=True)
class ConnectorConfig:
    order_url: str
    cancel_url: str | None
    auth_header: str | None
    fields: Mapping[str, str]


@dataclass(frozen=True)
class OrderFacts:
    """What the backend says, already reduced to the fields we were told to read."""

    order: str
    found: bool
    owner_verified: bool
    facts: Mapping[str, str]
    cancelled: bool = False
    # The store answered the cancellation with a refusal (this order can't be cancelled),
    # as opposed to failing to answer.
    refused: bool = False
    error: str | None = None


def pluck(data: Any, path: str) -> str | None:
    """Follow a dotted path through nested JSON objects."""
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    if data is None or isinstance(data, dict | list):
        return None
    return str(data)


class StoreConnector:
    def __init__(self, config: ConnectorConfig, http: httpx.AsyncClient) -> None:
        if "{order}" not in config.order_url:
            raise InvalidInput("the store order URL needs an {order} placeholder")
        self.config = config
        self.http = http

    def _headers(self) -> dict[str, str]:
        header = self.config.auth_header
        if not header or ":" not in header:
            return {}
        name, value = header.split(":", 1)
        return {name.strip(): value.strip()}

    async def run(
        self, action: ActionIntent, order: str, verified: Mapping[str, set[str]]
    ) -> OrderFacts:
        """Fetch the order; reveal nothing unless its email or phone is verified for us."""
        url = self.config.order_url.replace("{order}", quote(order, safe=""))
        try:
            resp = await self.http.get(url, headers=self._headers())
        except httpx.HTTPError as exc:
            return OrderFacts(order, False, False, {}, error=exc.__class__.__name__)
        if resp.status_code == 404:
            return OrderFacts(order, False, False, {})
        if resp.status_code >= 400:
            return OrderFacts(order, False, False, {}, error=f"HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError:
            return OrderFacts(order, False, False, {}, error="not JSON")
        facts = {k: v for k, path in self.config.fields.items() if (v := pluck(data, path))}
        if not _owner_matches(facts, verified):
            return OrderFacts(order, True, False, {})
        public = {k: v for k, v in facts.items() if k not in ("email", "phone")}
        if action is ActionIntent.CANCEL_ORDER:
            return await self._cancel(order, public)
        return OrderFacts(order, True, True, public)

    async def _cancel(self, order: str, facts: dict[str, str]) -> OrderFacts:
        if not self.config.cancel_url:
            return OrderFacts(order, True, True, facts, error="cancellation not configured")
        url = self.config.cancel_url.replace("{order}", quote(order, safe=""))
        try:
            resp = await self.http.post(url, headers=self._headers())
        except httpx.HTTPError as exc:
            return OrderFacts(order, True, True, facts, error=exc.__class__.__name__)
        if resp.status_code >= 400:
            # Why it refused is in the order we just read (e.g. its status is "shipped"); the
            # refusal's own body has no common shape (and may carry an HTTP "status" itself).
            refused = resp.status_code in REFUSALS
            return OrderFacts(
                order, True, True, facts, refused=refused, error=f"HTTP {resp.status_code}"
            )
        return OrderFacts(order, True, True, {**facts, "status": "cancelled"}, cancelled=True)


# Answers by which a store says "this order can't be cancelled", rather than "I failed":
# a bad request, a conflict with the order's state, a failed precondition, an invalid change.
REFUSALS = frozenset({400, 409, 412, 422})


def _owner_matches(facts: Mapping[str, str], verified: Mapping[str, set[str]]) -> bool:
    email, phone = facts.get("email"), facts.get("phone")
    try:
        if email and normalize_address(IdentityKind.EMAIL, email) in verified.get("email", set()):
            return True
        if phone and normalize_address(IdentityKind.PHONE, phone) in verified.get("phone", set()):
            return True
    except InvalidInput:
        return False
    return False
