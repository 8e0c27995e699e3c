"""Executes outbox jobs: one by id when the job queue hands it over, or in sweeps of due rows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ventanilla.channels.base import PermanentSendError, TransientSendError
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import DeliveryStatus
from ventanilla.jobs.handlers import run_job
from ventanilla.services import outbox
from ventanilla.services.delivery import updated_event
from ventanilla.services.outbox import ClaimedJob, Outcome
from ventanilla.storage.models import Message

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


class OutboxRunner:
    """Safe with any number of runners in any number of processes: every job is leased first."""

    def __init__(
        self,
        container: Container,
        batch: int | None = None,
        idle_s: float | None = None,
        clock: Clock = utcnow,
    ) -> None:
        s = container.settings
        self.container = container
        self.batch = batch or s.worker_concurrency
        self.idle_s = s.outbox_sweep_seconds if idle_s is None else idle_s
        self.lease = timedelta(seconds=s.outbox_lease_seconds)
        self.clock = clock
        self._slots = asyncio.Semaphore(s.worker_concurrency)
        self._inflight: set[asyncio.Task[bool]] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe: start the next sweep now instead of after the idle pause."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def execute(self, job_id: int) -> bool:
        """Run one job if it is still due; False when it is done or someone else holds it.

        Cancelling the caller does not cut a job in half: it finishes (see drain), or its lease
        runs out if the whole process dies.
        """
        task = asyncio.ensure_future(self._execute_id(job_id))
        self._inflight.add(task)
        task.add_done_callback(self._forget)
        return await asyncio.shield(task)

    async def drain(self, timeout: float) -> None:
        """Wait for jobs already started to finish."""
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=timeout)

    def _forget(self, task: asyncio.Task[bool]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox job failed to run", exc_info=task.exception())

    async def _execute_id(self, job_id: int) -> bool:
        async with self._slots:
            job = await asyncio.to_thread(self._claim_one, job_id)
            if job is None:
                return False
            await self._execute(job)
            return True

    async def run_once(self) -> int:
        """One sweep: lease every due job (up to the batch size) and run them."""
        jobs = await asyncio.to_thread(self._claim)
        if jobs:
            await asyncio.gather(*(self._execute(j) for j in jobs))
        return len(jobs)

    async def run_forever(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # keep sweeping; the rows' leases bring the jobs back
                log.exception("outbox sweep failed")
                done = 0
            if done:
                continue
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.idle_s, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    def _claim(self) -> list[ClaimedJob]:
        with self.container.uow() as uow:
            jobs = outbox.claim(uow.session, self.batch, self.clock(), self.lease)
            uow.commit()
            return jobs

    def _claim_one(self, job_id: int) -> ClaimedJob | None:
        with self.container.uow() as uow:
            job = outbox.claim_one(uow.session, job_id, self.clock(), self.lease)
            uow.commit()
            return job

    async def _execute(self, job: ClaimedJob) -> None:
        try:
            await run_job(self.container, job)
        except TransientSendError as exc:
            await asyncio.to_thread(self._failed, job, str(exc), False)
        except PermanentSendError as exc:
            await asyncio.to_thread(self._failed, job, str(exc), True)
        except Exception as exc:
            log.exception("outbox job %s failed", job.id)
            await asyncio.to_thread(
                self._failed, job, f"internal error: {exc.__class__.__name__}", False
            )
        else:
            await asyncio.to_thread(self._done, job)

    def _done(self, job: ClaimedJob) -> None:
        with self.container.uow() as uow:
            outbox.mark_done(uow.session, job.id, self.clock())
            uow.commit()

    def _failed(self, job: ClaimedJob, error: str, permanent: bool) -> None:
        with self.container.uow() as uow:
            outcome = outbox.mark_failed(uow.session, job, error, permanent, self.clock())
            if outcome is Outcome.DEAD and job.kind == "deliver":
                msg = uow.session.get(Message, int(job.payload["message_id"]))
                if msg is not None and msg.delivery_status == DeliveryStatus.QUEUED.value:
                    msg.delivery_status = DeliveryStatus.FAILED.value
                    msg.delivery_error = error[:2000]
                    uow.session.flush()
                    uow.emit(updated_event(uow.session, msg))
            uow.commit()
        if outcome is Outcome.RETRY:
            log.info("outbox job %s will be retried: %s", job.id, error)
        elif outcome is Outcome.DEAD:
            log.warning("outbox job %s given up: %s", job.id, error)
