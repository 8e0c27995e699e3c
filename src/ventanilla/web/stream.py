"""Realtime stream for agents: the events on the conversations they may see."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import AGENTS_TOPIC, Container, contact_topic, conversation_topic
from ventanilla.domain.enums import Role
from ventanilla.domain.errors import DomainError, InvalidInput
from ventanilla.domain.events import Typing
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
    Agents may send typing frames (see _read_frames).
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
        reader = asyncio.create_task(_read_frames(ws, container, who))
        sender = asyncio.create_task(_forward(ws, sub, container, who))
        _, pending = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _read_frames(ws: WebSocket, container: Container, who: Principal) -> None:
    """Agents may send {"type": "typing", "conversation_id": n, "on": bool}; returns when
    they leave. A bad frame gets {"event": "error", "message": ...}."""
    while True:
        frame = await ws.receive()
        if frame["type"] == "websocket.disconnect":
            return
        try:
            data = json.loads(frame.get("text") or "null")
            if not isinstance(data, dict) or data.get("type") != "typing":
                raise InvalidInput('frames must be {"type": "typing", "conversation_id": n}')
            conv_id = data.get("conversation_id")
            if not isinstance(conv_id, int) or isinstance(conv_id, bool):
                raise InvalidInput("conversation_id must be an integer")
            on = bool(data.get("on", True))
            await run_in_threadpool(_publish_typing, container, who, conv_id, on)
        except (ValueError, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else "frames must be JSON"
            await ws.send_json({"event": "error", "message": message})


def _publish_typing(container: Container, who: Principal, conversation_id: int, on: bool) -> None:
    with container.uow() as uow:
        contact_id = access.get_visible(uow.session, who, conversation_id).contact_id
    payload = Typing(conversation_id, contact_id, "agent", on).payload()
    payload["user_id"] = who.user_id
    for topic in (contact_topic(contact_id), conversation_topic(conversation_id), AGENTS_TOPIC):
        container.bus.publish(topic, payload)


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
