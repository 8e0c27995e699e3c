"""Attachments: size and type limits, storage."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from ventanilla.channels.base import InboundAttachment
from ventanilla.storage.models import Attachment, Message

SAFE_NAME_MAX = 255


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:SAFE_NAME_MAX] or "attachment"


def store_inbound_attachments(
    session: Session, message: Message, attachments: Iterable[InboundAttachment]
) -> None:
    for att in attachments:
        session.add(
            Attachment(
                message_id=message.id,
                filename=safe_filename(att.filename),
                content_type=att.content_type[:100] or "application/octet-stream",
                size=len(att.data),
                data=att.data,
            )
        )
    session.flush()
