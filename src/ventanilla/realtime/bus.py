"""A topic bus. publish() is thread-safe and synchronous; subscribers are asyncio queues."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

QUEUE_LIMIT = 1000
RESYNC: dict[str, Any] = {"event": "resync"}


class Bus(Protocol):
    @property
    def listening(self) -> bool:
        """Whether an event published now might be heard (else it need not be built)."""
        ...

    def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def publish_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Several (topic, payload) events, in order."""
        ...

    def subscribe(
        self, topics: list[str]
    ) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Subscription:
    """A bounded queue of payloads. When events may have been lost (the queue overflowed, or
    the broker connection dropped), `overflowed` is set and a RESYNC payload is queued: the
    consumer should then catch up from the database."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, payload: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.overflowed = True  # the consumer catches up from the database

    def lost_events(self) -> None:
        self.overflowed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(RESYNC)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()

    def get_waiting(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` payloads that are already queued, without waiting."""
        out: list[dict[str, Any]] = []
        while len(out) < limit:
            try:
                out.append(self.queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return out

    def take_resync(self, payload: dict[str, Any]) -> bool:
        """True (once) when the consumer must catch up instead of using `payload`."""
        if self.overflowed or payload.get("event") == RESYNC["event"]:
            self.overflowed = False
            return True
        return False


class LocalFanout:
    """Delivers payloads to the subscriptions of this process."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    @property
    def idle(self) -> bool:
        """Nobody in this process listens to anything."""
        return not self._subs

    def deliver(self, topic: str, payload: dict[str, Any]) -> None:
        with self._lock:
            subs = list(self._subs.get(topic, ()))
        for sub in subs:
            _call_in_loop(sub, sub.offer, payload)

    def deliver_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """deliver() for several events in order, handed to each subscriber's event loop in
        one go: from another thread, waking a loop costs a system call each time."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Subscription, Any]]] = {}
        with self._lock:
            for topic, payload in items:
                for sub in self._subs.get(topic, ()):
                    by_loop.setdefault(sub.loop, []).append((sub, payload))
        for loop, offers in by_loop.items():
            _run_in_loop(loop, _offer_all, offers)

    def lost_events(self) -> None:
        """Tell every subscriber that some events may not have reached it."""
        with self._lock:
            subs = {s for group in self._subs.values() for s in group}
        for sub in subs:
            _call_in_loop(sub, sub.lost_events)

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


def _call_in_loop(sub: Subscription, fn: Any, *args: Any) -> None:
    """Run fn in the subscriber's loop: directly when already there, else thread-safely."""
    _run_in_loop(sub.loop, fn, *args)


def _run_in_loop(loop: asyncio.AbstractEventLoop, fn: Any, *args: Any) -> None:
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        fn(*args)
        return
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
        loop.call_soon_threadsafe(fn, *args)


def _offer_all(offers: list[tuple[Subscription, dict[str, Any]]]) -> None:
    for sub, payload in offers:
        sub.offer(payload)


class MemoryBus:
    """Embedded mode: one process, no broker."""

    def __init__(self) -> None:
        self._fanout = LocalFanout()

    @property
    def listening(self) -> bool:
        """Whether anybody would hear an event published now (else it need not be built)."""
        return not self._fanout.idle

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._fanout.deliver(topic, payload)

    def publish_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        self._fanout.deliver_many(items)

    def subscribe(self, topics: list[str]) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe(topics)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def encode(topic: str, payload: dict[str, Any]) -> str:
    return json.dumps({"t": topic, "p": payload}, separators=(",", ":"), default=str)


def encode_many(items: list[tuple[str, dict[str, Any]]]) -> str:
    """Several events in one message, in order; an event published on several topics in a
    row (the same payload object) is written once with all its topics."""
    groups: list[tuple[list[str], dict[str, Any]]] = []
    for topic, payload in items:
        if groups and groups[-1][1] is payload:
            groups[-1][0].append(topic)
        else:
            groups.append(([topic], payload))
    return json.dumps({"m": groups}, separators=(",", ":"), default=str)


def decode(raw: bytes | str) -> list[tuple[str, dict[str, Any]]] | None:
    """The (topic, payload) pairs, in order, of what encode() or encode_many() produced;
    None for anything else."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if "m" not in data:
        topic, payload = data.get("t"), data.get("p")
        if not isinstance(topic, str) or not isinstance(payload, dict):
            return None
        return [(topic, payload)]
    groups = data["m"]
    if not isinstance(groups, list):
        return None
    out = []
    for group in groups:
        if not (isinstance(group, list) and len(group) == 2):
            return None
        topics, payload = group
        if not isinstance(topics, list) or not isinstance(payload, dict):
            return None
        if not all(isinstance(t, str) for t in topics):
            return None
        out += [(t, payload) for t in topics]
    return out
