"""Full-text search of message text: FTS5 on SQLite, tsvector on PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, text

from ventanilla.domain.errors import InvalidInput
from ventanilla.services import access
from ventanilla.services.auth import Principal
from ventanilla.services.paging import check_limit
from ventanilla.services.uow import UnitOfWork
from ventanilla.services.views import message_view
from ventanilla.storage.models import Conversation, Message

_WORD = re.compile(r"\w+", re.UNICODE)


def search_messages(uow: UnitOfWork, who: Principal, query: str, limit: int) -> dict[str, Any]:
    words = _WORD.findall(query)[:12]
    if not words:
        raise InvalidInput("q must contain at least one word")
    limit = check_limit(limit)
    s = uow.session
    visible_convs = access.visible(select(Conversation.id), who)
    stmt = select(Message).where(
        Message.conversation_id.in_(visible_convs.scalar_subquery()),
    )
    if s.bind is not None and s.bind.dialect.name == "sqlite":
        match = " ".join(f'"{w}"' for w in words)
        ids = (
            select(text("rowid"))
            .select_from(text("messages_fts"))
            .where(text("messages_fts MATCH :m"))
        )
        stmt = stmt.where(Message.id.in_(ids)).params(m=match)
    else:
        tsq = func.plainto_tsquery("simple", " ".join(words))
        stmt = stmt.where(func.to_tsvector("simple", Message.text).op("@@")(tsq))
    rows = s.scalars(stmt.order_by(Message.id.desc()).limit(limit)).all()
    return {"items": [message_view(m) for m in rows]}
