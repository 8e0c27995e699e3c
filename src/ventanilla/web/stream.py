"""Realtime stream for agents: the events on the conversations they may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import AGENTS_TOPIC, Container
from ventanilla.domain.enums import Role
from ventanilla.domain.errors import DomainError
from ventanilla.services import access, auth
from ventanilla.services.auth import Principal

router = APIRouter(tags=["realtime"])


def _authenticate(container: Container, token: str) -> Principal:
    with container.uow() as uow:
        return auth.authenticate(uow.session, token)


def _may_see(container: Container, who: Principal, conversation_id: int) -> bool:
    with container.uow() as uow:
        return access.can_see(uow.session, who, conversation_id)


@router.websocket("/api/v1/stream")
async def agent_stream(ws: WebSocket, token: str) -> None:
    """Events as JSON frames: {"event": "message.created", "conversation_id": ..., ...}."""
    container: Container = ws.app.state.container
    try:
        who = await run_in_threadpool(_authenticate, container, token)
    except DomainError as exc:
        await ws.close(code=4401, reason=exc.message[:120])
        return
    await ws.accept()
    async with container.bus.subscribe([AGENTS_TOPIC]) as sub:
        await ws.send_json({"event": "ready", "user_id": who.user_id})
        try:
            while True:
                event: dict[str, Any] = await sub.get()
                if who.role is Role.EXPERT and not await run_in_threadpool(
                    _may_see, container, who, int(event.get("conversation_id") or 0)
                ):
                    continue
                await ws.send_json(event)
        except WebSocketDisconnect:
            return
