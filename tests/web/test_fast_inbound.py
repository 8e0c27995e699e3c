"""The API channel's inbound route answers exactly as the full FastAPI stack would.

`POST /api/v1/inboxes/{id}/messages` is served by a short path in front of FastAPI
(web/fast_inbound.py). Each case here is sent through the application as a server sees it
and through FastAPI's own stack for the same application, and both answers must match.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.domain.enums import Role
from ventanilla.web.app import create_app


class Both:
    """One application, reached through the short path and through FastAPI's stack."""

    def __init__(self, app: FastAPI, fast: TestClient) -> None:
        async def full_stack(scope: Scope, receive: Receive, send: Send) -> None:
            await FastAPI.__call__(app, scope, receive, send)

        self.fast = fast
        self.full = TestClient(full_stack)

    def post(self, path: str, **kw: Any) -> tuple[Any, Any]:
        """The same request both ways; returns (short path answer, full stack answer)."""
        return self.fast.post(path, **kw), self.full.post(path, **kw)


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container=container)


@pytest.fixture
def both(app: FastAPI) -> Iterator[Both]:
    with TestClient(app) as fast:
        yield Both(app, fast)


@pytest.fixture
def inbox(container: Container) -> int:
    return make_inbox(container, "api")


def auth(container: Container, role: Role = Role.AGENT) -> dict[str, str]:
    return {"authorization": f"Bearer {make_user(container, role)[1]}"}


def message(ext: str, text: str = "hola") -> dict[str, Any]:
    return {"external_id": ext, "sender": {"id": "cust-1", "name": "Ana"}, "text": text}


def same_error(fast: Any, full: Any, status: int, code: str) -> None:
    assert fast.status_code == full.status_code == status, (fast.text, full.text)
    assert fast.json() == full.json()
    assert fast.json()["error"]["code"] == code
    assert fast.headers["content-type"] == full.headers["content-type"] == "application/json"
    assert "Traceback" not in fast.text


def test_a_message_is_stored_once_and_answered_the_same_way(
    both: Both, container: Container, inbox: int
) -> None:
    headers = auth(container)
    path = f"/api/v1/inboxes/{inbox}/messages"
    first = both.fast.post(path, json=message("m1"), headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["duplicate"] is False
    assert first.headers["content-type"] == "application/json"
    # The same external id again, either way: the same message, marked as a duplicate.
    again, again_full = both.post(path, json=message("m1"), headers=headers)
    assert again.status_code == again_full.status_code == 201
    assert again.json() == again_full.json() == {**first.json(), "duplicate": True}
    assert again.content == again_full.content
    assert again.headers["content-length"] == again_full.headers["content-length"]
    # A new message from the same sender joins the same conversation.
    second = both.fast.post(path, json=message("m2"), headers=headers).json()
    assert second["conversation_id"] == first.json()["conversation_id"]
    assert second["id"] != first.json()["id"]


def test_tokens_and_roles_are_checked_as_everywhere(
    both: Both, container: Container, inbox: int
) -> None:
    path = f"/api/v1/inboxes/{inbox}/messages"
    same_error(*both.post(path, json=message("a1")), 401, "unauthorized")
    bad = {"authorization": "Bearer vt_not-a-real-token"}
    same_error(*both.post(path, json=message("a2"), headers=bad), 401, "unauthorized")
    same_error(
        *both.post(path, json=message("a3"), headers={"authorization": "x"}), 401, "unauthorized"
    )
    expert = auth(container, Role.EXPERT)
    same_error(*both.post(path, json=message("a4"), headers=expert), 403, "forbidden")
    admin = auth(container, Role.ADMIN)
    assert both.fast.post(path, json=message("a5"), headers=admin).status_code == 201


def test_bad_bodies_and_ids_get_the_same_clear_4xx(
    both: Both, container: Container, inbox: int
) -> None:
    headers = auth(container)
    path = f"/api/v1/inboxes/{inbox}/messages"
    same_error(*both.post(path, content=b"{not json", headers=headers), 400, "bad_payload")
    same_error(*both.post(path, content=b"\xff\xfe", headers=headers), 400, "bad_payload")
    same_error(*both.post(path, json=["a list"], headers=headers), 400, "bad_payload")
    same_error(
        *both.post(path, json={**message("b1"), "text": " "}, headers=headers), 400, "bad_payload"
    )
    same_error(*both.post(path, content=b"", headers=headers), 400, "bad_payload")
    unknown = "/api/v1/inboxes/999999/messages"
    same_error(*both.post(unknown, json=message("b2"), headers=headers), 404, "not_found")
    for raw in ("abc", "-1", "1.5"):
        fast, full = both.post(
            f"/api/v1/inboxes/{raw}/messages", json=message("b3"), headers=headers
        )
        same_error(fast, full, 422, "invalid")
        assert "inbox_id" in fast.json()["error"]["message"]
    # The id is checked before the token, as the route always did.
    same_error(*both.post("/api/v1/inboxes/abc/messages", json=message("b4")), 422, "invalid")


def test_bodies_over_the_limit_are_refused_before_anything_else(
    both: Both, container: Container, inbox: int
) -> None:
    path = f"/api/v1/inboxes/{inbox}/messages"
    limit = container.settings.max_body_bytes
    big = b'{"text": "' + b"x" * limit + b'"}'
    # Announced by Content-Length: refused before the token is even looked at.
    same_error(*both.post(path, content=big), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once too much has come
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    headers = auth(container)
    fast = both.fast.post(path, content=chunks(), headers=headers)
    full = both.full.post(path, content=chunks(), headers=headers)
    same_error(fast, full, 413, "too_large")
    assert str(limit) in fast.json()["error"]["message"]


def test_other_methods_and_near_paths_are_left_to_fastapi(
    both: Both, container: Container, inbox: int
) -> None:
    headers = auth(container)
    path = f"/api/v1/inboxes/{inbox}/messages"
    for method in ("GET", "PUT", "DELETE"):
        fast = both.fast.request(method, path, headers=headers)
        full = both.full.request(method, path, headers=headers)
        assert fast.status_code == full.status_code == 405
        assert fast.json() == full.json()
    fast, full = both.post(path + "/", json=message("c1"), headers=headers, follow_redirects=False)
    assert fast.status_code == full.status_code
    assert fast.headers.get("location") == full.headers.get("location")
    doc = both.fast.get("/api/v1/openapi.json").json()
    assert "post" in doc["paths"]["/api/v1/inboxes/{inbox_id}/messages"]


def test_the_route_is_answered_without_the_general_stack(
    app: FastAPI, both: Both, container: Container, inbox: int
) -> None:
    both.fast.get("/healthz")  # the general stack is built on the first request

    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app.middleware_stack = refuse
    assert both.fast.get("/healthz").status_code == 418
    resp = both.fast.post(
        f"/api/v1/inboxes/{inbox}/messages", json=message("d1"), headers=auth(container)
    )
    assert resp.status_code == 201, resp.text


def test_the_served_application_keeps_its_start_up_objects_out_of_full_collections(
    container: Container,
) -> None:
    """`ventanilla serve`'s application freezes what exists once it has started, so a full
    garbage collection does not walk it and stop the event loop that long; an application
    embedded in another program (as in these tests) leaves the collector alone."""
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(container=container)):
        assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(container=container, server_process=True)):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
