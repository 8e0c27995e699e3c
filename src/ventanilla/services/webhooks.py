"""Outbound webhooks: queued in the same transaction as the event, signed when sent."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
import weakref
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Mapper, Session, SessionTransaction, object_session

from ventanilla.domain.errors import InvalidInput, NotFound
from ventanilla.domain.events import WEBHOOK_EVENTS, Event, MessageCreated
from ventanilla.services import outbox
from ventanilla.storage.models import WebhookSubscription

# Active subscriptions are read once per SUBSCRIPTIONS_TTL_S per database, not once per event.
# A change committed in this process is seen at once (a version counter bumped after the
# commit); a change made by another process is seen within SUBSCRIPTIONS_TTL_S.
SUBSCRIPTIONS_TTL_S = 1.0
_CHANGED_KEY = "ventanilla.webhooks.changed"
Subscriptions = tuple[tuple[int, frozenset[str]], ...]


class _SubscriptionCache:
    def __init__(self) -> None:
        self.version = 0
        self._lock = threading.Lock()
        self._items: weakref.WeakKeyDictionary[Engine, tuple[int, float, Subscriptions]] = (
            weakref.WeakKeyDictionary()
        )

    def bump(self) -> None:
        with self._lock:
            self.version += 1

    def active(self, session: Session) -> Subscriptions:
        engine = session.bind
        item = self._items.get(engine) if isinstance(engine, Engine) else None
        now = time.monotonic()
        if item is not None and item[0] == self.version and item[1] > now:
            return item[2]
        version = self.version  # read before the query: a commit meanwhile invalidates it
        rows = session.execute(
            select(WebhookSubscription.id, WebhookSubscription.events).where(
                WebhookSubscription.active
            )
        ).all()
        subs = tuple((int(r.id), frozenset(r.events or ())) for r in rows)
        if isinstance(engine, Engine):
            self._items[engine] = (version, now + SUBSCRIPTIONS_TTL_S, subs)
        return subs


_cache = _SubscriptionCache()


def _mark_changed(_mapper: Mapper[Any], _conn: Any, target: WebhookSubscription) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED_KEY] = True


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and session.info.pop(_CHANGED_KEY, False):
        _cache.bump()


for _name in ("after_insert", "after_update", "after_delete"):
    event.listen(WebhookSubscription, _name, _mark_changed)
event.listen(Session, "after_transaction_end", _transaction_ended)


def enqueue_for_events(session: Session, events: list[Event]) -> None:
    """Before-commit hook: one outbox row per (subscription, event)."""
    wanted = [e for e in events if e.name in WEBHOOK_EVENTS]
    if not wanted:
        return
    for sub_id, sub_events in _cache.active(session):
        for ev in wanted:
            if ev.name not in sub_events:
                continue
            if isinstance(ev, MessageCreated) and ev.private:
                continue
            # One delivery id per (subscription, occurrence); retries reuse it. Two identical
            # occurrences (resolved, reopened, resolved again) are two deliveries.
            key = f"webhook:{sub_id}:{ev.name}:{uuid.uuid4().hex}"
            outbox.enqueue(
                session, "webhook", {"subscription_id": sub_id, "body": ev.payload()}, key
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
