"""Assistant turns computed in child processes, off the serving process's interpreter lock.

A turn (language, embedding, sentiment, retrieval, policy) is pure CPU work in Python. Run in
a thread of the web process it holds the interpreter lock between the deliveries the event
loop should be making, so with the assistant on the widget-to-agent latency grows with the
assistant's load. Here a small pool of child processes (started with ``forkserver`` where the
platform has it, ``spawn`` elsewhere; never ``fork``) computes ``Assistant.turn`` and the
hand-off note; the parent keeps every database step.

Each child keeps its own engines, one per knowledge base (``owner``, a token of the runtime
that asked) and version (the fingerprint). The parent sends no articles until a child answers
that it lacks that version; the child then builds the engine from the articles it is given.

A child runs at a lower CPU priority (nice 10) than its parent, exits when its parent dies
(it watches the parent's sentinel) and ignores Ctrl-C (the parent shuts it down). A crashed
child breaks the pool: the pool is replaced on the next call and the caller decides whether
to retry.

The hand-off note written in the child is labelled in the conversation's language; the
parent, which can read who will take the conversation, may label it again in their language
and add why an order action failed (``note_for_readers``).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ventanilla.assistant import Assistant, AssistantConfig, AssistantState, DecisionKind
from ventanilla.assistant.engine import Turn
from ventanilla.assistant.knowledge import Article
from ventanilla.assistant.state import ActionIntent
from ventanilla.assistant.summary import (
    ActionRun,
    HandoffSummary,
    build_handoff_summary,
    note_language,
)
from ventanilla.assistant.summary_text import ActionFailed, ActionFailure

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

T = TypeVar("T")
Fingerprint = tuple[int, int]

START_METHOD: Final = (
    "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
)
# Engines a child keeps at once (one per knowledge base it serves, normally one).
ENGINES_PER_CHILD: Final = 4
# Lower CPU priority than the serving process: when cores are short, deliveries go first
# and the assistant's replies wait a little.
CHILD_NICENESS: Final = 10
# Decisions that may end in a hand-off (an action can hand off when the store fails).
NOTE_KINDS: Final = frozenset({DecisionKind.HANDOFF, DecisionKind.ACT})


@dataclass(frozen=True)
class Computed:
    """A turn, with the hand-off note already written when the decision may hand off.

    ``summary`` is the note labelled in the conversation's language; ``note`` is the same
    note, to label for its readers or to complete with why an action failed.
    """

    turn: Turn
    summary: str | None
    pid: int  # the process that computed it
    note: HandoffSummary | None = None


class NeedArticles:
    """A child's answer when it has no engine for the requested knowledge-base version."""

    def __reduce__(self) -> str:
        return "NEED_ARTICLES"


NEED_ARTICLES: Final = NeedArticles()


def compute(engine: Assistant, state: AssistantState, text: str) -> Computed:
    """The CPU part of one turn; the same code in a child or in a thread of the parent."""
    turn = engine.turn(state, text)
    note = hand_off_note(engine, state, turn) if turn.decision.kind in NOTE_KINDS else None
    return Computed(turn, None if note is None else note.as_text(), os.getpid(), note)


def hand_off_note(engine: Assistant, before: AssistantState, turn: Turn) -> HandoffSummary:
    """The note for a person taking over after ``turn`` (``before``: the state it started
    from). For an action, the note is only used when the action hands off: its reason line
    names the action and its orders, and the cause once the caller knows it
    (``with_failure``)."""
    decision = turn.decision
    ran: tuple[ActionRun, ...] = ()
    if decision.kind is DecisionKind.ACT and decision.action is not None:
        action = decision.action
        ran = tuple(ActionRun(action, o) for o in decision.order_numbers) or (ActionRun(action),)
    return build_handoff_summary(
        decision.state, engine.catalog, sentiment=turn.sentiment.label, reason=decision.reason,
        before=before, ran=ran,
    )


def note_for_readers(
    session: Session,
    conversation_id: int,
    note: HandoffSummary,
    failure: ActionFailure | ActionFailed | Iterable[ActionFailed] | None = None,
) -> str:
    """``note`` labelled for the people who will read it, with why an action failed
    (``failure``: the cause, or one per failing order)."""
    if isinstance(failure, ActionFailure | ActionFailed):
        note = note.with_failure(failure)
    elif failure is not None:
        found = tuple(failure)
        if found:
            note = note.with_failure(*found)
    return note.as_text(note_language(note.language, readers_languages(session, conversation_id)))


def readers_languages(session: Session, conversation_id: int) -> list[str]:
    """The languages of the people who will read a hand-off note: the conversation's
    assignee; else the experts it is offered to and the members of its team; else every
    active admin and agent (they see every conversation)."""
    # Imported here: the children, which never read the database, do not load it.
    from sqlalchemy import or_, select

    from ventanilla.domain.enums import Role
    from ventanilla.storage.models import Conversation, ConversationOffer, TeamMember, User

    conv = session.get(Conversation, conversation_id)
    if conv is None:
        return []
    active = select(User.language).where(User.active)
    if conv.assignee_id is not None:
        return list(session.scalars(active.where(User.id == conv.assignee_id)))
    offered = select(ConversationOffer.user_id).where(
        ConversationOffer.conversation_id == conversation_id
    )
    chosen = [User.id.in_(offered)]
    if conv.team_id is not None:
        team = select(TeamMember.user_id).where(TeamMember.team_id == conv.team_id)
        chosen.append(User.id.in_(team))
    found = list(session.scalars(active.where(or_(*chosen))))
    if found:
        return found
    return list(session.scalars(active.where(User.role.in_((Role.ADMIN, Role.AGENT)))))


