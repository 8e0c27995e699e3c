"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from ventanilla import __version__
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.jobs.periodic import run_periodic
from ventanilla.jobs.queue import JobQueue
from ventanilla.services.email_ingest import start_smtp_receiver
from ventanilla.web import demo_store, errors, stream, widget
from ventanilla.web.api import (
    assistant,
    channel,
    contacts,
    conversations,
    directory,
    knowledge,
    records,
)
from ventanilla.web.fast_inbound import VentanillaApp
from ventanilla.web.ui import pages


def _settle_memory() -> None:
    """Move everything alive after start-up (modules, routes, models, caches: about 150,000
    objects) out of the collector's reach. A full collection walks every tracked object;
    with those and a thousand connected widgets it took 120–230 ms on this machine, and it
    stops the event loop that long, so every message in flight waited."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    server_process: bool = False,
) -> FastAPI:
    """The application. `server_process` is set when it is the process's one application
    (`ventanilla serve`): what exists once it has started is then kept out of the garbage
    collector's full passes (see `_settle_memory`)."""
    container = container or Container(settings or Settings())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await container.bus.start()
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        jobs = JobQueue(container, execute=container.settings.run_jobs_in_process)
        await jobs.start()
        if container.settings.run_jobs_in_process:
            tasks.append(asyncio.create_task(run_periodic(container, stop)))
        receiver = None
        if container.settings.smtp_receiver_port:
            receiver = await start_smtp_receiver(
                container, host=container.settings.smtp_receiver_host
            )
        if server_process:
            _settle_memory()
        try:
            yield
        finally:
            if receiver is not None:
                await receiver.stop()
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=5)
            await jobs.stop()
            await container.aclose()

    # FastAPI, with POST /api/v1/inboxes/{id}/messages answered without routing.
    app = VentanillaApp(
        title="Ventanilla",
        version=__version__,
        description="Omnichannel customer service: one inbox, one customer, every channel.",
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.container = container
    errors.install(app)
    api = APIRouter(prefix="/api/v1")
    for router in (
        conversations.router,
        contacts.router,
        directory.router,
        channel.router,
        knowledge.router,
        records.router,
        assistant.router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(stream.router)
    app.include_router(widget.router)
    app.include_router(pages.router)
    if container.settings.demo:
        app.include_router(demo_store.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    s = container.settings
    app.add_middleware(
        errors.BodyLimit,
        max_bytes=s.max_body_bytes,
        big_paths=("/widget/v1/attachments",),
        big_max=s.max_attachment_bytes + 64 * 1024,
    )
    return app
