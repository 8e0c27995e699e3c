"""A worker killed with SIGKILL in the middle of deliveries loses nothing that was accepted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import make_inbox, need_redis
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.jobs.queue import JobQueue
from ventanilla.services import inbound, outbound
from ventanilla.storage.models import Message, OutboxJob

REPLIES = 200
KILL_AFTER = 40  # requests the first worker gets to make before it is killed
WORKER = str(Path(sys.executable).parent / "ventanilla")


class Company:
    """The company's callback on loopback: slow to answer, remembers every request."""

    def __init__(self, delay_s: float = 0.05) -> None:
        self.delay_s = delay_s
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()
        self.reached = threading.Event()
        self.released = threading.Event()
        company = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                company.record(self.headers["idempotency-key"], body)
                if company.reached.is_set():  # hold the answers until the worker is dead
                    company.released.wait(timeout=10)
                time.sleep(company.delay_s)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return None  # a killed worker leaves broken connections behind

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"

    def record(self, key: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append((key, body))
            if len(self.calls) >= KILL_AFTER:
                self.reached.set()

    def snapshot(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return list(self.calls)


@pytest.fixture
def company() -> Iterator[Company]:
    company = Company()
    thread = threading.Thread(target=company.server.serve_forever, daemon=True)
    thread.start()
    yield company
    company.released.set()
    company.server.shutdown()
    company.server.server_close()
    thread.join(timeout=5)


class Workers:
    """`ventanilla worker` processes; every one is ended when the test ends."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
        self.env.update(
            VENTANILLA_ENVIRONMENT="test",
            VENTANILLA_DATABASE_URL=settings.database_url,
            VENTANILLA_SECRET_KEY=settings.secret_key,
            VENTANILLA_OUTBOX_LEASE_SECONDS="1",
            VENTANILLA_WORKER_CONCURRENCY="8",
            VENTANILLA_JOB_QUEUE_NAME=settings.job_queue_name,
            VENTANILLA_REDIS_URL=settings.redis_url or "",
        )

    def start(self, sweep_s: float = 0.2) -> subprocess.Popen[bytes]:
        log = (self.logs / f"worker{len(self.procs)}.log").open("wb")
        env = {**self.env, "VENTANILLA_OUTBOX_SWEEP_SECONDS": str(sweep_s)}
        proc = subprocess.Popen([WORKER, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.procs.append(proc)
        return proc

    def stop_all(self) -> list[int | None]:
        """SIGTERM every live worker; returns the exit codes."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        return [proc.returncode for proc in self.procs]


def sent_count(container: Container) -> int:
    with container.uow() as uow:
        stmt = select(func.count()).select_from(Message).where(Message.delivery_status == "sent")
        return int(uow.session.scalar(stmt) or 0)


def accept_replies(container: Container, callback_url: str) -> dict[str, int]:
    """The agent's replies, committed (accepted); returns message id by text."""
    inbox_id = make_inbox(container, "api", {"callback_url": callback_url})
    customer = InboundMessage(
        channel=ChannelKind.API,
        external_id="m-1",
        sender=SenderIdentity(IdentityKind.EXTERNAL, "cust-1"),
        text="¿Y mi pedido?",
    )
    conversation_id = inbound.receive(container.uow, inbox_id, customer).conversation_id
    accepted: dict[str, int] = {}
    with container.uow() as uow:
        for n in range(REPLIES):
            text = f"reply {n}"
            accepted[text] = outbound.post(uow, conversation_id, outbound.Reply(text=text)).id
        uow.commit()
    return accepted


async def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_killed_worker_loses_nothing_and_retries_with_the_same_key(
    settings: Settings, company: Company, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={"redis_url": need_redis(), "job_queue_name": f"vt-test:{uuid.uuid4().hex}"}
    )
    container = Container(settings)
    workers = Workers(settings, tmp_path)
    web = JobQueue(container, execute=False)  # commits hand the job ids to Redis
    await web.start()
    try:
        first = workers.start(sweep_s=3600)  # it can only learn of jobs through the queue
        await asyncio.sleep(0.5)
        accepted = accept_replies(container, company.url)
        reached = await asyncio.to_thread(company.reached.wait, 30)
        assert reached, "the first worker never delivered"
        first.send_signal(signal.SIGKILL)  # with deliveries in flight
        first.wait(timeout=5)
        company.released.set()
        assert sent_count(container) < REPLIES

        workers.start()  # these also sweep for what the dead one held or had taken
        workers.start()
        await wait_for(lambda: sent_count(container) == REPLIES, 60, "every reply to be sent")
    finally:
        codes = workers.stop_all()
        await web.stop()
    assert codes == [-signal.SIGKILL, 0, 0]  # the others stop cleanly on SIGTERM

    keys_by_text: dict[str, set[str]] = defaultdict(set)
    for key, body in company.snapshot():
        keys_by_text[body["text"]].add(key)
    assert set(keys_by_text) == set(accepted)  # every accepted reply reached the company
    for text, message_id in accepted.items():
        assert keys_by_text[text] == {f"deliver:{message_id}"}  # retries carry the same key
    assert len(company.snapshot()) > REPLIES  # the kill did interrupt deliveries in flight
    with container.uow() as uow:
        statuses = set(uow.session.scalars(select(OutboxJob.status)))
    assert statuses == {"done"}
    container.engine.dispose()
