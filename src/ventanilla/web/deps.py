"""FastAPI dependencies: the container, the unit of work, the authenticated principal."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, get_args

from fastapi import Depends, Request
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from ventanilla.bootstrap import Container
from ventanilla.domain.errors import InvalidInput, NotFound, Unauthorized
from ventanilla.services import auth
from ventanilla.services.auth import Principal
from ventanilla.services.uow import UnitOfWork


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]

# Ids are 64-bit signed integers in every database we run on.
MAX_ID = 2**63 - 1
_INT_PARAMS = "_ventanilla_int_params"


def _int_params(route: APIRoute | APIWebSocketRoute) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names of the route's integer path and query parameters (worked out once a route)."""
    known: tuple[tuple[str, ...], tuple[str, ...]] | None = getattr(route, _INT_PARAMS, None)
    if known is None:
        flat = get_flat_dependant(route.dependant)

        def ints(fields: list[Any]) -> tuple[str, ...]:
            return tuple(f.alias for f in fields if int in (f.type_, *get_args(f.type_)))

        known = (ints(flat.path_params), ints(flat.query_params))
        setattr(route, _INT_PARAMS, known)
    return known


def _out_of_range(raw: str) -> bool:
    digits = raw.strip().removeprefix("-").removeprefix("+")
    return digits.isdecimal() and (len(digits) > 19 or int(digits) > MAX_ID)


async def check_number_params(connection: HTTPConnection) -> None:
    """Refuse integer path and query parameters no database can hold, before any route runs.

    An id in the path beyond 64 bits names nothing (404); such a number in the query is a
    bad request (422). Installed for every route by ``errors.install``."""
    route = connection.scope.get("route")
    if not isinstance(route, APIRoute | APIWebSocketRoute):
        return
    path_ints, query_ints = _int_params(route)
    for name in path_ints:
        raw = connection.path_params.get(name)
        if isinstance(raw, str) and _out_of_range(raw):
            raise NotFound(f"{name.removesuffix('_id') or name} {raw} not found")
    for name in query_ints:
        for raw in connection.query_params.getlist(name):
            if _out_of_range(raw):
                raise InvalidInput(f"{name}: must be at most {MAX_ID}")


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
    within PRINCIPAL_TTL_S. Failures are never cached.

    When an entry is missing or has expired, the first caller checks the database and the
    calls that arrive meanwhile with the same token wait for that answer: a client keeping
    dozens of requests in flight would otherwise send all of them to the database (and open
    as many connections) each time the entry expires."""

    def __init__(self, ttl_s: float = PRINCIPAL_TTL_S, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self._checks: dict[str, asyncio.Future[Principal]] = {}

    async def principal(self, token: str, check: Callable[[], Awaitable[Principal]]) -> Principal:
        """The cached principal of `token`, else what `check()` returns (raises what it
        raises), running at most one check per token at a time in this event loop."""
        key = auth.hash_token(token)
        item = self._items.get(key)
        if item is not None and item[0] >= time.monotonic():
            return item[1]
        loop = asyncio.get_running_loop()
        running = self._checks.get(key)
        if running is None or running.get_loop() is not loop:
            running = loop.create_task(self._check(key, check))
            # a refusal nobody waits for any more (they all went away) is not logged as lost
            running.add_done_callback(lambda t: t.cancelled() or t.exception())
            self._checks[key] = running
        # shield: a caller that goes away must not cancel the others' check
        return await asyncio.shield(running)

    async def _check(self, key: str, check: Callable[[], Awaitable[Principal]]) -> Principal:
        try:
            principal = await check()
            self._put(key, principal)
            return principal
        finally:
            if self._checks.get(key) is asyncio.current_task():
                del self._checks[key]

    def _put(self, key: str, principal: Principal) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
                if len(self._items) >= self.max_entries:
                    self._items.clear()
            self._items[key] = (now + self.ttl_s, principal)


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
    return await _principal_cache(request).principal(
        token, lambda: run_in_threadpool(_authenticate, container, token)
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]
