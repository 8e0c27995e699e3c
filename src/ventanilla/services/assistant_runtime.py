"""One assistant engine per process, rebuilt when the knowledge base changes."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from ventanilla.assistant import Assistant, AssistantConfig
from ventanilla.assistant.state import ActionIntent
from ventanilla.services import knowledge
from ventanilla.services.uow import UowFactory

if TYPE_CHECKING:
    from ventanilla.assistant.knowledge import Article


class AssistantRuntime:
    def __init__(self, actions: frozenset[ActionIntent]) -> None:
        self._lock = threading.Lock()
        self._engine: Assistant | None = None
        self._fingerprint: tuple[int, int] | None = None
        self._actions = actions

    def engine(self, uow_factory: UowFactory) -> Assistant | None:
        """The engine for the current knowledge base; None while it is empty."""
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
