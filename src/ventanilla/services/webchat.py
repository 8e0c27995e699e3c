"""Web chat visitors: signed sessions, identity verification, history and resume."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ventanilla.channels.base import InboundAttachment, InboundMessage, SenderIdentity
from ventanilla.domain.enums import ChannelKind, IdentityKind
from ventanilla.domain.errors import InvalidInput, NotFound, Unauthorized
from ventanilla.services import contacts, inbound, tokens
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UowFactory
from ventanilla.services.views import message_view
from ventanilla.storage.models import Conversation, Inbox, Message

SESSION_TTL_S = 30 * 24 * 3600


@dataclass(frozen=True)
class Visitor:
    inbox_id: int
    visitor_id: str
    contact_id: int
    user_id: str | None


def start_session(
    uow_factory: UowFactory,
    secret_key: str,
    inbox_id: int,
    previous: str | None = None,
    user: dict[str, Any] | None = None,
) -> tuple[str, Visitor]:
    """Open (or renew) a visitor session; `user` = {id, hash, email?, name?} when signed in."""
    with uow_factory() as uow:
        inbox = uow.session.get(Inbox, inbox_id)
        if inbox is None or inbox.channel != ChannelKind.WEBCHAT.value:
            raise NotFound(f"web chat inbox {inbox_id} not found")
        vid = _previous_visitor(secret_key, previous, inbox_id) or secrets.token_urlsafe(16)
        name = user.get("name") if user else None
        contact = contacts.resolve(uow.session, IdentityKind.VISITOR, vid, name)
        user_id = None
        if user is not None:
            user_id = _verified_user(inbox.secret, user)
            contact = contacts.add_identity(
                uow.session, contact, IdentityKind.EXTERNAL, user_id, verified=True
            )
            email = user.get("email")
            if isinstance(email, str) and email:
                contact = contacts.add_identity(
                    uow.session, contact, IdentityKind.EMAIL, email, verified=True
                )
        uow.commit()
        visitor = Visitor(inbox_id, vid, contact.id, user_id)
    claims = {"i": inbox_id, "v": vid, "c": contact.id, "u": user_id}
    return tokens.sign(secret_key, claims, SESSION_TTL_S), visitor


def _previous_visitor(secret_key: str, previous: str | None, inbox_id: int) -> str | None:
    if not previous:
        return None
    try:
        claims = tokens.verify(secret_key, previous)
    except Unauthorized:
        return None
    return str(claims["v"]) if claims.get("i") == inbox_id else None


def _verified_user(inbox_secret: str | None, user: dict[str, Any]) -> str:
    user_id, given = user.get("id"), user.get("hash")
    if not isinstance(user_id, str) or not user_id or not isinstance(given, str):
        raise InvalidInput("user.id and user.hash are required strings")
    if not inbox_secret:
        raise Unauthorized("this inbox has no identity verification secret")
    if not hmac.compare_digest(tokens.user_hash(inbox_secret, user_id), given):
        raise Unauthorized("user.hash does not match user.id")
    return user_id


def visitor_from_token(uow_factory: UowFactory, secret_key: str, token: str) -> Visitor:
    claims = tokens.verify(secret_key, token)
    with uow_factory() as uow:
        contact = contacts.canonical(uow.session, int(claims["c"]))
        return Visitor(int(claims["i"]), str(claims["v"]), contact.id, claims.get("u"))


def history(
    uow_factory: UowFactory, visitor: Visitor, after_id: int, limit: int = 500
) -> list[dict[str, Any]]:
    """Public messages of the visitor's conversations after `after_id`, oldest first."""
    with uow_factory() as uow:
        convs = select(Conversation.id).where(Conversation.contact_id == visitor.contact_id)
        rows = uow.session.scalars(
            select(Message)
            .where(
                Message.conversation_id.in_(convs.scalar_subquery()),
                Message.private.is_(False),
                Message.id > after_id,
            )
            .order_by(Message.id)
            .limit(limit)
        ).all()
        return [public_view(message_view(m)) for m in rows]


def public_view(view: dict[str, Any]) -> dict[str, Any]:
    """What a customer may see of a message."""
    keep = (
        "id",
        "conversation_id",
        "direction",
        "author_type",
        "text",
        "created_at",
        "attachments",
        "delivery_status",
    )
    return {k: view[k] for k in keep if k in view}


def post(
    uow_factory: UowFactory,
    visitor: Visitor,
    text: str,
    client_id: str,
    attachments: tuple[InboundAttachment, ...] = (),
) -> Received:
    if not client_id or len(client_id) > 100:
        raise InvalidInput("client_id is required (at most 100 characters)")
    msg = InboundMessage(
        channel=ChannelKind.WEBCHAT,
        external_id=f"{visitor.visitor_id}:{client_id}",
        sender=SenderIdentity(IdentityKind.VISITOR, visitor.visitor_id),
        text=text,
        attachments=attachments,
    )
    return inbound.receive(uow_factory, visitor.inbox_id, msg)
