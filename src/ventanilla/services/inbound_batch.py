"""Group commit for inbound messages: the messages that arrive together share a transaction.

Callers hand a message over and wait. While one batch is being written, new messages queue
up; the writing thread then takes all of them (up to GROUP_COMMIT_MAX) into the next
transaction, each in its own savepoint, so one bad or duplicate message cannot spoil the
others: it rolls back alone and its caller gets its own error. A caller is answered only
after the transaction holding its message has committed and its events have been published,
so "stored before acknowledged" holds. There is no long-lived thread: the caller that finds
nobody writing starts one, and it ends shortly after nothing is left.

What this saves per message is the transaction around it: the session, the connection
checkout and check-in, the wait for SQLite's write lock and the COMMIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ventanilla.channels.base import InboundMessage
from ventanilla.services import inbound, inbound_bulk
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UnitOfWork, UowFactory

GROUP_COMMIT_MAX = 64  # messages in one transaction at most
# Each failed attempt means another writer committed what this one tried to insert (the
# message, or a new sender's identity); with several writers that can happen more than once.
INSERT_ATTEMPTS = 4
ALONE_ATTEMPTS = 3  # a message stored on its own after its batch failed
WRITER_LINGER_S = 0.05  # an idle writer thread waits this long for more before it ends
# While another writer is busy, a free one waits for this many messages, or until the first
# has waited PARTNER_WAIT_S: taking each message the moment it arrives made a third of the
# batches single messages, each paying a whole transaction.
PARTNER_MIN_BATCH = 4
PARTNER_WAIT_S = 0.002
# A single writer (SQLite) waits, at most this long, until as many messages are pending as
# its last batch held. Under load, taking whatever had arrived the moment the last batch
# ended made batches of about half the requests in flight; waiting for the rest cost 15 %
# less CPU per message, since each transaction has a fixed cost. The last batch's size is
# how busy it is: when messages come one at a time, the wait is for one, so none at all.
SOLE_WRITER_WAIT_S = 0.002
_SAVEPOINT = "vt_inbound"
log = logging.getLogger(__name__)

Outcome = Received | Exception
Waiter = Future[Received] | asyncio.Future[Received]


def writers_for(dialect: str) -> int:
    """SQLite has one writer at a time; on PostgreSQL two batches per process overlap their
    round trips (measured best on 2 cores against one and four, with batches written at
    once: more writers only make each batch smaller)."""
    return 1 if dialect == "sqlite" else 2


@dataclass(frozen=True)
class _Pending:
    inbox_id: int
    msg: InboundMessage
    waiter: Waiter
    loop: asyncio.AbstractEventLoop | None  # set when the waiter is an asyncio future
    at: float = field(default_factory=time.monotonic)  # when it was handed over


class GroupCommit:
    """`writers` threads at most write batches at the same time: one suits SQLite (a single
    writer at a time anyway); several let PostgreSQL overlap the round trips of batches."""

    def __init__(
        self, uow_factory: UowFactory, max_batch: int = GROUP_COMMIT_MAX, writers: int = 1
    ) -> None:
        self._uow_factory = uow_factory
        self._max = max_batch
        self._writers = writers
        self._lock = threading.Condition()
        self._pending: list[_Pending] = []
        self._active = 0  # writer threads running
        self._idle = 0  # of which waiting for work
        self._writing = 0  # of which writing a batch
        self._last_batch = 1  # messages in the batch taken last (a single writer waits for as many)

    async def receive(self, inbox_id: int, msg: InboundMessage) -> Received:
        """Store the message; returns once it is committed (raises its own error if any)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Received] = loop.create_future()
        self._add(_Pending(inbox_id, msg, waiter, loop))
        return await waiter

    def submit(self, inbox_id: int, msg: InboundMessage) -> Future[Received]:
        """The same from a thread: a future resolved once the message is committed."""
        waiter: Future[Received] = Future()
        self._add(_Pending(inbox_id, msg, waiter, None))
        return waiter

    def _add(self, item: _Pending) -> None:
        with self._lock:
            self._pending.append(item)
            ready = self._ready()
            if self._idle:
                if ready or len(self._pending) == 1:  # the first: a free writer waits for more
                    self._lock.notify()
                return
            # else a busy writer takes it; with no writer at all, one starts and waits
            start = (ready or not self._active) and self._active < self._writers
            self._active += start
        if start:
            threading.Thread(target=self._write, name="inbound-group-commit", daemon=True).start()

    def _ready(self) -> bool:
        """Whether a free writer should take the pending messages now (lock held)."""
        if not self._pending:
            return False
        if self._writers == 1:
            if len(self._pending) >= self._last_batch:
                return True
            return time.monotonic() - self._pending[0].at >= SOLE_WRITER_WAIT_S
        if not self._writing or len(self._pending) >= PARTNER_MIN_BATCH:
            return True
        return time.monotonic() - self._pending[0].at >= PARTNER_WAIT_S

    def _wait_limit(self) -> float:
        """How long the first pending message may wait for company (see _ready)."""
        return SOLE_WRITER_WAIT_S if self._writers == 1 else PARTNER_WAIT_S

    def _next_batch(self) -> list[_Pending]:
        """The next batch; empty (and this writer counted out) when none came for a while."""
        with self._lock:
            idle_since = time.monotonic()
            while not self._ready():
                now = time.monotonic()
                if not self._pending:
                    timeout = idle_since + WRITER_LINGER_S - now
                    if timeout <= 0:
                        self._active -= 1
                        self._last_batch = 1  # quiet: the next message goes at once
                        return []
                else:  # wait a little for more (see _ready)
                    timeout = self._pending[0].at + self._wait_limit() - now
                self._idle += 1
                self._lock.wait(max(timeout, 0.0002))
                self._idle -= 1
            batch, self._pending = self._pending[: self._max], self._pending[self._max :]
            self._last_batch = len(batch)
            self._writing += 1
            return batch

    def _write(self) -> None:
        while batch := self._next_batch():
            try:
                outcomes = self._store(batch)
            except BaseException:  # the thread is being torn down: never leave a caller waiting
                _answer(batch, [RuntimeError("inbound writer stopped")] * len(batch))
                with self._lock:
                    self._active -= 1
                    self._writing -= 1
                raise
            with self._lock:
                self._writing -= 1
            _answer(batch, outcomes)

    def _store(self, batch: list[_Pending]) -> list[Outcome]:
        try:
            return _receive_batch(self._uow_factory, batch)
        except Exception:
            # The shared transaction failed as a whole: store each message on its own, so
            # only the message at fault fails.
            log.warning("group commit of %d messages failed; storing them one by one", len(batch))
            return [_receive_alone(self._uow_factory, item) for item in batch]


