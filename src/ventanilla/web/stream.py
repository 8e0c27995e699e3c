"""Realtime stream for agents: the events on the conversations they may see."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import AGENTS_TOPIC, Container
from ventanilla.domain.enums import Role
from ventanilla.domain.errors import DomainError
from ventanilla.realtime.bus import RESYNC, Subscription
from ventanilla.services import access, auth
from ventanilla.services.auth import Principal

router = APIRouter(tags=["realtime"])
UNAUTHORIZED_CLOSE = 4401


def _authenticate(container: Container, token: str) -> Principal:
    with container.uow() as uow:
        return auth.authenticate(uow.session, token)


def _may_see(container: Container, who: Principal, conversation_id: int) -> bool:
    with container.uow() as uow:
        return access.can_see(uow.session, who, conversation_id)


@router.websocket("/api/v1/stream")
async def agent_stream(ws: WebSocket, token: str) -> None:
    """Events as JSON frames: {"event": "message.created", "conversation_id": ..., ...}.

    The first frame is {"event": "ready"}. {"event": "resync"} means some events may have
    been missed (a slow reader, or the broker reconnected): refetch what is on screen.
    """
    container: Container = ws.app.state.container
    await ws.accept()  # accept first: a close code only reaches a browser after the handshake
    try:
        who = await run_in_threadpool(_authenticate, container, token)
    except DomainError as exc:
        await ws.close(code=UNAUTHORIZED_CLOSE, reason=exc.message[:120])
        return
    async with container.bus.subscribe([AGENTS_TOPIC]) as sub:
        await ws.send_json({"event": "ready", "user_id": who.user_id})
        reader = asyncio.create_task(_until_disconnect(ws))
        sender = asyncio.create_task(_forward(ws, sub, container, who))
        _, pending = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _until_disconnect(ws: WebSocket) -> None:
    """Frames from agents are ignored; this notices when they leave."""
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass


async def _forward(ws: WebSocket, sub: Subscription, container: Container, who: Principal) -> None:
    while True:
        event: dict[str, Any] = await sub.get()
        if sub.take_resync(event):
            await ws.send_json(RESYNC)
            continue
        if who.role is Role.EXPERT and not await run_in_threadpool(
            _may_see, container, who, int(event.get("conversation_id") or 0)
        ):
            continue
        await ws.send_json(event)
