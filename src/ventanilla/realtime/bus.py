"""A topic bus. publish() is thread-safe and synchronous; subscribers are asyncio queues."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

QUEUE_LIMIT = 1000


class Bus(Protocol):
    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def subscribe(
        self, topics: list[str]
    ) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Subscription:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, payload: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True  # the consumer resumes from the database on reconnect

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()


class LocalFanout:
    """Delivers payloads to the subscriptions of this process."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def deliver(self, topic: str, payload: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(topic, ()))
        for sub in subs:
            if sub.loop.is_closed():
                continue
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is sub.loop:
                sub.offer(payload)
            else:
                sub.loop.call_soon_threadsafe(sub.offer, payload)

    @contextlib.asynccontextmanager
    async def subscribe(self, topics: list[str]) -> AsyncIterator[Subscription]:
        sub = Subscription(asyncio.get_running_loop())
        with self._lock:
            for t in topics:
                self._subs.setdefault(t, set()).add(sub)
        try:
            yield sub
        finally:
            with self._lock:
                for t in topics:
                    group = self._subs.get(t)
                    if group is not None:
                        group.discard(sub)
                        if not group:
                            del self._subs[t]


class MemoryBus:
    """Embedded mode: one process, no broker."""

    def __init__(self) -> None:
        self._fanout = LocalFanout()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._fanout.deliver(topic, payload)

    def subscribe(self, topics: list[str]) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe(topics)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def encode(topic: str, payload: dict[str, Any]) -> str:
    return json.dumps({"t": topic, "p": payload}, separators=(",", ":"), default=str)
