"""The cache of authenticated API tokens: one database check per token at a time."""

from __future__ import annotations

import asyncio

import pytest

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import Unauthorized
from ventanilla.services.auth import Principal
from ventanilla.web.deps import PrincipalCache

ALICE = Principal(user_id=7, role=Role.AGENT, name="Alice")


class Checks:
    """A stand-in for the database check that counts its calls and takes a little time."""

    def __init__(self, result: Principal | Exception = ALICE, delay_s: float = 0.01) -> None:
        self.result = result
        self.delay_s = delay_s
        self.calls = 0

    async def __call__(self) -> Principal:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_a_burst_of_requests_with_a_cold_cache_checks_the_token_once() -> None:
    cache, check = PrincipalCache(), Checks()

    async def burst() -> list[Principal]:
        return await asyncio.gather(*(cache.principal("tok", check) for _ in range(32)))

    assert asyncio.run(burst()) == [ALICE] * 32
    assert check.calls == 1
    assert asyncio.run(cache.principal("tok", check)) == ALICE
    assert check.calls == 1  # still fresh: no second check


def test_an_expired_entry_is_checked_again() -> None:
    cache, check = PrincipalCache(ttl_s=0.05), Checks(delay_s=0)

    async def twice() -> None:
        await cache.principal("tok", check)
        await asyncio.sleep(0.08)
        await cache.principal("tok", check)

    asyncio.run(twice())
    assert check.calls == 2


def test_a_refused_token_fails_every_waiting_request_and_is_not_remembered() -> None:
    cache, check = PrincipalCache(), Checks(Unauthorized("invalid API token"))

    async def burst() -> list[Principal | BaseException]:
        calls = (cache.principal("bad", check) for _ in range(5))
        return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(burst())
    assert all(isinstance(r, Unauthorized) for r in results)
    assert check.calls == 1
    check.result = ALICE  # e.g. the token was created meanwhile
    assert asyncio.run(cache.principal("bad", check)) == ALICE
    assert check.calls == 2


def test_a_caller_that_goes_away_does_not_cancel_the_others() -> None:
    cache, check = PrincipalCache(), Checks(delay_s=0.05)

    async def scenario() -> Principal:
        leaving = asyncio.create_task(cache.principal("tok", check))
        staying = asyncio.create_task(cache.principal("tok", check))
        await asyncio.sleep(0.01)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        return await staying

    assert asyncio.run(scenario()) == ALICE
    assert check.calls == 1


def test_tokens_are_checked_separately() -> None:
    bob = Principal(user_id=8, role=Role.ADMIN, name="Bob")
    cache = PrincipalCache()
    checks = {"a": Checks(ALICE), "b": Checks(bob)}

    async def both() -> list[Principal]:
        return await asyncio.gather(*(cache.principal(t, checks[t]) for t in "abab"))

    assert asyncio.run(both()) == [ALICE, bob, ALICE, bob]
    assert checks["a"].calls == checks["b"].calls == 1
