"""The assistant's engine for this process's knowledge base, computed in a child process.

With ``processes`` >= 1 (the default, ``VENTANILLA_ASSISTANT_PROCESSES``) the CPU work of a
turn runs in the process pool of ``assistant_pool`` and this process only reads the knowledge
base's fingerprint (and its articles when a child lacks that version). With 0, or when a
child dies twice on the same turn, the turn is computed here in a thread, as before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from typing import TYPE_CHECKING

from ventanilla.assistant import Assistant, AssistantConfig, AssistantState
from ventanilla.assistant.state import ActionIntent
from ventanilla.services import knowledge
from ventanilla.services.assistant_pool import (
    AssistantPool,
    Computed,
    Fingerprint,
    NeedArticles,
    PoolBroken,
    compute,
    release,
    shared_pool,
    turn_in_child,
)
from ventanilla.services.uow import UowFactory

if TYPE_CHECKING:
    from ventanilla.assistant.knowledge import Article

log = logging.getLogger(__name__)


class AssistantRuntime:
    def __init__(self, actions: frozenset[ActionIntent], processes: int = 0) -> None:
        self._lock = threading.Lock()
        self._engine: Assistant | None = None
        self._fingerprint: Fingerprint | None = None
        self._actions = actions
        self._owner = uuid.uuid4().hex  # names this knowledge base in the children
        self.pool: AssistantPool | None = shared_pool(processes) if processes > 0 else None

    @property
    def built_here(self) -> bool:
        """Whether this process has built an engine (in-thread mode, or after a fallback)."""
        return self._fingerprint is not None

    async def compute(
        self,
        uow_factory: UowFactory,
        state: AssistantState,
        text: str,
        kb: Fingerprint | None = None,
    ) -> Computed | None:
        """The turn for ``text``; None while the knowledge base is empty.

        ``kb`` is the knowledge base's fingerprint when the caller has just read it.
        """
        if self.pool is not None:
            for attempt in (1, 2):
                try:
                    return await self._in_child(self.pool, uow_factory, state, text, kb)
                except PoolBroken as exc:
                    log.warning("assistant turn lost its process (attempt %d): %s", attempt, exc)
            log.warning("assistant turn computed in the serving process after two failures")
        engine = await asyncio.to_thread(self.engine, uow_factory)
        if engine is None:
            return None
        return await asyncio.to_thread(compute, engine, state, text)

    async def _in_child(
        self,
        pool: AssistantPool,
        uow_factory: UowFactory,
        state: AssistantState,
        text: str,
        kb: Fingerprint | None,
    ) -> Computed | None:
        fp = kb if kb is not None else await asyncio.to_thread(_fingerprint, uow_factory)
        if fp[0] == 0:
            return None  # no articles, no engine (as in-thread)
        got = await pool.call(turn_in_child, self._owner, fp, None, self._actions, state, text)
        if isinstance(got, NeedArticles):  # this child has not seen this version yet
            fp, articles = await asyncio.to_thread(_articles, uow_factory)
            got = await pool.call(
                turn_in_child, self._owner, fp, articles, self._actions, state, text
            )
        if isinstance(got, NeedArticles):
            raise PoolBroken("the assistant process lost the knowledge base")
        return got

    def engine(self, uow_factory: UowFactory) -> Assistant | None:
        """The engine for the current knowledge base, built in this process; None while empty."""
        with uow_factory() as uow:
            fp = knowledge.fingerprint(uow.session)
            if fp == self._fingerprint:
                return self._engine
            articles: list[Article] = knowledge.all_articles(uow.session)
        with self._lock:
            if fp != self._fingerprint:
                self._engine = (
                    Assistant(articles, AssistantConfig(actions=self._actions))
                    if articles
                    else None
                )
                self._fingerprint = fp
            return self._engine

    async def aclose(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            await asyncio.to_thread(release, pool)


def _fingerprint(uow_factory: UowFactory) -> Fingerprint:
    with uow_factory() as uow:
        return knowledge.fingerprint(uow.session)


def _articles(uow_factory: UowFactory) -> tuple[Fingerprint, list[Article]]:
    with uow_factory() as uow:
        return knowledge.fingerprint(uow.session), knowledge.all_articles(uow.session)