# --- in the child -------------------------------------------------------------------------

_engines: OrderedDict[str, tuple[Fingerprint, Assistant | None]] = OrderedDict()


def _child_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(CHILD_NICENESS)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_with_parent, args=(parent.sentinel,), name="parent-watch", daemon=True
        ).start()


def _exit_with_parent(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _child_ready() -> int:
    return os.getpid()


def turn_in_child(
    owner: str,
    fingerprint: Fingerprint,
    articles: Sequence[Article] | None,
    actions: frozenset[ActionIntent],
    state: AssistantState,
    text: str,
) -> Computed | NeedArticles | None:
    """One turn in the child; None when the knowledge base is empty."""
    held = _engines.get(owner)
    if held is None or held[0] != fingerprint:
        if articles is None:
            return NEED_ARTICLES
        engine = Assistant(articles, AssistantConfig(actions=actions)) if articles else None
        held = (fingerprint, engine)
        _engines[owner] = held
        while len(_engines) > ENGINES_PER_CHILD:
            _engines.popitem(last=False)
    _engines.move_to_end(owner)
    engine = held[1]
    return None if engine is None else compute(engine, state, text)


# --- in the parent ------------------------------------------------------------------------


class PoolBroken(RuntimeError):
    """The child died (or could not start) while computing; the pool has been replaced."""


class AssistantPool:
    """``processes`` children, started on first use and replaced after a crash."""

    def __init__(self, processes: int, start_method: str = START_METHOD) -> None:
        if processes < 1:
            raise ValueError("an assistant pool needs at least one process")
        self.processes = processes
        self.start_method = start_method
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False
        self.restarts = 0

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a child. Raises PoolBroken if the child dies meanwhile."""
        executor = self._executor
        if executor is None:
            executor = await asyncio.to_thread(self._started)
        try:
            future: Future[T] = executor.submit(fn, *args)
        except RuntimeError as exc:  # broken, or shut down by a caller that saw it break
            self._discard(executor)
            raise PoolBroken("the assistant process is being replaced") from exc
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._discard(executor)
            raise PoolBroken("the assistant process died") from exc

    def pids(self) -> list[int]:
        """The children alive now (empty before the first call)."""
        executor = self._executor
        if executor is None:
            return []
        procs = executor._processes or {}  # None once shut down
        return [pid for pid, proc in list(procs.items()) if proc.is_alive()]

    def close(self, timeout: float = 5.0) -> None:
        """Stop the children, letting a turn in progress finish for up to ``timeout`` s."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            _stop(executor, timeout)

    def _started(self) -> ProcessPoolExecutor:
        """The running executor, started now if needed (blocks until a child is up)."""
        with self._lock:
            if self._closed:
                raise PoolBroken("the assistant pool is closed")
            if self._executor is None:
                executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=_context(self.start_method),
                    initializer=_child_init,
                )
                try:
                    executor.submit(_child_ready).result()
                except BrokenProcessPool as exc:
                    _stop(executor, 0.0)
                    raise PoolBroken("the assistant process did not start") from exc
                self._executor = executor
            return self._executor

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return  # someone else already replaced it
            self._executor = None
            self.restarts += 1
        log.warning("assistant process died; a new one starts with the next turn")
        _stop(broken, 0.0)


def _context(method: str) -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Children forked from the server start with the assistant's modules imported.
        ctx.set_forkserver_preload([__name__])
    return ctx


def _stop(executor: ProcessPoolExecutor, timeout: float) -> None:
    procs = list((executor._processes or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        proc.join(timeout)
        if proc.is_alive():
            proc.terminate()


# --- one pool per process ------------------------------------------------------------------

_shared: dict[tuple[int, str], tuple[AssistantPool, int]] = {}
_shared_lock = threading.Lock()


def shared_pool(processes: int, start_method: str = START_METHOD) -> AssistantPool:
    """The pool every runtime of this process with these settings uses; release() it."""
    key = (processes, start_method)
    with _shared_lock:
        pool, users = _shared.get(key, (None, 0))
        if pool is None:
            pool = AssistantPool(processes, start_method)
        _shared[key] = (pool, users + 1)
        return pool


def release(pool: AssistantPool) -> None:
    """One user less; the last one stops the children."""
    key = (pool.processes, pool.start_method)
    with _shared_lock:
        held = _shared.get(key)
        if held is None or held[0] is not pool:
            return
        users = held[1] - 1
        if users > 0:
            _shared[key] = (pool, users)
            return
        del _shared[key]
    pool.close()
