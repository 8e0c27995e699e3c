"""Outbound webhooks: queued in the same transaction as the event, signed when sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import WEBHOOK_EVENTS, Event, MessageCreated
from ventanilla.services import outbox
from ventanilla.storage.models import WebhookSubscription


def enqueue_for_events(session: Session, events: list[Event]) -> None:
    """Before-commit hook: one outbox row per (subscription, event)."""
    wanted = [e for e in events if e.name in WEBHOOK_EVENTS]
    if not wanted:
        return
    subs = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active)).all()
    for sub in subs:
        for ev in wanted:
            if ev.name not in sub.events:
                continue
            if isinstance(ev, MessageCreated) and ev.private:
                continue
            # One delivery id per (subscription, occurrence); retries reuse it. Two identical
            # occurrences (resolved, reopened, resolved again) are two deliveries.
            key = f"webhook:{sub.id}:{ev.name}:{uuid.uuid4().hex}"
            outbox.enqueue(
                session, "webhook", {"subscription_id": sub.id, "body": ev.payload()}, key
            )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex encoded."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def create_subscription(session: Session, url: str, events: list[str]) -> WebhookSubscription:
    if not url.startswith(("https://", "http://")):
        raise InvalidInput("url must be http or https")
    unknown = set(events) - WEBHOOK_EVENTS
    if unknown or not events:
        raise InvalidInput(f"events must be among {sorted(WEBHOOK_EVENTS)}")
    sub = WebhookSubscription(url=url, secret=secrets.token_urlsafe(32), events=sorted(set(events)))
    session.add(sub)
    session.flush()
    return sub


def delete_subscription(session: Session, sub_id: int) -> None:
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None:
        raise NotFound(f"webhook {sub_id} not found")
    session.delete(sub)


def subscription_view(sub: WebhookSubscription, with_secret: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": sub.id,
        "url": sub.url,
        "events": sub.events,
        "active": sub.active,
    }
    if with_secret:
        view["secret"] = sub.secret
    return view
