"""The composition root: settings in, wired services out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ventanilla.config import Settings
from ventanilla.domain.events import Event
from ventanilla.realtime.bus import Bus, MemoryBus
from ventanilla.services import webhooks
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.db import make_engine, make_session_factory

if TYPE_CHECKING:
    from ventanilla.services.assistant_runtime import AssistantRuntime

AGENTS_TOPIC = "agents"


def conversation_topic(conversation_id: int) -> str:
    return f"conv:{conversation_id}"


def contact_topic(contact_id: int) -> str:
    """What a customer's widget listens to: every conversation of that contact."""
    return f"contact:{contact_id}"


class Container:
    """Everything a process needs, built once from Settings."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None = None,
        bus: Bus | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url)
        self.session_factory: sessionmaker[Session] = make_session_factory(self.engine)
        self.bus: Bus = bus or _make_bus(settings)
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0))
        self._wakers: list[Any] = []
        self.assistant = _make_assistant(settings)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.session_factory,
            after_commit=[self._publish],
            before_commit=[webhooks.enqueue_for_events],
        )

    def on_commit_wake(self, waker: Any) -> None:
        """Register something with a wake() method to poke after each commit (the runner)."""
        self._wakers.append(waker)

    def _publish(self, events: list[Event]) -> None:
        if self.bus.listening:  # not when embedded with nobody listening
            self._broadcast(events)
        if events:
            for waker in self._wakers:
                waker.wake()

    def _broadcast(self, events: list[Event]) -> None:
        items = []
        for ev in events:
            payload = ev.payload()
            items.append((conversation_topic(ev.conversation_id), payload))
            items.append((contact_topic(ev.contact_id), payload))
            items.append((AGENTS_TOPIC, payload))
        self.bus.publish_many(items)  # one round trip to Redis

    async def aclose(self) -> None:
        if self.assistant is not None:
            await self.assistant.aclose()
        await self.http.aclose()
        await self.bus.stop()
        self.engine.dispose()


def _make_assistant(settings: Settings) -> AssistantRuntime | None:
    if not settings.assistant_enabled:
        return None
    from ventanilla.assistant.state import ActionIntent
    from ventanilla.services.assistant_runtime import AssistantRuntime

    actions = frozenset(ActionIntent) if settings.store_order_url else frozenset()
    return AssistantRuntime(actions, processes=settings.assistant_processes)


def _make_bus(settings: Settings) -> Bus:
    if settings.redis_url:
        from ventanilla.realtime.redis_bus import RedisBus

        return RedisBus(settings.redis_url, settings.redis_channel)
    return MemoryBus()
