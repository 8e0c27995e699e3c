"""Agent replies on an API-channel inbox reach the company's callback through the outbox."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.helpers import make_inbox, need_redis
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.jobs.queue import JobQueue
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import inbound, outbound, outbox
from ventanilla.services.outbox import Outcome
from ventanilla.storage.models import Message, OutboxJob

CALLBACK = "https://shop.example/ventanilla/messages"


class Clock:
    """Real time plus however far a test has moved it forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Callback:
    """The company's endpoint: answers from a script (then 200) and remembers every call."""

    script: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    requests: list[httpx.Request] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("idempotency-key", "")
        if key in self.in_flight:
            self.overlaps.append(key)
        self.in_flight.add(key)
        try:
            self.requests.append(request)
            await asyncio.sleep(self.delay_s)
            status = self.script.pop(0) if self.script else 200
            return httpx.Response(status, text="recipient unknown" if status == 422 else "")
        finally:
            self.in_flight.discard(key)

    def keys(self) -> list[str]:
        return [r.headers["idempotency-key"] for r in self.requests]


@dataclass
class Shop:
    container: Container
    callback: Callback
    clock: Clock
    runner: OutboxRunner
    conversation_id: int

    def reply(self, text: str = "Your order ships today") -> int:
        with self.container.uow() as uow:
            msg = outbound.post(uow, self.conversation_id, outbound.Reply(text=text))
            uow.commit()
            return msg.id

    def message(self, message_id: int) -> Message:
        with self.container.uow() as uow:
            msg = uow.session.get(Message, message_id)
            assert msg is not None
            return msg

    def job(self, message_id: int) -> OutboxJob:
        with self.container.uow() as uow:
            job = uow.session.scalars(
                select(OutboxJob).where(OutboxJob.idempotency_key == f"deliver:{message_id}")
            ).one()
            return job


def customer_writes(container: Container, inbox_id: int, sender: str = "cust-7") -> int:
    msg = InboundMessage(
        channel=ChannelKind.API,
        external_id=uuid.uuid4().hex,
        sender=SenderIdentity(IdentityKind.EXTERNAL, sender, "Lucía"),
        text="¿Dónde está mi pedido?",
    )
    return inbound.receive(container.uow, inbox_id, msg).conversation_id


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    callback = Callback()
    http = httpx.AsyncClient(transport=httpx.MockTransport(callback))
    container = Container(settings, http=http)
    inbox_id = make_inbox(container, "api", {"callback_url": CALLBACK})
    conversation_id = customer_writes(container, inbox_id)
    clock = Clock()
    yield Shop(container, callback, clock, OutboxRunner(container, clock=clock), conversation_id)
    await container.aclose()


async def test_an_agent_reply_reaches_the_callback_with_an_idempotency_key(shop: Shop) -> None:
    message_id = shop.reply("Your order ships today")
    assert shop.message(message_id).delivery_status == "queued"

    assert await shop.runner.run_once() == 1

    [request] = shop.callback.requests
    assert str(request.url) == CALLBACK
    assert request.headers["idempotency-key"] == f"deliver:{message_id}"
    body = json.loads(request.content)
    assert body == {"recipient": "cust-7", "text": "Your order ships today", "id": body["id"]}
    assert shop.message(message_id).delivery_status == "sent"
    assert shop.job(message_id).status == "done"
    assert await shop.runner.run_once() == 0  # nothing is sent twice


async def test_a_503_is_retried_with_backoff_and_the_same_key(shop: Shop) -> None:
    shop.callback.script = [503, 503]
    message_id = shop.reply()

    await shop.runner.run_once()
    first_wait = shop.job(message_id).next_attempt_at - shop.clock()
    assert timedelta(seconds=1) < first_wait <= timedelta(seconds=2.4)  # 2 s ± 20 %
    assert shop.message(message_id).delivery_status == "queued"
    assert await shop.runner.run_once() == 0  # not before its time

    shop.clock.advance(2.5)
    await shop.runner.run_once()
    second_wait = shop.job(message_id).next_attempt_at - shop.clock()
    assert timedelta(seconds=2.5) < second_wait <= timedelta(seconds=4.8)  # then 4 s

    shop.clock.advance(5)
    await shop.runner.run_once()
    assert shop.callback.keys() == [f"deliver:{message_id}"] * 3
    assert shop.message(message_id).delivery_status == "sent"


async def test_a_4xx_marks_the_message_failed_with_the_reason(shop: Shop) -> None:
    shop.callback.script = [422]
    message_id = shop.reply()

    await shop.runner.run_once()
    shop.clock.advance(3600)
    await shop.runner.run_once()

    msg = shop.message(message_id)
    assert msg.delivery_status == "failed"
    assert msg.delivery_error == "callback refused the message: 422 (recipient unknown)"
    assert len(shop.callback.requests) == 1  # a refusal is not retried
    assert shop.job(message_id).status == "dead"


