"""The REST API as a client sees it: auth, roles, errors, filters, pagination, search."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_inbox, make_user
from ventanilla.bootstrap import Container
from ventanilla.channels.base import InboundAttachment, InboundMessage, SenderIdentity
from ventanilla.domain.enums import ChannelKind, IdentityKind, Role
from ventanilla.services import inbound
from ventanilla.web.app import create_app


class Api:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + path, headers=self.headers, params=params)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.client.post("/api/v1" + path, headers=self.headers, json=body, **kw)

    def send(self, inbox: int, ext: str, sender: str, text: str = "hola", **extra: Any) -> Any:
        body = {"external_id": ext, "sender": {"id": sender, **extra}, "text": text}
        resp = self.post(f"/inboxes/{inbox}/messages", body)
        assert resp.status_code == 201, resp.text
        return resp.json()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container=container)) as c:
        yield c


@pytest.fixture
def admin(container: Container, client: TestClient) -> Api:
    return Api(client, make_user(container, Role.ADMIN)[1])


@pytest.fixture
def api_inbox(container: Container) -> int:
    return make_inbox(container, "api")


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in resp.text
    return body


def test_every_api_call_needs_a_valid_token(client: TestClient) -> None:
    assert_error(client.get("/api/v1/conversations"), 401, "unauthorized")
    bad = {"authorization": "Bearer vt_not-a-real-token"}
    assert_error(client.get("/api/v1/conversations", headers=bad), 401, "unauthorized")
    assert_error(
        client.get("/api/v1/conversations", headers={"authorization": "x"}), 401, "unauthorized"
    )


def test_roles_limit_what_a_user_may_do(container: Container, client: TestClient) -> None:
    agent = Api(client, make_user(container, Role.AGENT)[1])
    resp = agent.post("/users", {"email": "x@example.test", "name": "X", "role": "agent"})
    assert_error(resp, 403, "forbidden")
    assert_error(agent.post("/inboxes", {"name": "n", "channel": "api"}), 403, "forbidden")


def test_bad_input_gets_a_clear_4xx_and_stores_nothing(admin: Api, api_inbox: int) -> None:
    path = f"/inboxes/{api_inbox}/messages"
    raw = admin.client.post("/api/v1" + path, headers=admin.headers, content=b"{not json")
    assert_error(raw, 400, "bad_payload")
    assert_error(
        admin.post(path, {"external_id": "1", "sender": {"id": "u"}, "text": 5}), 400, "bad_payload"
    )
    assert_error(admin.post(path, ["a list"]), 400, "bad_payload")
    assert_error(
        admin.post(
            "/inboxes/999/messages", {"external_id": "1", "sender": {"id": "u"}, "text": "hola"}
        ),
        404,
        "not_found",
    )
    big = b'{"text": "' + b"x" * 2_000_000 + b'"}'
    assert_error(
        admin.client.post("/api/v1" + path, headers=admin.headers, content=big), 413, "too_large"
    )
    body = assert_error(admin.post("/conversations/abc/status", {"status": "open"}), 422, "invalid")
    assert "conversation_id" in body["error"]["message"]
    assert_error(admin.get("/conversations/424242"), 404, "not_found")
    assert admin.get("/conversations").json()["items"] == []


def test_replies_notes_status_and_assignment(
    container: Container, admin: Api, api_inbox: int
) -> None:
    got = admin.send(api_inbox, "m1", "cust-1", "¿Dónde está mi pedido?")
    cid = got["conversation_id"]
    reply = admin.post(f"/conversations/{cid}/messages", {"text": "Lo miramos ahora mismo"})
    assert reply.status_code == 201 and reply.json()["direction"] == "outbound"
    note = admin.post(f"/conversations/{cid}/notes", {"text": "cliente VIP"})
    assert note.json()["private"] is True
    texts = [m["text"] for m in admin.get(f"/conversations/{cid}/messages").json()["items"]]
    assert texts == ["¿Dónde está mi pedido?", "Lo miramos ahora mismo", "cliente VIP"]

    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    snoozed = admin.post(
        f"/conversations/{cid}/status", {"status": "snoozed", "snoozed_until": later}
    )
    assert snoozed.json()["status"] == "snoozed"
    assert_error(admin.post(f"/conversations/{cid}/status", {"status": "snoozed"}), 422, "invalid")
    admin.send(api_inbox, "m2", "cust-1", "¿Hola?")
    assert admin.get(f"/conversations/{cid}").json()["status"] == "open"  # the customer woke it

    agent_id, _ = make_user(container, Role.AGENT)
    team = admin.post("/teams", {"name": "Soporte", "member_ids": [agent_id]}).json()
    assigned = admin.post(
        f"/conversations/{cid}/assignment", {"assignee_id": agent_id, "team_id": team["id"]}
    )
    assert assigned.json()["assignee_id"] == agent_id
    outsider, _ = make_user(container, Role.AGENT)
    assert_error(
        admin.post(
            f"/conversations/{cid}/assignment", {"assignee_id": outsider, "team_id": team["id"]}
        ),
        422,
        "invalid",
    )
    mine = admin.get("/conversations", assignee_id=agent_id).json()["items"]
    assert [c["id"] for c in mine] == [cid]


def test_an_expert_only_sees_what_is_offered_or_assigned(
    container: Container, admin: Api, api_inbox: int
) -> None:
    expert_id, token = make_user(container, Role.EXPERT)
    expert = Api(admin.client, token)
    first = admin.send(api_inbox, "m1", "cust-1")["conversation_id"]
    second = admin.send(api_inbox, "m2", "cust-2")["conversation_id"]
    assert expert.get("/conversations").json()["items"] == []
    assert_error(expert.get(f"/conversations/{first}"), 404, "not_found")
    assert_error(expert.post(f"/conversations/{first}/messages", {"text": "hi"}), 404, "not_found")
    assert admin.post(f"/conversations/{first}/offers", {"user_id": expert_id}).status_code == 201
    seen = [c["id"] for c in expert.get("/conversations").json()["items"]]
    assert seen == [first]
    assert expert.get("/search/messages", q="hola").json()["items"][0]["conversation_id"] == first
    assert second not in seen


def test_cursor_pagination_walks_every_conversation_once(admin: Api, api_inbox: int) -> None:
    created = {admin.send(api_inbox, f"m{i}", f"c{i}")["conversation_id"] for i in range(7)}
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/conversations", **params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created) and len(seen) == len(created)
    assert_error(admin.get("/conversations", cursor="garbage!"), 422, "invalid")


def test_filters_by_status_channel_and_update_time(admin: Api, api_inbox: int) -> None:
    a = admin.send(api_inbox, "m1", "c1")["conversation_id"]
    b = admin.send(api_inbox, "m2", "c2")["conversation_id"]
    admin.post(f"/conversations/{b}/status", {"status": "resolved"})
    assert [c["id"] for c in admin.get("/conversations", status="open").json()["items"]] == [a]
    assert [c["id"] for c in admin.get("/conversations", status="resolved").json()["items"]] == [b]
    assert len(admin.get("/conversations", channel="api").json()["items"]) == 2
    assert admin.get("/conversations", channel="email").json()["items"] == []
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert admin.get("/conversations", updated_since=future).json()["items"] == []


def test_full_text_search_finds_words_in_messages(admin: Api, api_inbox: int) -> None:
    admin.send(api_inbox, "m1", "c1", "Mi cafetera llegó rota")
    admin.send(api_inbox, "m2", "c2", "The grinder is great")
    hits = admin.get("/search/messages", q="cafetera").json()["items"]
    assert [h["text"] for h in hits] == ["Mi cafetera llegó rota"]
    assert admin.get("/search/messages", q="grinder").json()["items"][0]["text"].startswith("The")
    assert_error(admin.get("/search/messages", q="!!!"), 422, "invalid")


def test_contacts_identities_and_manual_merge(admin: Api, api_inbox: int) -> None:
    one = admin.post(
        "/contacts",
        {
            "name": "Marta",
            "identities": [{"kind": "email", "address": "Marta@Example.com", "verified": True}],
        },
    ).json()
    assert one["identities"][0]["address"] == "marta@example.com"
    dup = admin.post(
        "/contacts", {"identities": [{"kind": "email", "address": "marta@example.com"}]}
    )
    assert_error(dup, 409, "conflict")
    other = admin.send(api_inbox, "m1", "app-9", "hola desde la app")
    merged = admin.post(f"/contacts/{one['id']}/merge", {"merge_id": other["contact_id"]}).json()
    kinds = sorted(i["kind"] for i in merged["identities"])
    assert kinds == ["email", "external"]
    convs = admin.get("/conversations", contact_id=one["id"]).json()["items"]
    assert [c["id"] for c in convs] == [other["conversation_id"]]
    assert admin.get(f"/contacts/{other['contact_id']}").json()["id"] == one["id"]
    assert_error(
        admin.post(f"/contacts/{one['id']}/merge", {"merge_id": one["id"]}), 422, "invalid"
    )


def test_inbox_secrets_are_shown_once_and_never_listed(admin: Api) -> None:
    created = admin.post(
        "/inboxes",
        {"name": "ERP", "channel": "api", "settings": {"callback_url": "http://127.0.0.1:9/x"}},
    )
    assert created.status_code == 201 and created.json()["secret"]
    listed = admin.get("/inboxes").json()["items"]
    assert all("secret" not in i for i in listed) and listed[0]["has_secret"] is True
    leaked = admin.post(
        "/inboxes", {"name": "x", "channel": "email", "settings": {"password": "p"}}
    )
    assert_error(leaked, 422, "invalid")
    assert_error(admin.post("/inboxes", {"name": "x", "channel": "fax"}), 422, "invalid")


def test_the_openapi_document_describes_the_api(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/conversations",
        "/api/v1/contacts",
        "/api/v1/inboxes",
        "/api/v1/users",
        "/api/v1/teams",
        "/api/v1/search/messages",
    ):
        assert path in paths


def test_the_audit_log_says_who_changed_what(
    container: Container, admin: Api, api_inbox: int
) -> None:
    cid = admin.send(api_inbox, "m1", "c1")["conversation_id"]
    admin.post(f"/conversations/{cid}/status", {"status": "resolved"})
    entries = admin.get("/audit", entity_type="conversation", entity_id=cid).json()["items"]
    assert entries[0]["action"] == "conversation.status"
    assert entries[0]["changes"] == {"from": "open", "to": "resolved"}
    assert entries[0]["actor_user_id"] is not None
    agent = Api(admin.client, make_user(container, Role.AGENT)[1])
    assert_error(agent.get("/audit"), 403, "forbidden")


def test_attachments_download_only_for_those_who_see_the_conversation(
    container: Container, admin: Api
) -> None:
    inbox = make_inbox(container, "email")
    got = inbound.receive(
        container.uow,
        inbox,
        InboundMessage(
            channel=ChannelKind.EMAIL,
            external_id="a@x",
            text="factura adjunta",
            sender=SenderIdentity(IdentityKind.EMAIL, "ana@example.com"),
            attachments=(InboundAttachment("factura <1>.pdf", "application/pdf", b"%PDF-1.4 x"),),
        ),
    )
    [msg] = admin.get(f"/conversations/{got.conversation_id}/messages").json()["items"]
    att_id = msg["attachments"][0]["id"]
    resp = admin.client.get(f"/api/v1/attachments/{att_id}", headers=admin.headers)
    assert resp.status_code == 200 and resp.content == b"%PDF-1.4 x"
    assert resp.headers["content-disposition"].startswith("attachment;")
    assert resp.headers["x-content-type-options"] == "nosniff"
    expert = Api(admin.client, make_user(container, Role.EXPERT)[1])
    hidden = expert.client.get(f"/api/v1/attachments/{att_id}", headers=expert.headers)
    assert_error(hidden, 404, "not_found")
    assert_error(
        admin.client.get("/api/v1/attachments/999", headers=admin.headers), 404, "not_found"
    )
