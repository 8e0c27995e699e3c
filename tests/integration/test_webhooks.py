"""Signed outbound webhooks, verified the way a company's receiver would verify them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.clock import utcnow
from ventanilla.domain.enums import ChannelKind, ConversationStatus, IdentityKind, Role
from ventanilla.jobs.runner import OutboxRunner
from ventanilla.services import conversations, inbound, outbound, webhooks
from ventanilla.services.auth import Principal
from ventanilla.storage.models import OutboxJob

HOOK = "https://crm.example/hooks/ventanilla"
ALL = ["conversation.assigned", "conversation.status_changed", "message.created"]


@dataclass
class Receiver:
    """The company's webhook endpoint: checks signatures with nothing but the shared secret."""

    secret: str = ""
    script: list[int] = field(default_factory=list)
    calls: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        return httpx.Response(self.script.pop(0) if self.script else 204)

    def verified(self, request: httpx.Request, tolerance_s: int = 300) -> dict[str, Any]:
        ts = request.headers["x-ventanilla-timestamp"]
        assert abs(time.time() - int(ts)) <= tolerance_s
        signed = ts.encode() + b"." + request.content
        expected = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        given = request.headers["x-ventanilla-signature"]
        assert hmac.compare_digest(given, f"v1={expected}"), "signature does not verify"
        body = json.loads(request.content)
        assert isinstance(body, dict)
        assert body["event"] == request.headers["x-ventanilla-event"]
        return body

    def events(self) -> list[str]:
        return [self.verified(r)["event"] for r in self.calls]


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Crm:
    container: Container
    receiver: Receiver
    runner: OutboxRunner
    clock: Clock
    inbox_id: int
    admin: Principal

    def customer_writes(self, text: str = "Hola") -> int:
        msg = InboundMessage(
            channel=ChannelKind.API,
            external_id=uuid.uuid4().hex,
            sender=SenderIdentity(IdentityKind.EXTERNAL, "cust-1"),
            text=text,
        )
        return inbound.receive(self.container.uow, self.inbox_id, msg).conversation_id

    def subscribe(self, events: list[str]) -> int:
        with self.container.uow() as uow:
            sub = webhooks.create_subscription(uow.session, HOOK, events)
            uow.commit()
            self.receiver.secret = sub.secret
            return sub.id

    def set_status(self, conversation_id: int, status: ConversationStatus) -> None:
        with self.container.uow() as uow:
            conversations.change_status(uow, self.admin, conversation_id, status)
            uow.commit()

    async def deliver_all(self) -> None:
        for _ in range(20):
            if not await self.runner.run_once():
                self.clock.offset += timedelta(hours=2)  # past any backoff
                if not await self.runner.run_once():
                    return

    def webhook_rows(self) -> int:
        with self.container.uow() as uow:
            stmt = select(func.count()).select_from(OutboxJob).where(OutboxJob.kind == "webhook")
            return int(uow.session.scalar(stmt) or 0)


@pytest.fixture
async def crm(settings: Settings) -> AsyncIterator[Crm]:
    receiver = Receiver()
    container = Container(settings, http=httpx.AsyncClient(transport=httpx.MockTransport(receiver)))
    inbox_id = make_inbox(container, "api", {})
    uid, _ = make_user(container, Role.ADMIN)
    clock = Clock()
    runner = OutboxRunner(container, clock=clock)
    yield Crm(container, receiver, runner, clock, inbox_id, Principal(uid, Role.ADMIN, "admin"))
    await container.aclose()


async def test_message_created_is_signed_and_verifiable(crm: Crm) -> None:
    crm.subscribe(["message.created"])
    conversation_id = crm.customer_writes("¿Dónde está mi pedido?")
    await crm.deliver_all()

    [call] = crm.receiver.calls
    assert str(call.url) == HOOK
    body = crm.receiver.verified(call)
    assert body["event"] == "message.created"
    assert body["conversation_id"] == conversation_id
    assert body["data"]["text"] == "¿Dónde está mi pedido?"
    assert call.headers["x-ventanilla-delivery"].startswith("webhook:")


