"""FastAPI dependencies: the container, the unit of work, the authenticated principal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import Container
from ventanilla.domain.errors import Unauthorized
from ventanilla.services import auth
from ventanilla.services.auth import Principal
from ventanilla.services.uow import UnitOfWork


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


PRINCIPAL_TTL_S = 2.0


class PrincipalCache:
    """Tokens authenticated in the last couple of seconds, so a burst of API calls checks the
    database once. Short on purpose: a revoked token or a deactivated user stops working
    within PRINCIPAL_TTL_S. Failures are never cached."""

    def __init__(self, ttl_s: float = PRINCIPAL_TTL_S, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        item = self._items.get(auth.hash_token(token))
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, token: str, principal: Principal) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
                if len(self._items) >= self.max_entries:
                    self._items.clear()
            self._items[auth.hash_token(token)] = (now + self.ttl_s, principal)


def _principal_cache(request: Request) -> PrincipalCache:
    cache: PrincipalCache | None = getattr(request.app.state, "principal_cache", None)
    if cache is None:
        cache = request.app.state.principal_cache = PrincipalCache()
    return cache


def _authenticate(container: Container, token: str) -> Principal:
    with container.uow() as uow:
        return auth.authenticate(uow.session, token)


async def get_principal(request: Request, container: ContainerDep) -> Principal:
    token = bearer(request)
    if token is None:
        raise Unauthorized("send an API token as 'Authorization: Bearer <token>'")
    cache = _principal_cache(request)
    principal = cache.get(token)
    if principal is None:
        principal = await run_in_threadpool(_authenticate, container, token)
        cache.put(token, principal)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]
