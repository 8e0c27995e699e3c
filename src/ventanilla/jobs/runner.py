"""Runs outbox jobs: in-process in embedded mode, in `ventanilla worker` when scaled out."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ventanilla.channels.base import PermanentSendError, TransientSendError
from ventanilla.domain.enums import DeliveryStatus
from ventanilla.jobs.handlers import run_job
from ventanilla.services import outbox
from ventanilla.services.delivery import updated_event
from ventanilla.services.outbox import ClaimedJob
from ventanilla.storage.models import Message

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

log = logging.getLogger(__name__)


class OutboxRunner:
    def __init__(self, container: Container, batch: int = 20, idle_s: float = 1.0) -> None:
        self.container = container
        self.batch = batch
        self.idle_s = idle_s
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe: called after commits, possibly from worker threads."""
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

    async def run_once(self) -> int:
        jobs = await asyncio.to_thread(self._claim)
        if jobs:
            await asyncio.gather(*(self._execute(j) for j in jobs))
        return len(jobs)

    async def run_forever(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                done = await self.run_once()
            except Exception:  # keep the loop alive; the row's lease brings the job back
                log.exception("outbox round failed")
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
            jobs = outbox.claim(uow.session, self.batch)
            uow.commit()
            return jobs

    async def _execute(self, job: ClaimedJob) -> None:
        try:
            await run_job(self.container, job)
        except TransientSendError as exc:
            await asyncio.to_thread(self._failed, job, str(exc), False)
        except PermanentSendError as exc:
            await asyncio.to_thread(self._failed, job, str(exc), True)
        except Exception as exc:
            log.exception("job %s failed", job.id)
            await asyncio.to_thread(
                self._failed, job, f"internal error: {exc.__class__.__name__}", False
            )
        else:
            await asyncio.to_thread(self._done, job)

    def _done(self, job: ClaimedJob) -> None:
        with self.container.uow() as uow:
            outbox.mark_done(uow.session, job.id)
            uow.commit()

    def _failed(self, job: ClaimedJob, error: str, permanent: bool) -> None:
        with self.container.uow() as uow:
            gave_up = outbox.mark_failed(uow.session, job, error, permanent)
            if gave_up and job.kind == "deliver":
                msg = uow.session.get(Message, int(job.payload["message_id"]))
                if msg is not None:
                    msg.delivery_status = DeliveryStatus.FAILED.value
                    msg.delivery_error = error[:2000]
                    uow.session.flush()
                    uow.emit(updated_event(uow.session, msg))
            uow.commit()