async def test_after_max_attempts_the_job_is_dead_and_the_message_failed(shop: Shop) -> None:
    shop.callback.script = [503] * 20
    message_id = shop.reply()

    for _ in range(12):
        await shop.runner.run_once()
        shop.clock.advance(3601)

    job = shop.job(message_id)
    assert (job.status, job.attempts) == ("dead", job.max_attempts)
    assert len(shop.callback.requests) == job.max_attempts
    msg = shop.message(message_id)
    assert (msg.delivery_status, msg.delivery_error) == ("failed", "callback answered 503")


async def test_an_inbox_without_callback_fails_the_reply_at_once(settings: Settings) -> None:
    container = Container(settings)
    inbox_id = make_inbox(container, "api", {})
    conversation_id = customer_writes(container, inbox_id)
    with container.uow() as uow:
        message_id = outbound.post(uow, conversation_id, outbound.Reply(text="hola")).id
        uow.commit()
    await OutboxRunner(container).run_once()
    with container.uow() as uow:
        msg = uow.session.get(Message, message_id)
        assert msg is not None
        assert (msg.delivery_status, msg.delivery_error) == (
            "failed",
            "this API inbox has no callback_url",
        )
    await container.aclose()


async def test_a_job_left_by_a_dead_worker_runs_again_after_its_lease(shop: Shop) -> None:
    message_id = shop.reply()
    with shop.container.uow() as uow:  # a worker leases the job, then dies
        [lost] = outbox.claim(uow.session, 10, shop.clock(), shop.runner.lease)
        uow.commit()

    assert await shop.runner.run_once() == 0  # the lease still holds
    shop.clock.advance(shop.runner.lease.total_seconds() + 1)
    assert await shop.runner.run_once() == 1

    assert shop.callback.keys() == [f"deliver:{message_id}"]
    assert shop.message(message_id).delivery_status == "sent"
    with shop.container.uow() as uow:  # the dead worker's late verdict changes nothing
        assert outbox.mark_failed(uow.session, lost, "timeout", False) is Outcome.STALE
        uow.commit()
    assert shop.job(message_id).status == "done"


async def test_two_runners_never_deliver_the_same_job_at_the_same_time(shop: Shop) -> None:
    shop.callback.delay_s = 0.01
    ids = [shop.reply(f"reply {n}") for n in range(30)]
    other = OutboxRunner(Container(shop.container.settings, http=shop.container.http), batch=7)
    shop.runner.batch = 5

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = await asyncio.gather(
            shop.runner.run_once(),
            other.run_once(),
            *(r.execute(i) for i in ids[::3] for r in (shop.runner, other)),
        )
        if not any(done):
            break

    assert shop.callback.overlaps == []
    assert sorted(shop.callback.keys()) == sorted(f"deliver:{i}" for i in ids)
    assert {shop.message(i).delivery_status for i in ids} == {"sent"}
    other.container.engine.dispose()


async def test_a_private_note_is_never_delivered(shop: Shop) -> None:
    with shop.container.uow() as uow:
        outbound.post(uow, shop.conversation_id, outbound.Reply(text="VIP", private=True))
        uow.commit()
    assert await shop.runner.run_once() == 0
    assert shop.callback.requests == []


async def test_a_reply_is_delivered_right_after_commit_in_one_process(shop: Shop) -> None:
    runner = OutboxRunner(shop.container, idle_s=3600)  # only the queue can be that quick
    async with JobQueue(shop.container, runner=runner):
        await asyncio.sleep(0.05)  # the first sweep has found nothing
        message_id = await asyncio.to_thread(shop.reply)  # as a web request thread would
        await wait_until(lambda: shop.message(message_id).delivery_status == "sent")
    assert shop.callback.keys() == [f"deliver:{message_id}"]


async def test_through_redis_a_worker_picks_up_a_web_process_reply(
    shop: Shop, settings: Settings
) -> None:
    scaled = settings.model_copy(
        update={"redis_url": need_redis(), "job_queue_name": f"vt-test:{uuid.uuid4().hex}"}
    )
    web = Container(scaled, http=shop.container.http)
    worker = Container(scaled, http=shop.container.http)
    quiet = OutboxRunner(worker, idle_s=3600)
    async with JobQueue(worker, runner=quiet), JobQueue(web, execute=False):
        await asyncio.sleep(0.05)
        with web.uow() as uow:
            message_id = outbound.post(uow, shop.conversation_id, outbound.Reply(text="hi")).id
            uow.commit()
        await wait_until(lambda: shop.message(message_id).delivery_status == "sent")
    assert shop.callback.keys() == [f"deliver:{message_id}"]
    web.engine.dispose()
    worker.engine.dispose()


async def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_with_redis_down_replies_are_still_accepted_and_delivered(
    shop: Shop, settings: Settings
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    scaled = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{closed}/0", "outbox_sweep_seconds": 0.05}
    )
    process = Container(scaled, http=shop.container.http)
    async with JobQueue(process):
        with process.uow() as uow:
            message_id = outbound.post(uow, shop.conversation_id, outbound.Reply(text="hi")).id
            uow.commit()
        await wait_until(lambda: shop.message(message_id).delivery_status == "sent")
    assert shop.callback.keys() == [f"deliver:{message_id}"]
    process.engine.dispose()
