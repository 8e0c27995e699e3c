"""Unit of work: one transaction; events are released only after it commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from ventanilla.domain.events import Event

AfterCommit = Callable[[list[Event]], None]
BeforeCommit = Callable[[Session, list[Event]], None]


class UnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        after_commit: Iterable[AfterCommit] = (),
        before_commit: Iterable[BeforeCommit] = (),
    ) -> None:
        self._factory = session_factory
        self._after = list(after_commit)
        self._before = list(before_commit)
        self.events: list[Event] = []
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        self.events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches objects unexpired,
        # so views built from them stay readable after the block.
        self.session.close()
        self._session = None

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def commit(self) -> None:
        events, self.events = self.events, []
        for hook in self._before:
            hook(self.session, events)
        self.session.commit()
        for after in self._after:
            after(events)


UowFactory = Callable[[], UnitOfWork]
