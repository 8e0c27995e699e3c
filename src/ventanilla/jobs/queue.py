"""The job queue (taskiq) carries "execute outbox job N"; the outbox table stays the truth.

- Embedded (no Redis): an in-memory broker runs the job in this process right after commit.
- Scaled out (`VENTANILLA_REDIS_URL`): web processes push job ids to a Redis list and any
  `ventanilla worker` pops them at once.

A message may be lost (a worker killed after popping it, Redis restarted): nothing depends on
it. Every process that executes jobs also sweeps the table for due rows and expired leases, and
a job runs only after its row is leased, so a duplicate message is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq_redis import ListQueueBroker

from ventanilla.config import Settings
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import outbox

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

log = logging.getLogger(__name__)
TASK_NAME = "ventanilla.outbox.execute"
STOP_GRACE_S = 5.0
REDIS_RETRY_MIN_S = 0.5
REDIS_RETRY_MAX_S = 30.0


def make_broker(settings: Settings, concurrency: int) -> AsyncBroker:
    if settings.redis_url:
        return _RedisList(
            settings.redis_url,
            queue_name=settings.job_queue_name,
            max_connection_pool_size=concurrency + 8,
            socket_connect_timeout=5,
        )
    return InMemoryBroker(max_async_tasks=concurrency, propagate_exceptions=False)


class _RedisList(ListQueueBroker):
    """A Redis list that waits for Redis to come back instead of spinning while it is down."""

    async def listen(self) -> AsyncGenerator[bytes, None]:
        pause = REDIS_RETRY_MIN_S
        while True:
            try:
                async for message in super().listen():
                    pause = REDIS_RETRY_MIN_S
                    yield message
            except RedisError as exc:
                log.warning("job queue unreachable, retrying in %.1f s: %s", pause, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, REDIS_RETRY_MAX_S)


class JobQueue:
    """Start one per process. `execute=False` only sends (a web process beside workers)."""

    def __init__(
        self, container: Container, execute: bool = True, runner: OutboxRunner | None = None
    ) -> None:
        self.container = container
        self.execute = execute
        self.runner = runner or OutboxRunner(container)
        self.remote = bool(container.settings.redis_url)
        self.broker = make_broker(container.settings, container.settings.worker_concurrency)
        runner = self.runner

        async def execute_outbox_job(job_id: int) -> None:
            await runner.execute(job_id)

        self._task = self.broker.register_task(execute_outbox_job, task_name=TASK_NAME)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unwatch: Callable[[], None] | None = None
        self._stop = asyncio.Event()
        self._receiver: asyncio.Task[None] | None = None
        self._sweep: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.remote:
            self.broker.is_worker_process = self.execute
        await self.broker.startup()
        if self.remote or self.execute:
            self._unwatch = outbox.watch_commits(self.container.session_factory, self.dispatch)
        if not self.execute:
            return
        if self.remote:
            receiver = run_receiver_task(
                self.broker, max_async_tasks=self.container.settings.worker_concurrency
            )
            self._receiver = asyncio.create_task(receiver)
        self._sweep = asyncio.create_task(self.runner.run_forever(self._stop))

    def dispatch(self, job_ids: list[int]) -> None:
        """Called after a commit, from any thread: hand the new jobs to the queue."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(job_ids)
        else:
            loop.call_soon_threadsafe(self._spawn, job_ids)

    def _spawn(self, job_ids: list[int]) -> None:
        task = asyncio.get_running_loop().create_task(self._send(job_ids))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, job_ids: list[int]) -> None:
        try:
            for job_id in job_ids:
                await self._task.kiq(job_id)
        except Exception as exc:  # the sweep will find the rows; never fail the caller
            log.warning("job queue unavailable, leaving jobs to the sweep: %s", exc)

    async def stop(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._sending:
            await asyncio.wait(list(self._sending), timeout=STOP_GRACE_S)
        self._stop.set()
        if self._receiver is not None:
            self._receiver.cancel()
        for task in (self._receiver, self._sweep):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=STOP_GRACE_S)
        self._receiver = self._sweep = None
        if isinstance(self.broker, InMemoryBroker):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.broker.wait_all(), timeout=STOP_GRACE_S)
        await self.runner.drain(STOP_GRACE_S)
        await self.broker.shutdown()

    async def __aenter__(self) -> JobQueue:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
