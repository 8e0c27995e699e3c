"""Fixtures for the web tests: the app under a TestClient, a web chat inbox, users."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.domain.enums import Role
from ventanilla.web.app import create_app

IDENTITY_SECRET = "shop-identity-secret-42"
# These tests are about the transport: the assistant stays quiet so every message is ours.
QUIET = {"assistant": False}


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The app with its lifespan running (bus started, outbox runner on)."""
    with TestClient(create_app(container=container)) as c:
        yield c


@pytest.fixture
def inbox_id(container: Container) -> int:
    return make_inbox(container, "webchat", settings=QUIET, secret=IDENTITY_SECRET, name="Web chat")


@pytest.fixture
def agent_token(container: Container) -> str:
    return make_user(container, Role.AGENT)[1]


@pytest.fixture
def admin_token(container: Container) -> str:
    return make_user(container, Role.ADMIN)[1]


def receive(ws: WebSocketTestSession, timeout: float = 5.0) -> dict[str, Any]:
    """The next JSON frame, failing the test after `timeout` seconds instead of hanging."""

    async def next_message() -> dict[str, Any]:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()  # type: ignore[no-any-return]

    message = ws.portal.call(next_message)
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason", ""))
    return json.loads(message["text"])  # type: ignore[no-any-return]


def receive_until(
    ws: WebSocketTestSession, wanted: dict[str, Any], timeout: float = 5.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Frames until one matches every key of `wanted`; returns it and the ones before."""
    before: list[dict[str, Any]] = []
    while True:
        frame = receive(ws, timeout)
        if all(_get(frame, k) == v for k, v in wanted.items()):
            return frame, before
        before.append(frame)


def _get(frame: dict[str, Any], dotted: str) -> Any:
    value: Any = frame
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
