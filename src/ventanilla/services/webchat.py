"""Web chat visitors: signed sessions, identity verification, history and resume."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ventanilla.channels.base import InboundAttachment, InboundMessage, SenderIdentity
from ventanilla.domain.enums import ChannelKind, ConversationStatus, IdentityKind
from ventanilla.domain.errors import InvalidInput, NotFound, Unauthorized
from ventanilla.services import contacts, inbound, tokens
from ventanilla.services.inbound import Received
from ventanilla.services.uow import UowFactory
from ventanilla.services.views import message_view
from ventanilla.storage.models import Contact, Conversation, Inbox, Message

SESSION_TTL_S = 30 * 24 * 3600
HISTORY_PAGE = 500
# The message meta key that carries the language of the page the visitor writes from.
PAGE_LANGUAGE = "page_language"
PageLanguage = Literal["es", "en"]


@dataclass(frozen=True)
class Visitor:
    inbox_id: int
    visitor_id: str
    contact_id: int
    user_id: str | None
    # The language of the page the chat is embedded in ("es" or "en"), when it said.
    language: PageLanguage | None = None


def page_language(value: object) -> PageLanguage | None:
    """The supported language a tag such as "en-US", "es_MX" or "EN" names, else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    if code == "es":
        return "es"
    if code == "en":
        return "en"
    return None


def start_session(
    uow_factory: UowFactory,
    secret_key: str,
    inbox_id: int,
    previous: str | None = None,
    user: dict[str, Any] | None = None,
    language: str | None = None,
) -> tuple[str, Visitor]:
    """Open (or renew) a visitor session.

    `language` is the language of the page the chat is on (a tag such as "en-US"); the
    assistant falls back to it when a message is too short to tell its language.

    `user` = {id, hash, email?, email_hash?, name?} when the visitor is signed in to the
    company's site: hash = HMAC-SHA256(inbox secret, id). The email is taken as proof of
    identity (and merges with the contact who owns it) only when it is signed as well
    (email_hash = HMAC-SHA256(inbox secret, email)) or is the signed id itself; otherwise it
    is only remembered as an unverified attribute, so nobody can claim someone else's mail.
    """
    with uow_factory() as uow:
        s = uow.session
        inbox = s.get(Inbox, inbox_id)
        if inbox is None or inbox.channel != ChannelKind.WEBCHAT.value:
            raise NotFound(f"web chat inbox {inbox_id} not found")
        user_id = _verified_user(inbox.secret, user) if user is not None else None
        vid = _previous_visitor(secret_key, previous, inbox_id, user_id)
        vid = vid or secrets.token_urlsafe(16)
        name = _text(user, "name", 200) if user_id else None
        contact = contacts.resolve(s, IdentityKind.VISITOR, vid, name)
        if user is not None and user_id is not None:
            contact = contacts.add_identity(
                s, contact, IdentityKind.EXTERNAL, user_id, verified=True
            )
            contact = _add_email(s, contact, inbox.secret or "", user, user_id)
        uow.commit()
        visitor = Visitor(inbox_id, vid, contact.id, user_id, page_language(language))
    claims: dict[str, Any] = {"i": inbox_id, "v": vid, "c": contact.id, "u": user_id}
    if visitor.language is not None:
        claims["l"] = visitor.language
    return tokens.sign(secret_key, claims, SESSION_TTL_S), visitor


def _add_email(
    s: Session, contact: Contact, secret: str, user: dict[str, Any], user_id: str
) -> Contact:
    email = _text(user, "email", 320)
    if not email:
        return contact
    signed = user.get("email_hash")
    proven = email == user_id or (
        isinstance(signed, str) and hmac.compare_digest(tokens.user_hash(secret, email), signed)
    )
    if proven:
        return contacts.add_identity(s, contact, IdentityKind.EMAIL, email, verified=True)
    contact.attributes = {**(contact.attributes or {}), "unverified_email": email}
    return contact


def _text(data: dict[str, Any] | None, key: str, limit: int) -> str | None:
    value = data.get(key) if data else None
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _previous_visitor(
    secret_key: str, previous: str | None, inbox_id: int, user_id: str | None
) -> str | None:
    """The visitor id to keep. A session signed in as one user is never carried over to
    someone else (or to nobody, after signing out) on the same browser."""
    if not previous:
        return None
    try:
        claims = tokens.verify(secret_key, previous)
    except Unauthorized:
        return None
    if claims.get("i") != inbox_id:
        return None
    if claims.get("u") is not None and claims.get("u") != user_id:
        return None
    return str(claims["v"])


def _verified_user(inbox_secret: str | None, user: dict[str, Any]) -> str:
    user_id, given = user.get("id"), user.get("hash")
    if not isinstance(user_id, str) or not user_id or len(user_id) > 200:
        raise InvalidInput("user.id is required (a string of at most 200 characters)")
    if not isinstance(given, str):
        raise InvalidInput("user.hash is required (a string)")
    if not inbox_secret:
        raise Unauthorized("this inbox has no identity verification secret")
    if not hmac.compare_digest(tokens.user_hash(inbox_secret, user_id), given):
        raise Unauthorized("user.hash does not match user.id")
    return user_id


def visitor_from_token(uow_factory: UowFactory, secret_key: str, token: str) -> Visitor:
    claims = tokens.verify(secret_key, token)
    with uow_factory() as uow:
        contact = contacts.canonical(uow.session, int(claims["c"]))
        return Visitor(
            int(claims["i"]),
            str(claims["v"]),
            contact.id,
            claims.get("u"),
            page_language(claims.get("l")),
        )


def history(
    uow_factory: UowFactory, visitor: Visitor, after_id: int, limit: int = HISTORY_PAGE
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
        "quick_replies",
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
        meta={PAGE_LANGUAGE: visitor.language} if visitor.language else {},
    )
    return inbound.receive(uow_factory, visitor.inbox_id, msg)


def current_conversation_id(uow_factory: UowFactory, visitor: Visitor) -> int | None:
    """The visitor's latest conversation that is still open, if any."""
    with uow_factory() as uow:
        return uow.session.scalars(
            select(Conversation.id)
            .where(
                Conversation.contact_id == visitor.contact_id,
                Conversation.status != ConversationStatus.RESOLVED.value,
            )
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        ).first()


# What the first bytes of a file of each type look like; a type not listed is not sniffed.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}


def check_attachment(content_type: str, data: bytes) -> None:
    """Refuse a file whose content does not match the type it claims."""
    magic = _MAGIC.get(content_type)
    if magic is not None and not data.startswith(magic):
        raise InvalidInput(f"the file is not a valid {content_type}")
    if content_type == "image/webp" and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise InvalidInput("the file is not a valid image/webp")
    if content_type == "text/plain":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("text/plain attachments must be UTF-8 text") from exc
        if "\x00" in text:
            raise InvalidInput("text/plain attachments must be UTF-8 text")
