"""Command line: serve, worker, migrate, demo, token."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import typer

from ventanilla.config import Settings

app = typer.Typer(help="Ventanilla: omnichannel customer service.", no_args_is_help=True)


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.is_sqlite and ":///" in settings.database_url:
        path = settings.database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from ventanilla.storage.migrate import upgrade

    settings = _settings()
    _ensure_sqlite_dir(settings)
    upgrade(settings.database_url)
    typer.echo("database is up to date")


@app.command()
def demo() -> None:
    """Load the bilingual demo store (idempotent) and print logins and tokens."""
    settings = _settings()
    _load_demo(settings, settings.public_url)


def _load_demo(settings: Settings, base_url: str) -> None:
    from ventanilla.bootstrap import Container
    from ventanilla.services import demo as demo_data

    container = Container(settings)
    info = demo_data.load(container.uow)
    typer.echo("demo data " + ("created" if info.created else "already present"))
    typer.echo(f"  store + chat:   {base_url}/")
    typer.echo(f"  API docs:       {base_url}/api/docs")
    typer.echo(f"  demo password for every user: {demo_data.DEMO_PASSWORD}")
    for email, token in info.tokens.items():
        typer.echo(f"  API token for {email}: {token}")
    container.engine.dispose()


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    with_demo: bool = typer.Option(False, "--demo", help="load the demo data first"),
    workers: int = 1,
) -> None:
    """Serve the web app (and, in embedded mode, run jobs in-process)."""
    import uvicorn

    settings = _settings()
    migrate()
    address = _address(host, port)
    if "public_url" not in settings.model_fields_set:
        # Links in emails and other channels point at this server unless told otherwise.
        import os

        os.environ.setdefault("VENTANILLA_PUBLIC_URL", address)
    if with_demo:
        public = "public_url" in settings.model_fields_set
        _load_demo(settings, settings.public_url.rstrip("/") if public else address)
        _demo_environment(settings, host, port)
    typer.echo(f"serving on {address}/")
    uvicorn.run(
        "ventanilla.web.factory:app",
        host=host,
        port=port,
        workers=workers,
        factory=True,
        log_level="warning",
        proxy_headers=False,
    )
    del settings


def _address(host: str, port: int) -> str:
    """Where a browser on this machine reaches the server (a wildcard host on loopback)."""
    wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}  # noqa: S104
    shown = wildcard.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _demo_environment(settings: Settings, host: str, port: int) -> None:
    """Point the assistant's order connector at the demo store's own backend."""
    import os

    from ventanilla.services.demo import DEMO_STORE_KEY

    base = f"http://{host}:{port}/demo-store/api/orders/{{order}}"
    os.environ.setdefault("VENTANILLA_DEMO", "true")
    os.environ.setdefault("VENTANILLA_STORE_ORDER_URL", base)
    os.environ.setdefault("VENTANILLA_STORE_CANCEL_URL", base + "/cancel")
    os.environ.setdefault("VENTANILLA_STORE_AUTH_HEADER", f"x-store-key: {DEMO_STORE_KEY}")
    # Mail to hola@tienda-demo.test on this port lands in the demo email inbox.
    os.environ.setdefault("VENTANILLA_SMTP_RECEIVER_PORT", "2526")
    del settings


@app.command()
def worker(batch: int | None = None) -> None:
    """Run outbox deliveries and webhooks; start as many as you like."""
    from ventanilla.bootstrap import Container
    from ventanilla.jobs.periodic import run_periodic
    from ventanilla.jobs.queue import JobQueue
    from ventanilla.jobs.runner import OutboxRunner

    settings = _settings()

    async def main() -> None:
        container = Container(settings)
        jobs = JobQueue(container, runner=OutboxRunner(container, batch=batch))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await jobs.start()
        periodic = asyncio.create_task(run_periodic(container, stop))
        typer.echo("worker started")
        await stop.wait()
        await periodic
        await jobs.stop()
        await container.aclose()

    asyncio.run(main())


def _mount_kb() -> None:
    from ventanilla.kb_cli import app as kb_app

    app.add_typer(kb_app, name="kb")


_mount_kb()


def _mount_eval() -> None:
    try:
        from ventanilla.assistant.eval_cli import app as eval_app
    except ImportError:
        return
    app.add_typer(eval_app, name="eval")


_mount_eval()


def main() -> None:
    app()
