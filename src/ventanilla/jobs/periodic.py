"""Periodic work, safe to run in every process at once: assumed resolutions, IMAP polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from ventanilla.services import resolutions

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container

log = logging.getLogger(__name__)


def sweep_once(container: Container) -> int:
    silence = timedelta(minutes=container.settings.assistant_assume_resolved_minutes)
    with container.uow() as uow:
        done = resolutions.sweep_assumed(uow, silence)
        uow.commit()
        return done


async def run_periodic(container: Container, stop: asyncio.Event, every_s: float = 15.0) -> None:
    """Each round is idempotent: several workers running it at once do no harm."""
    from ventanilla.services.email_ingest import poll_imap_inboxes

    next_poll = 0.0
    while not stop.is_set():
        try:
            await asyncio.to_thread(sweep_once, container)
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + container.settings.imap_poll_seconds
                await poll_imap_inboxes(container)
        except Exception:
            log.exception("periodic round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
