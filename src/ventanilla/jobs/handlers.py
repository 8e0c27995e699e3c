"""What each outbox job kind does."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select

from ventanilla.channels.base import OutboundMessage, PermanentSendError, TransientSendError
from ventanilla.channels.registry import build_adapter
from ventanilla.domain.enums import CHANNEL_IDENTITY, ChannelKind, DeliveryStatus
from ventanilla.domain.errors import InvalidInput
from ventanilla.services import outbound, webhooks
from ventanilla.services.delivery import updated_event
from ventanilla.services.outbox import ClaimedJob
from ventanilla.storage.models import (
    ContactIdentity,
    Conversation,
    EmailThreadRef,
    Inbox,
    Message,
    WebhookSubscription,
)

if TYPE_CHECKING:
    from ventanilla.bootstrap import Container


@dataclass(frozen=True)
class Delivery:
    channel: str
    settings: dict[str, object]
    secret: str | None
    message: OutboundMessage


async def run_job(container: Container, job: ClaimedJob) -> None:
    """Raise TransientSendError to retry, PermanentSendError to give up."""
    if job.kind == "deliver":
        await deliver(container, job)
    elif job.kind == "webhook":
        await call_webhook(container, job)
    elif job.kind == "assistant_turn":
        from ventanilla.services.assistant_turns import run_turn

        await run_turn(container, int(job.payload["message_id"]))
    else:
        raise PermanentSendError(f"unknown job kind {job.kind}")


async def deliver(container: Container, job: ClaimedJob) -> None:
    message_id = int(job.payload["message_id"])
    plan = _plan_delivery(container, message_id, job.idempotency_key)
    if plan is None:
        return
    try:
        adapter = build_adapter(plan.channel, plan.settings, plan.secret, container.http)
    except InvalidInput as exc:
        raise PermanentSendError(str(exc)) from exc
    result = await adapter.send(plan.message)
    with container.uow() as uow:
        msg = uow.session.get(Message, message_id)
        if msg is None:
            return
        msg.external_id = result.external_id
        if msg.delivery_status == DeliveryStatus.QUEUED.value:
            msg.delivery_status = DeliveryStatus.SENT.value
        if (
            plan.channel == ChannelKind.EMAIL.value
            and uow.session.get(EmailThreadRef, result.external_id) is None
        ):
            uow.session.add(
                EmailThreadRef(
                    message_id_header=result.external_id,
                    conversation_id=msg.conversation_id,
                    message_id=msg.id,
                )
            )
        uow.session.flush()
        uow.emit(updated_event(uow.session, msg))
        uow.commit()


def _plan_delivery(container: Container, message_id: int, key: str) -> Delivery | None:
    with container.uow() as uow:
        s = uow.session
        msg = s.get(Message, message_id)
        if msg is None or msg.inbox_id is None or msg.delivery_status != "queued":
            return None
        inbox = s.get(Inbox, msg.inbox_id)
        conv = s.get(Conversation, msg.conversation_id)
        assert inbox is not None and conv is not None
        kind = CHANNEL_IDENTITY[ChannelKind(inbox.channel)]
        ident = s.scalars(
            select(ContactIdentity)
            .where(
                ContactIdentity.contact_id == conv.contact_id, ContactIdentity.kind == kind.value
            )
            .order_by(ContactIdentity.verified.desc(), ContactIdentity.id.desc())
        ).first()
        if ident is None:
            raise PermanentSendError(f"the contact has no {kind.value} address")
        refs = tuple(
            s.scalars(
                select(EmailThreadRef.message_id_header)
                .where(EmailThreadRef.conversation_id == conv.id)
                .order_by(EmailThreadRef.message_id)
            ).all()
        )
        # Read away from our site: links to our own pages carry the public address.
        base = container.settings.public_url
        return Delivery(
            channel=inbox.channel,
            settings=dict(inbox.settings or {}),
            secret=inbox.secret,
            message=OutboundMessage(
                recipient=ident.address,
                text=outbound.absolute_links(msg.text, base),
                html=outbound.absolute_html_links(msg.html, base) if msg.html else None,
                subject=conv.subject,
                idempotency_key=key,
                thread_refs=refs[-20:],
                automatic=msg.meta.get("automatic") == "1",
                settings=dict(inbox.settings or {}),
            ),
        )


async def call_webhook(container: Container, job: ClaimedJob) -> None:
    with container.uow() as uow:
        sub = uow.session.get(WebhookSubscription, int(job.payload["subscription_id"]))
        if sub is None or not sub.active:
            return
        url, secret = sub.url, sub.secret
    body = json.dumps(job.payload["body"], separators=(",", ":"), default=str).encode()
    ts = int(time.time())
    headers = {
        "content-type": "application/json",
        "x-ventanilla-event": str(job.payload["body"].get("event", "")),
        "x-ventanilla-delivery": job.idempotency_key,
        "x-ventanilla-timestamp": str(ts),
        "x-ventanilla-signature": "v1=" + webhooks.sign(secret, ts, body),
    }
    try:
        resp = await container.http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise TransientSendError(f"webhook unreachable: {exc.__class__.__name__}") from exc
    if not 200 <= resp.status_code < 300:
        # Receivers fail in many ways (deploys, 404 while a route moves): retry until given up.
        raise TransientSendError(f"webhook answered {resp.status_code}")
