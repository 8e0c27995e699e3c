"""/api/v1 inboxes, users, teams, webhooks and message search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from ventanilla.domain.enums import Role
from ventanilla.domain.errors import NotFound
from ventanilla.services import auth, directory, search, webhooks
from ventanilla.storage.models import Inbox, Team, User, WebhookSubscription
from ventanilla.web.api.schemas import InboxIn, TeamIn, UserIn, WebhookIn
from ventanilla.web.deps import PrincipalDep, UowDep

router = APIRouter(tags=["directory"])


@router.get("/inboxes")
def list_inboxes(uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    rows = uow.session.scalars(select(Inbox).order_by(Inbox.id)).all()
    return {"items": [directory.inbox_view(i) for i in rows]}


@router.post("/inboxes", status_code=201)
def create_inbox(body: InboxIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    inbox = directory.create_inbox(uow, who, body.name, body.channel, body.settings, body.secret)
    uow.commit()
    view = directory.inbox_view(inbox)
    view["secret"] = inbox.secret  # shown once, at creation
    return view


@router.get("/users")
def list_users(uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN, Role.AGENT)
    rows = uow.session.scalars(select(User).order_by(User.id)).all()
    return {"items": [directory.user_view(u) for u in rows]}


@router.post("/users", status_code=201)
def create_user(body: UserIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN)
    user = auth.create_user(
        uow.session, body.email, body.name, body.role, actor_id=who.user_id, language=body.language
    )
    token = auth.issue_token(uow.session, user)
    uow.commit()
    return {**directory.user_view(user), "token": token}


@router.get("/users/me")
def me(uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    user = uow.session.get(User, who.user_id)
    if user is None:
        raise NotFound("user not found")
    return directory.user_view(user)


@router.get("/teams")
def list_teams(uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    rows = uow.session.scalars(select(Team).order_by(Team.id)).all()
    return {"items": [directory.team_view(uow, t) for t in rows]}


@router.post("/teams", status_code=201)
def create_team(body: TeamIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    team = directory.create_team(uow, who, body.name, body.member_ids)
    uow.commit()
    return directory.team_view(uow, team)


@router.get("/webhooks")
def list_webhooks(uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN)
    rows = uow.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
    return {"items": [webhooks.subscription_view(w) for w in rows]}


@router.post("/webhooks", status_code=201)
def create_webhook(body: WebhookIn, uow: UowDep, who: PrincipalDep) -> dict[str, Any]:
    who.require(Role.ADMIN)
    sub = webhooks.create_subscription(uow.session, body.url, body.events)
    uow.commit()
    return webhooks.subscription_view(sub, with_secret=True)


@router.delete("/webhooks/{webhook_id}", status_code=204, response_model=None)
def delete_webhook(webhook_id: int, uow: UowDep, who: PrincipalDep) -> Response:
    who.require(Role.ADMIN)
    webhooks.delete_subscription(uow.session, webhook_id)
    uow.commit()
    return Response(status_code=204)


@router.get("/search/messages")
def search_messages(
    uow: UowDep,
    who: PrincipalDep,
    q: str = Query(..., min_length=1, max_length=200),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    return search.search_messages(uow, who, q, limit)
