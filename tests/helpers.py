"""Shared test helpers: service availability, shared data, inboxes, users."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from ventanilla.bootstrap import Container
from ventanilla.domain.enums import Role
from ventanilla.services import auth
from ventanilla.storage.models import Inbox

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("VENTANILLA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("VENTANILLA_TEST_REDIS", "redis://127.0.0.1:6379/0")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def need(condition: bool, reason: str) -> None:
    """Skip without a service outside CI; under CI=true a missing service is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def need_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    need(path.exists(), f"{path} is missing (../shared is not beside the repository)")
    return path


def need_redis() -> str:
    need(reachable("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379")
    return REDIS_URL


def make_inbox(
    container: Container,
    channel: str,
    settings: dict[str, Any] | None = None,
    secret: str | None = None,
    name: str | None = None,
) -> int:
    with container.uow() as uow:
        inbox = Inbox(name=name or channel, channel=channel, settings=settings or {}, secret=secret)
        uow.session.add(inbox)
        uow.commit()
        return inbox.id


def make_user(
    container: Container, role: Role = Role.AGENT, email: str | None = None
) -> tuple[int, str]:
    """Create a user; returns (user_id, API token)."""
    with container.uow() as uow:
        n = abs(hash((role, email, os.urandom(4)))) % 10**8
        user = auth.create_user(
            uow.session, email or f"{role.value}{n}@example.test", f"{role.value} {n}", role
        )
        token = auth.issue_token(uow.session, user)
        uow.commit()
        return user.id, token