def _receive_alone(uow_factory: UowFactory, item: _Pending) -> Outcome:
    for attempt in range(1, ALONE_ATTEMPTS + 1):
        try:
            return inbound.receive(uow_factory, item.inbox_id, item.msg)
        except OperationalError as exc:  # a deadlock or lock timeout: try again
            if attempt == ALONE_ATTEMPTS:
                return exc
        except Exception as exc:
            return exc
    raise AssertionError("unreachable")


def _answer(batch: list[_Pending], outcomes: list[Outcome]) -> None:
    """Resolve the waiters: one hand-over per event loop, not one per message."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Waiter, Outcome]]] = defaultdict(list)
    for item, outcome in zip(batch, outcomes, strict=True):
        if item.loop is None:
            _resolve([(item.waiter, outcome)])
        else:
            by_loop[item.loop].append((item.waiter, outcome))
    for loop, pairs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            loop.call_soon_threadsafe(_resolve, pairs)


def _resolve(pairs: list[tuple[Waiter, Outcome]]) -> None:
    for waiter, outcome in pairs:
        if waiter.done():  # cancelled: the caller went away; the message is stored anyway
            continue
        if isinstance(outcome, Exception):
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


def _receive_batch(uow_factory: UowFactory, batch: list[_Pending]) -> list[Outcome]:
    """One transaction; the outcome of each message, after the commit."""
    with uow_factory() as uow:
        if inbound_bulk.applies([item.msg for item in batch]):
            try:
                outcomes = inbound_bulk.receive(uow, [(i.inbox_id, i.msg) for i in batch])
                uow.commit()
                return outcomes
            except DBAPIError as exc:  # another writer got there first, or a deadlock
                kind = type(exc.orig).__name__
                log.info(
                    "bulk write of %d messages gave way (%s); one savepoint each", len(batch), kind
                )
            except Exception:
                log.exception("bulk write of %d messages failed; one savepoint each", len(batch))
    return _receive_in_savepoints(uow_factory, batch)


def _receive_in_savepoints(uow_factory: UowFactory, batch: list[_Pending]) -> list[Outcome]:
    """One transaction, one savepoint per message; the outcome of each, after the commit.

    Messages are written in the order of their senders (a stable sort: one sender's messages
    keep their order), so two batches written at once, here or in another process, lock
    the rows of the same customers in the same order and cannot deadlock on them.
    """
    outcomes: dict[int, Outcome] = {}
    with uow_factory() as uow:
        senders = inbound.prefetch_senders(uow.session, [item.msg for item in batch])
        for i in sorted(range(len(batch)), key=lambda i: _sender_key(batch[i].msg)):
            outcomes[i] = _in_savepoint(uow, batch[i], senders)
        uow.commit()
    return [outcomes[i] for i in range(len(batch))]


def _sender_key(msg: InboundMessage) -> tuple[str, str]:
    return msg.sender.kind.value, msg.sender.address


def _in_savepoint(uow: UnitOfWork, item: _Pending, senders: inbound.Senders) -> Outcome:
    """Store one message in its own savepoint. A unique-constraint failure (a duplicate, or
    a concurrent insert race with another writer) is retried with every lookup: the retry
    finds what the other writer stored."""
    s = uow.session
    for attempt in range(1, INSERT_ATTEMPTS + 1):
        mark = len(uow.events)
        try:
            if inbound.is_plain(item.msg):
                # First try without the dedupe lookup: a duplicate fails on the unique
                # constraint and the next attempt looks it up.
                return _in_plain_savepoint(uow, s, item, attempt > 1, senders)
            senders.clear()  # the general path may change any contact: read them again
            with s.begin_nested():
                return inbound.receive_in(uow, item.inbox_id, item.msg)
        except IntegrityError as exc:
            del uow.events[mark:]
            if attempt == INSERT_ATTEMPTS:
                return exc
        except DBAPIError:
            # Not this message's fault (a deadlock with another process's batch, a lock
            # timeout, a lost connection): the batch fails and each message is retried alone.
            raise
        except Exception as exc:
            del uow.events[mark:]
            return exc
    raise AssertionError("unreachable")


def _in_plain_savepoint(
    uow: UnitOfWork, s: Session, item: _Pending, check_existing: bool, senders: inbound.Senders
) -> Received:
    """A savepoint issued on the driver connection: the session's own nested transaction
    costs several times more, and a plain message writes almost nothing through the session
    (which is flushed before the savepoint is released)."""
    raw: Any = s.connection().connection.dbapi_connection
    raw.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        got = inbound.receive_in(uow, item.inbox_id, item.msg, check_existing, senders)
        s.flush()
    except Exception:
        senders.clear()  # it may hold what this message wrote: read the senders again
        raw.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        s.expire_all()  # what the session holds may have been changed by the rolled-back work
        raise
    raw.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    return got
