"""Delivery status of messages we sent, as providers report it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ventanilla.channels.base import DeliveryReport
from ventanilla.domain.enums import DeliveryStatus, Direction
from ventanilla.domain.events import MessageUpdated
from ventanilla.services.uow import UowFactory
from ventanilla.services.views import message_view
from ventanilla.storage.models import Conversation, Message


def updated_event(session: Session, msg: Message) -> MessageUpdated:
    conv = session.get(Conversation, msg.conversation_id)
    contact_id = conv.contact_id if conv is not None else 0
    return MessageUpdated(msg.conversation_id, contact_id, msg.id, message_view(msg))


# A report never moves a message backwards (a late "sent" after "read" is ignored).
_RANK = {
    DeliveryStatus.QUEUED.value: 0,
    DeliveryStatus.SENT.value: 1,
    DeliveryStatus.DELIVERED.value: 2,
    DeliveryStatus.READ.value: 3,
    DeliveryStatus.FAILED.value: 4,
}


def apply_report(uow_factory: UowFactory, inbox_id: int, report: DeliveryReport) -> bool:
    """Apply a provider's report; False when the message is unknown or the report is stale."""
    with uow_factory() as uow:
        msg = uow.session.scalars(
            select(Message).where(
                Message.inbox_id == inbox_id,
                Message.external_id == report.external_id,
                Message.direction == Direction.OUTBOUND.value,
            )
        ).first()
        if msg is None:
            return False
        if _RANK.get(report.status, 0) <= _RANK.get(msg.delivery_status, 0):
            return False
        msg.delivery_status = report.status
        if report.status == DeliveryStatus.FAILED.value:
            msg.delivery_error = (report.reason or "delivery failed")[:2000]
        uow.session.flush()
        uow.emit(updated_event(uow.session, msg))
        uow.commit()
        return True