async def test_a_tampered_body_does_not_verify(crm: Crm) -> None:
    crm.subscribe(["message.created"])
    crm.customer_writes()
    await crm.deliver_all()
    [call] = crm.receiver.calls
    forged = httpx.Request("POST", HOOK, headers=call.headers, content=call.content + b" ")
    with pytest.raises(AssertionError, match="signature does not verify"):
        crm.receiver.verified(forged)


async def test_status_changes_and_assignments_are_sent(crm: Crm) -> None:
    conversation_id = crm.customer_writes()
    crm.subscribe(["conversation.status_changed", "conversation.assigned"])
    crm.set_status(conversation_id, ConversationStatus.RESOLVED)
    with crm.container.uow() as uow:
        conversations.assign(uow, crm.admin, conversation_id, crm.admin.user_id, None)
        uow.commit()
    await crm.deliver_all()

    bodies = [crm.receiver.verified(c) for c in crm.receiver.calls]
    assert [b["event"] for b in bodies] == ["conversation.status_changed", "conversation.assigned"]
    assert (bodies[0]["old_status"], bodies[0]["new_status"]) == ("open", "resolved")
    assert bodies[1]["assignee_id"] == crm.admin.user_id


async def test_the_same_change_twice_is_two_deliveries(crm: Crm) -> None:
    conversation_id = crm.customer_writes()
    crm.subscribe(["conversation.status_changed"])
    for status in ("resolved", "open", "resolved"):
        crm.set_status(conversation_id, ConversationStatus(status))
    await crm.deliver_all()

    bodies = [crm.receiver.verified(c) for c in crm.receiver.calls]
    assert [b["new_status"] for b in bodies] == ["resolved", "open", "resolved"]
    assert len({c.headers["x-ventanilla-delivery"] for c in crm.receiver.calls}) == 3


async def test_a_5xx_is_retried_with_the_same_delivery_id_and_a_fresh_signature(
    crm: Crm,
) -> None:
    crm.receiver.script = [500, 502]
    crm.subscribe(["message.created"])
    crm.customer_writes()

    await crm.runner.run_once()
    assert len(crm.receiver.calls) == 1
    assert await crm.runner.run_once() == 0  # waits its backoff
    await crm.deliver_all()

    assert len(crm.receiver.calls) == 3
    assert len({c.headers["x-ventanilla-delivery"] for c in crm.receiver.calls}) == 1
    assert crm.receiver.events() == ["message.created"] * 3


async def test_private_notes_are_never_sent(crm: Crm) -> None:
    conversation_id = crm.customer_writes()
    crm.subscribe(ALL)
    with crm.container.uow() as uow:
        outbound.post(uow, conversation_id, outbound.Reply(text="VIP, be kind", private=True))
        uow.commit()
    await crm.deliver_all()
    assert crm.receiver.calls == []
    assert crm.webhook_rows() == 0


async def test_nothing_is_sent_when_the_transaction_rolls_back(crm: Crm) -> None:
    conversation_id = crm.customer_writes()
    crm.subscribe(ALL)

    with pytest.raises(RuntimeError), crm.container.uow() as uow:
        conversations.change_status(uow, crm.admin, conversation_id, ConversationStatus.RESOLVED)
        outbound.post(uow, conversation_id, outbound.Reply(text="Solved!"))
        raise RuntimeError("the request failed half way")
    await crm.deliver_all()

    assert crm.receiver.calls == []
    assert crm.webhook_rows() == 0


async def test_only_subscribed_events_are_sent_and_a_removed_hook_gets_nothing(
    crm: Crm,
) -> None:
    sub_id = crm.subscribe(["conversation.assigned"])
    conversation_id = crm.customer_writes()
    crm.set_status(conversation_id, ConversationStatus.RESOLVED)
    await crm.deliver_all()
    assert crm.receiver.calls == []

    with crm.container.uow() as uow:
        conversations.assign(uow, crm.admin, conversation_id, crm.admin.user_id, None)
        uow.commit()
    with crm.container.uow() as uow:
        webhooks.delete_subscription(uow.session, sub_id)
        uow.commit()
    await crm.deliver_all()
    assert crm.receiver.calls == []
