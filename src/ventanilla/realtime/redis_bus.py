"""Scaled-out mode: every process publishes to Redis and fans out what it hears locally."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis
import redis.asyncio as aredis

from ventanilla.realtime.bus import LocalFanout, Subscription, decode, encode, encode_many

log = logging.getLogger(__name__)
RECONNECT_DELAY_S = 0.5


class RedisBus:
    def __init__(self, url: str, channel: str = "ventanilla:events") -> None:
        self._url = url
        self._channel = channel
        self._sync = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._fanout = LocalFanout()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def listener_name(self) -> str:
        """How this process's listening connection shows in Redis CLIENT LIST."""
        return "ventanilla-bus:" + "".join(c if c.isalnum() else "-" for c in self._channel)

    @property
    def listening(self) -> bool:
        """Other processes may be listening: always publish."""
        return True

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        """Best effort: the data is already committed, and consumers catch up from the
        database. Without Redis, this process's own subscribers still hear the event."""
        try:
            self._sync.publish(self._channel, encode(topic, payload))
        except redis.RedisError as exc:
            log.warning("realtime publish failed, delivering locally only: %s", exc)
            self._fanout.deliver(topic, payload)

    def publish_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """publish() for several events in one Redis message: every process decodes one
        message per commit rather than one per event and topic."""
        if not items:
            return
        try:
            self._sync.publish(self._channel, encode_many(items))
        except redis.RedisError as exc:
            log.warning("realtime publish failed, delivering locally only: %s", exc)
            self._fanout.deliver_many(items)

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
        connected_before = False
        while True:
            client = aredis.Redis.from_url(
                self._url,
                socket_connect_timeout=2,
                socket_keepalive=True,
                health_check_interval=15,
                client_name=self.listener_name,
            )
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    if connected_before:
                        self._fanout.lost_events()  # events published while we were away
                    connected_before = True
                    self._ready.set()
                    await self._relay(pubsub)
            except (redis.RedisError, OSError) as exc:
                log.warning("realtime connection to Redis lost, reconnecting: %s", exc)
                await asyncio.sleep(RECONNECT_DELAY_S)
            finally:
                await client.aclose()

    async def _relay(self, pubsub: Any) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message" or self._fanout.idle:
                continue  # with nobody listening here, there is nothing to decode
            decoded = decode(item["data"])
            if decoded is None:
                log.warning("ignoring a malformed realtime message on %s", self._channel)
                continue
            self._fanout.deliver_many(decoded)
