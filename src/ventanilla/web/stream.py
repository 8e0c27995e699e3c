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
BATCH_LIMIT = 500  # events in one frame of a batched stream


def _authenticate(container: Container, token: str) -> Principal:
    with container.uow() as uow:
        return auth.authenticate(uow.session, token)


def _visible(container: Container, who: Principal, conversation_ids: set[int]) -> set[int]:
    with container.uow() as uow:
        return access.visible_ids(uow.session, who, conversation_ids)


class _Frames:
    """Writes events to the socket: one JSON object per frame, or, on a batched stream, a
    JSON array of the events that were waiting, so that a busy stream costs one frame per
    burst instead of one per event."""

    def __init__(self, ws: WebSocket, batch: bool) -> None:
        self.ws = ws
        self.batch = batch

    async def send(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        if self.batch:
            await self.ws.send_json(events)
            return
        for event in events:
            await self.ws.send_json(event)


@router.websocket("/api/v1/stream")
async def agent_stream(ws: WebSocket, token: str, batch: bool = False) -> None:
    """Events as JSON frames: {"event": "message.created", "conversation_id": ..., ...}.

    The first frame is {"event": "ready"}. {"event": "resync"} means some events may have
    been missed (a slow reader, or the broker reconnected): refetch what is on screen.
    Agents may send typing frames (see _read_frames).

    With ?batch=true every frame is a JSON array of such events, in order: all the events
    that were waiting when the frame was written (at most BATCH_LIMIT). A screen that
    follows every conversation should ask for it.
    """
    container: Container = ws.app.state.container
    await ws.accept()  # accept first: a close code only reaches a browser after the handshake
    try:
        who = await run_in_threadpool(_authenticate, container, token)
    except DomainError as exc:
        await ws.close(code=UNAUTHORIZED_CLOSE, reason=exc.message[:120])
        return
    frames = _Frames(ws, batch)
    async with container.bus.subscribe([AGENTS_TOPIC]) as sub:
        await frames.send([{"event": "ready", "user_id": who.user_id}])
        reader = asyncio.create_task(_read_frames(frames, container, who))
        sender = asyncio.create_task(_forward(frames, sub, container, who))
        _, pending = await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _read_frames(frames: _Frames, container: Container, who: Principal) -> None:
    """Agents may send {"type": "typing", "conversation_id": n, "on": bool}; returns when
    they leave. A bad frame gets {"event": "error", "message": ...}."""
    while True:
        frame = await frames.ws.receive()
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
            await frames.send([{"event": "error", "message": message}])


def _publish_typing(container: Container, who: Principal, conversation_id: int, on: bool) -> None:
    with container.uow() as uow:
        contact_id = access.get_visible(uow.session, who, conversation_id).contact_id
    payload = Typing(conversation_id, contact_id, "agent", on).payload()
    payload["user_id"] = who.user_id
    for topic in (contact_topic(contact_id), conversation_topic(conversation_id), AGENTS_TOPIC):
        container.bus.publish(topic, payload)


async def _forward(
    frames: _Frames, sub: Subscription, container: Container, who: Principal
) -> None:
    while True:
        waiting = [await sub.get()]
        if frames.batch:
            waiting += sub.get_waiting(BATCH_LIMIT - 1)
        events: list[dict[str, Any]] = []
        for event in waiting:
            if sub.take_resync(event):
                if not events or events[-1] is not RESYNC:
                    events.append(RESYNC)
            else:
                events.append(event)
        if who.role is Role.EXPERT:
            events = await _only_visible(events, container, who)
        await frames.send(events)


async def _only_visible(
    events: list[dict[str, Any]], container: Container, who: Principal
) -> list[dict[str, Any]]:
    """The events an expert may see: RESYNC and those of conversations offered or assigned
    to them, checked with one query per frame."""
    ids = {int(e.get("conversation_id") or 0) for e in events if e is not RESYNC}
    shown = await run_in_threadpool(_visible, container, who, ids) if ids else set()
    return [e for e in events if e is RESYNC or int(e.get("conversation_id") or 0) in shown]
