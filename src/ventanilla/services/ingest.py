"""Raw provider events: store before acknowledging, then parse and run the inbound pipeline."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ventanilla.channels.base import ChannelAdapter, DeliveryReport, InboundMessage
from ventanilla.domain.clock import utcnow
from ventanilla.domain.errors import DomainError, NotFound
from ventanilla.services import delivery, inbound
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UowFactory
from ventanilla.storage.models import Inbox, RawEvent


@dataclass(frozen=True)
class Accepted:
    raw_id: int
    duplicate: bool


def event_key_for(body: bytes, provider_id: str | None = None) -> str:
    return provider_id[:300] if provider_id else "sha256:" + hashlib.sha256(body).hexdigest()


def accept(
    uow_factory: UowFactory, inbox_id: int, body: bytes, content_type: str, event_key: str
) -> Accepted:
    """Durably store a provider event. The same event twice is stored once."""
    with uow_factory() as uow:
        if uow.session.get(Inbox, inbox_id) is None:
            raise NotFound(f"inbox {inbox_id} not found")
        found = uow.session.scalars(
            select(RawEvent.id).where(
                RawEvent.inbox_id == inbox_id, RawEvent.event_key == event_key
            )
        ).first()
        if found is not None:
            return Accepted(found, duplicate=True)
        raw = RawEvent(
            inbox_id=inbox_id, event_key=event_key, content_type=content_type[:100], body=body
        )
        uow.session.add(raw)
        try:
            uow.commit()
        except IntegrityError:
            uow.session.rollback()
            again = uow.session.scalars(
                select(RawEvent.id).where(
                    RawEvent.inbox_id == inbox_id, RawEvent.event_key == event_key
                )
            ).one()
            return Accepted(again, duplicate=True)
        return Accepted(raw.id, duplicate=False)


def process(
    uow_factory: UowFactory,
    adapter: ChannelAdapter,
    raw_id: int,
    headers: Mapping[str, str] | None = None,
) -> list[Received]:
    """Parse a stored event and run it through the pipeline; record the outcome on the row."""
    with uow_factory() as uow:
        raw = uow.session.get(RawEvent, raw_id)
        if raw is None:
            raise NotFound(f"raw event {raw_id} not found")
        inbox_id, body, ctype = raw.inbox_id, raw.body, raw.content_type
    hdrs = dict(headers or {})
    hdrs.setdefault("content-type", ctype)
    results: list[Received] = []
    error: str | None = None
    try:
        for ev in adapter.parse(hdrs, body):
            if isinstance(ev, InboundMessage):
                results.append(inbound.receive(uow_factory, inbox_id, ev))
            elif isinstance(ev, DeliveryReport):
                delivery.apply_report(uow_factory, inbox_id, ev)
    except DomainError as exc:
        error = f"{exc.code}: {exc.message}"
        _finish(uow_factory, raw_id, error)
        raise
    _finish(uow_factory, raw_id, None)
    return results


def _finish(uow_factory: UowFactory, raw_id: int, error: str | None) -> None:
    with uow_factory() as uow:
        raw = uow.session.get(RawEvent, raw_id)
        if raw is not None:
            raw.processed_at = utcnow()
            raw.error = error
            uow.commit()
