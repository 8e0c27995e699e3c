"""Customer side of web chat: session, WebSocket with resume, attachments.

`POST /widget/v1/session {inbox_id, token?, user?, language?}` opens or renews a session;
`language` is the page's language, which the conversation keeps as its default.
Socket protocol (JSON text frames). The widget sends `hello{after}` first (the highest
message id it already shows, 0 for none), then `message{text, client_id}` and `typing{on}`.
The server answers `message{message}` (each public message once, oldest first), `ack{client_id,
id}`, `update{message}` (delivery status changes), `typing{on}` and `error{message}`; a bad or
expired session token closes the socket with code 4401. A message may carry `quick_replies`
(texts the customer can tap; the widget sends the tapped one as a `message`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ventanilla.bootstrap import AGENTS_TOPIC, Container, contact_topic, conversation_topic
from ventanilla.channels.base import InboundAttachment
from ventanilla.domain.errors import DomainError, InvalidInput, TooLarge
from ventanilla.domain.events import Typing
from ventanilla.realtime.bus import Subscription
from ventanilla.services import webchat
from ventanilla.services.webchat import Visitor
from ventanilla.web.deps import ContainerDep

log = logging.getLogger(__name__)
router = APIRouter(prefix="/widget/v1", tags=["widget"])
UNAUTHORIZED_CLOSE = 4401
TYPING_REPEAT_S = 2.0
MAX_FRAME_CHARS = 120_000  # a message's text is at most 100,000 characters


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inbox_id: int
    token: str | None = Field(default=None, max_length=2000)
    user: dict[str, Any] | None = None
    # The language of the page the chat is on ("en", "es-MX"…): the assistant's fallback for
    # messages too short to tell. Languages other than Spanish and English are ignored.
    language: str | None = Field(default=None, max_length=35)


@router.post("/session")
def open_session(body: SessionIn, container: ContainerDep) -> dict[str, Any]:
    token, visitor = webchat.start_session(
        container.uow,
        container.settings.secret_key,
        body.inbox_id,
        body.token,
        body.user,
        body.language,
    )
    return {
        "token": token,
        "visitor_id": visitor.visitor_id,
        "verified": bool(visitor.user_id),
        "language": visitor.language,
    }


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
    ctype = (file.content_type or "").split(";")[0].strip().lower()
    if ctype not in s.allowed_attachment_types:
        raise InvalidInput(f"attachments of type {ctype or 'unknown'} are not accepted")
    data = await file.read(s.max_attachment_bytes + 1)
    if len(data) > s.max_attachment_bytes:
        raise TooLarge(f"attachment larger than {s.max_attachment_bytes} bytes")
    webchat.check_attachment(ctype, data)
    att = InboundAttachment(file.filename or "attachment", ctype, data)
    got = await run_in_threadpool(
        webchat.post, container.uow, visitor, text or att.filename, client_id, (att,)
    )
    return {"id": got.message_id, "duplicate": got.duplicate}


@router.websocket("/ws")
async def widget_socket(ws: WebSocket, token: str) -> None:
    container: Container = ws.app.state.container
    await ws.accept()  # accept first: a close code only reaches a browser after the handshake
    try:
        visitor = await run_in_threadpool(
            webchat.visitor_from_token, container.uow, container.settings.secret_key, token
        )
    except DomainError as exc:
        await ws.close(code=UNAUTHORIZED_CLOSE, reason=exc.message[:120])
        return
    async with container.bus.subscribe([contact_topic(visitor.contact_id)]) as sub:
        await _Session(ws, container, visitor).run(sub)


class _Session:
    """One connected widget: sends every public message at most once, oldest first.

    Live events may arrive out of id order (two transactions commit in the other order on
    PostgreSQL), so what was sent is remembered by id, not as a high-water mark.
    """

    def __init__(self, ws: WebSocket, container: Container, visitor: Visitor) -> None:
        self.ws = ws
        self.container = container
        self.visitor = visitor
        self.floor = 0  # the widget already shows every message up to here
        self.sent: set[int] = set()
        self.resumed = asyncio.Event()
        self.lock = asyncio.Lock()
        self.conversation_id: int | None = None
        self.typing_sent: tuple[bool, float] | None = None

    async def run(self, sub: Subscription) -> None:
        reader = asyncio.create_task(self.read_loop())
        pump = asyncio.create_task(self.pump(sub))
        done, pending = await asyncio.wait({reader, pump}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, WebSocketDisconnect):
                log.error("widget socket failed", exc_info=exc)
                with contextlib.suppress(Exception):
                    await self.ws.close(code=1011)

    async def read_loop(self) -> None:
        while True:
            frame = await self.ws.receive()
            if frame["type"] == "websocket.disconnect":
                return
            await self.handle_raw(frame.get("text"))

    async def handle_raw(self, raw: str | None) -> None:
        data: Any = None
        try:
            if raw is None:
                raise InvalidInput("frames must be JSON text")
            if len(raw) > MAX_FRAME_CHARS:
                raise InvalidInput(f"frames are limited to {MAX_FRAME_CHARS} characters")
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise InvalidInput("frames must be JSON objects")
            await self.handle(data)
        except (ValueError, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else "frames must be JSON"
            await self._error(message, data)
        except Exception:
            log.exception("widget frame failed")
            await self._error("the server could not handle this frame, try again", data)

    async def _error(self, message: str, data: Any) -> None:
        frame: dict[str, Any] = {"type": "error", "message": message}
        if isinstance(data, dict) and isinstance(data.get("client_id"), str):
            frame["client_id"] = data["client_id"]
        await self.ws.send_json(frame)

    async def handle(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "hello":
            after = data.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise InvalidInput("after must be a non-negative integer")
            await self.resume(after)
        elif kind == "message":
            await self.post(data)
        elif kind == "typing":
            await self.typing(bool(data.get("on", True)))
        else:
            raise InvalidInput(f"unknown frame type {kind!r}")

    async def post(self, data: dict[str, Any]) -> None:
        text, client_id = data.get("text"), data.get("client_id", uuid.uuid4().hex)
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("text must be a non-empty string")
        if not isinstance(client_id, str):
            raise InvalidInput("client_id must be a string")
        got = await run_in_threadpool(
            webchat.post, self.container.uow, self.visitor, text, client_id
        )
        self.conversation_id = got.conversation_id
        await self.ws.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "id": got.message_id,
                "conversation_id": got.conversation_id,
            }
        )

    async def typing(self, on: bool) -> None:
        now = time.monotonic()
        last = self.typing_sent
        if last is not None and last[0] == on and now - last[1] < TYPING_REPEAT_S:
            return
        self.typing_sent = (on, now)
        await run_in_threadpool(self._publish_typing, on)

    def _publish_typing(self, on: bool) -> None:
        if self.conversation_id is None:
            self.conversation_id = webchat.current_conversation_id(self.container.uow, self.visitor)
        if self.conversation_id is None:
            return  # nothing to type into yet
        payload = Typing(self.conversation_id, self.visitor.contact_id, "customer", on).payload()
        self.container.bus.publish(conversation_topic(self.conversation_id), payload)
        self.container.bus.publish(AGENTS_TOPIC, payload)

    async def resume(self, after: int) -> None:
        """Send every public message after `after` not sent yet, oldest first."""
        async with self.lock:
            self.floor = max(self.floor, after)
            cursor = self.floor
            while True:
                page = await run_in_threadpool(
                    webchat.history, self.container.uow, self.visitor, cursor
                )
                for item in page:
                    await self._send_message(item)
                if len(page) < webchat.HISTORY_PAGE:
                    break
                cursor = page[-1]["id"]
            self.resumed.set()

    async def pump(self, sub: Subscription) -> None:
        await self.resumed.wait()  # events queue up until the widget said hello
        while True:
            event = await sub.get()
            if sub.take_resync(event):
                await self.resume(self.floor)
                continue
            await self.forward(event)

    async def forward(self, event: dict[str, Any]) -> None:
        name = event.get("event")
        if name == "conversation.typing":
            if event.get("author") != "customer":
                await self.ws.send_json({"type": "typing", "on": bool(event.get("on", True))})
            return
        if name not in ("message.created", "message.updated"):
            return
        data = event.get("data") or {}
        if data.get("private") or not isinstance(data.get("id"), int):
            return
        self.conversation_id = event.get("conversation_id") or self.conversation_id
        async with self.lock:
            if name == "message.created":
                await self._send_message(webchat.public_view(data))
            else:
                await self.ws.send_json({"type": "update", "message": webchat.public_view(data)})

    async def _send_message(self, item: dict[str, Any]) -> None:
        if item["id"] <= self.floor or item["id"] in self.sent:
            return
        await self.ws.send_json({"type": "message", "message": item})
        self.sent.add(item["id"])
