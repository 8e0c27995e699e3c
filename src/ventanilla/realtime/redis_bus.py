"""Scaled-out mode: every process publishes to Redis and fans out what it hears locally."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import redis
import redis.asyncio as aredis

from ventanilla.realtime.bus import LocalFanout, Subscription, encode


class RedisBus:
    def __init__(self, url: str, channel: str = "ventanilla:events") -> None:
        self._url = url
        self._channel = channel
        self._sync = redis.Redis.from_url(url)
        self._fanout = LocalFanout()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self._sync.publish(self._channel, encode(topic, payload))

    def subscribe(self, topics: list[str]) -> contextlib.AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe(topics)

    async def start(self) -> None:
        if self._task is None:
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen())
            await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._sync.close()

    async def _listen(self) -> None:
        while True:
            client = aredis.Redis.from_url(self._url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._ready.set()
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        data = json.loads(item["data"])
                        self._fanout.deliver(data["t"], data["p"])
            except (redis.ConnectionError, OSError):
                await asyncio.sleep(0.5)  # reconnect; widgets resume from the database
            finally:
                await client.aclose()
