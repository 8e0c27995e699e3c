"""Customer side of web chat: session, WebSocket with resume, attachments."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundAttachment
from ventanilla.domain.errors import DomainError, InvalidInput, TooLarge
from ventanilla.domain.events import Typing
from ventanilla.services import webchat
from ventanilla.services.webchat import Visitor
from ventanilla.web.deps import ContainerDep

router = APIRouter(prefix="/widget/v1", tags=["widget"])
CONTACT_TOPIC = "contact:{}"


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inbox_id: int
    token: str | None = Field(default=None, max_length=2000)
    user: dict[str, Any] | None = None


@router.post("/session")
def open_session(body: SessionIn, container: ContainerDep) -> dict[str, Any]:
    token, visitor = webchat.start_session(
        container.uow, container.settings.secret_key, body.inbox_id, body.token, body.user
    )
    return {"token": token, "visitor_id": visitor.visitor_id, "verified": bool(visitor.user_id)}


@router.post("/attachments", status_code=201)
async def upload(
    container: ContainerDep,
    token: str = Form(...),
    client_id: str = Form(...),
    text: str = Form(""),
    file: UploadFile = File(...),  # noqa: B008 - FastAPI declares parameters this way
) -> dict[str, Any]:
    s = container.settings
    visitor = await run_in_threadpool(
        webchat.visitor_from_token, container.uow, s.secret_key, token
    )
    ctype = (file.content_type or "").split(";")[0].strip()
    if ctype not in s.allowed_attachment_types:
        raise InvalidInput(f"attachments of type {ctype or 'unknown'} are not accepted")
    data = await file.read(s.max_attachment_bytes + 1)
    if len(data) > s.max_attachment_bytes:
        raise TooLarge(f"attachment larger than {s.max_attachment_bytes} bytes")
    att = InboundAttachment(file.filename or "attachment", ctype, data)
    got = await run_in_threadpool(
        webchat.post, container.uow, visitor, text or att.filename, client_id, (att,)
    )
    return {"id": got.message_id, "duplicate": got.duplicate}


@router.websocket("/ws")
async def widget_socket(ws: WebSocket, token: str) -> None:
    container: Container = ws.app.state.container
    try:
        visitor = await run_in_threadpool(
            webchat.visitor_from_token, container.uow, container.settings.secret_key, token
        )
    except DomainError as exc:
        await ws.close(code=4401, reason=exc.message[:120])
        return
    await ws.accept()
    async with container.bus.subscribe([CONTACT_TOPIC.format(visitor.contact_id)]) as sub:
        session = _Session(ws, container, visitor)
        pump = asyncio.create_task(session.pump(sub))
        try:
            await session.read_loop()
        except WebSocketDisconnect:
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump


class _Session:
    """One connected widget: sends every public message once, in order."""

    def __init__(self, ws: WebSocket, container: Container, visitor: Visitor) -> None:
        self.ws = ws
        self.container = container
        self.visitor = visitor
        self.last_sent = 0
        self.resumed = asyncio.Event()
        self.lock = asyncio.Lock()

    async def read_loop(self) -> None:
        while True:
            raw = await self.ws.receive_text()
            try:
                data = json.loads(raw)
                if not isinstance(data, dict):
                    raise InvalidInput("frames must be JSON objects")
                await self.handle(data)
            except (json.JSONDecodeError, DomainError) as exc:
                message = exc.message if isinstance(exc, DomainError) else "invalid JSON"
                await self.ws.send_json({"type": "error", "message": message})

    async def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "hello":
            after = data.get("after", 0)
            if not isinstance(after, int) or after < 0:
                raise InvalidInput("after must be a non-negative integer")
            await self.resume(after)
        elif kind == "message":
            text, client_id = data.get("text"), data.get("client_id") or uuid.uuid4().hex
            if not isinstance(text, str) or not text.strip():
                raise InvalidInput("text must be a non-empty string")
            got = await run_in_threadpool(
                webchat.post, self.container.uow, self.visitor, text, str(client_id)
            )
            await self.ws.send_json({"type": "ack", "client_id": client_id, "id": got.message_id})
        elif kind == "typing":
            ev = Typing(0, self.visitor.contact_id, "customer", bool(data.get("on", True)))
            self.container.bus.publish("agents", ev.payload())
        else:
            raise InvalidInput(f"unknown frame type {kind!r}")

    async def resume(self, after: int) -> None:
        async with self.lock:
            self.last_sent = max(self.last_sent, after)
            missed = await run_in_threadpool(
                webchat.history, self.container.uow, self.visitor, self.last_sent
            )
            for item in missed:
                await self._send_message(item)
            self.resumed.set()

    async def pump(self, sub: Any) -> None:
        await self.resumed.wait()
        while True:
            event = await sub.get()
            if sub.overflowed:
                sub.overflowed = False
                await self.resume(self.last_sent)
                continue
            if event.get("event") == "conversation.typing":
                if event.get("author") != "customer":
                    await self.ws.send_json({"type": "typing", "on": event.get("on", True)})
                continue
            if event.get("event") not in ("message.created", "message.updated"):
                continue
            data = event.get("data") or {}
            if data.get("private"):
                continue
            async with self.lock:
                if event["event"] == "message.created":
                    await self._send_message(webchat.public_view(data))
                else:
                    await self.ws.send_json(
                        {"type": "update", "message": webchat.public_view(data)}
                    )

    async def _send_message(self, item: dict[str, Any]) -> None:
        if item["id"] <= self.last_sent:
            return
        await self.ws.send_json({"type": "message", "message": item})
        self.last_sent = item["id"]
