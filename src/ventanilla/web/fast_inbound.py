"""A short way in for the API channel's busiest route.

`POST /api/v1/inboxes/{inbox_id}/messages` is what the company's systems call for every
customer message. Through the full stack each call passes Starlette's error middleware, the
exception middleware, the router's match against every route and the request and response
objects before and after the handler's own work, and those cost more CPU than that work.
`VentanillaApp` answers this one route itself, with the steps of its handler
(`web.api.channel.accept`, shared with the route): the same token and role check, parse,
group commit and answer. It runs inside the application's own middleware (the body size
limit) and maps errors through the application's own exception handlers (`web.errors`), so
every answer, error or not, is the one the full stack gives. Everything else, this path's
other methods included, goes through FastAPI untouched, and the route stays registered
there: the OpenAPI document still describes it, and it serves the path when the application
is mounted under a root path.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ventanilla.web.api.channel import accept

# Starlette's default path parameter: anything up to the next slash.
INBOUND_PATH = re.compile(r"/api/v1/inboxes/([^/]+)/messages")
_JSON = (b"content-type", b"application/json")


class VentanillaApp(FastAPI):
    """FastAPI, with the API channel's inbound messages answered without routing."""

    _fast_inbound: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not scope.get("root_path")
            and not self.root_path
        ):
            match = INBOUND_PATH.fullmatch(scope["path"])
            if match is not None:
                scope["app"] = self
                scope["path_params"] = {"inbox_id": match.group(1)}
                fast = self._fast_inbound or self._build_fast_inbound()
                await fast(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _build_fast_inbound(self) -> ASGIApp:
        """The route inside the user middleware the full stack applies, under a guard that
        answers unexpected errors as Starlette's error middleware does."""
        app: ASGIApp = self._inbound
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        inner = app

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            started = False

            async def tracking(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                await inner(scope, receive, tracking)
            except Exception as exc:
                # The application's 500 handler answers (it logs), then the error goes on
                # to the server, as from Starlette's error middleware.
                handler = self.exception_handlers.get(Exception) or self.exception_handlers.get(500)
                if handler is not None and not started:
                    response = await _answer(handler, Request(scope), exc)
                    await response(scope, receive, send)
                raise

        self._fast_inbound = guarded
        return guarded

    async def _inbound(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            body = await _receive_message(request, receive)
        except Exception as exc:
            handler = _handler_for(self, exc)
            if handler is None:
                raise
            response = await _answer(handler, request, exc)
            await response(scope, receive, send)
            return
        headers = [(b"content-length", str(len(body)).encode()), _JSON]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _receive_message(request: Request, receive: Receive) -> bytes:
    """`web.api.channel.accept`, reading the body straight from the server; returns the
    201 answer's body, the bytes JSONResponse renders for it (numbers and a boolean)."""
    out = await accept(request, lambda: _read_body(receive))
    return json.dumps(out, separators=(",", ":")).encode()


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _handler_for(app: FastAPI, exc: Exception) -> Any:
    """The application's handler for this error, looked up as Starlette's exception
    middleware does; the catch-all one (a 500) is left to the outer guard."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        handler = app.exception_handlers.get(cls)
        if handler is not None:
            return handler
    return None


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    response = handler(request, exc)
    if inspect.isawaitable(response):
        response = await response
    assert isinstance(response, Response)
    return response
