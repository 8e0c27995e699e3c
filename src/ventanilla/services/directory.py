"""Inboxes, teams and users."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from ventanilla.domain.enums import ChannelKind, Role
from ventanilla.domain.errors import Conflict, InvalidInput, NotFound
from ventanilla.services import audit
from ventanilla.services.auth import Principal
from ventanilla.services.uow import UnitOfWork
from ventanilla.storage.models import Inbox, Team, TeamMember, User

# Inbox settings that are secrets; they are accepted on create and never echoed back.
SECRET_KEYS = {"secret", "password", "smtp_password", "imap_password", "token"}


def inbox_view(i: Inbox) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "channel": i.channel,
        "settings": {k: v for k, v in (i.settings or {}).items() if k not in SECRET_KEYS},
        "team_id": i.team_id,
        "has_secret": bool(i.secret),
    }


def create_inbox(
    uow: UnitOfWork,
    who: Principal,
    name: str,
    channel: str,
    settings: dict[str, Any],
    secret: str | None = None,
) -> Inbox:
    who.require(Role.ADMIN)
    try:
        ChannelKind(channel)
    except ValueError as exc:
        raise InvalidInput(f"unknown channel {channel!r}") from exc
    leaked = SECRET_KEYS & settings.keys()
    if leaked:
        raise InvalidInput(f"put secrets in 'secret', not in settings: {sorted(leaked)}")
    inbox = Inbox(
        name=name.strip()[:100] or channel,
        channel=channel,
        settings=settings,
        secret=secret or (secrets.token_urlsafe(24) if channel == "api" else None),
    )
    uow.session.add(inbox)
    uow.session.flush()
    audit.record(uow.session, who.user_id, "inbox.created", "inbox", inbox.id, {"channel": channel})
    return inbox


def user_view(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "language": u.language,
        "timezone": u.timezone,
        "active": u.active,
    }


def team_view(uow: UnitOfWork, t: Team) -> dict[str, Any]:
    members = uow.session.scalars(
        select(TeamMember.user_id).where(TeamMember.team_id == t.id).order_by(TeamMember.user_id)
    ).all()
    return {"id": t.id, "name": t.name, "member_ids": list(members)}


def create_team(uow: UnitOfWork, who: Principal, name: str, member_ids: list[int]) -> Team:
    who.require(Role.ADMIN)
    s = uow.session
    clean = name.strip()
    if not clean:
        raise InvalidInput("name must not be empty")
    if s.scalars(select(Team).where(Team.name == clean)).first() is not None:
        raise Conflict(f"team {clean!r} exists")
    team = Team(name=clean[:100])
    s.add(team)
    s.flush()
    for uid in dict.fromkeys(member_ids):
        if s.get(User, uid) is None:
            raise NotFound(f"user {uid} not found")
        s.add(TeamMember(team_id=team.id, user_id=uid))
    audit.record(s, who.user_id, "team.created", "team", team.id, {"members": member_ids})
    return team


def first_inbox_id(uow: UnitOfWork, channel: ChannelKind) -> int | None:
    return uow.session.scalars(
        select(Inbox.id).where(Inbox.channel == channel.value).order_by(Inbox.id)
    ).first()
