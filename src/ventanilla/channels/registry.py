"""Builds the adapter for an inbox's channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ventanilla.channels.api import ApiChannel
from ventanilla.channels.base import ChannelAdapter
from ventanilla.domain.enums import ChannelKind
from ventanilla.domain.errors import InvalidInput


def build_adapter(
    channel: str, settings: Mapping[str, Any], secret: str | None, http: httpx.AsyncClient
) -> ChannelAdapter:
    kind = ChannelKind(channel)
    if kind is ChannelKind.API:
        callback = settings.get("callback_url")
        return ApiChannel(callback if isinstance(callback, str) else None, secret, http)
    if kind is ChannelKind.EMAIL:
        from ventanilla.channels import email

        return email.build_adapter(settings, secret)
    raise InvalidInput(f"no adapter for channel {channel}")
