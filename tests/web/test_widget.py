"""Web chat end to end in one process: widget socket, agent stream, REST API, attachments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.helpers import make_inbox, make_user
from tests.web.conftest import IDENTITY_SECRET, QUIET, receive, receive_until
from ventanilla.bootstrap import AGENTS_TOPIC, Container
from ventanilla.channels.base import InboundMessage, SenderIdentity
from ventanilla.config import Settings
from ventanilla.domain.enums import ChannelKind, IdentityKind, Role
from ventanilla.realtime.bus import MemoryBus
from ventanilla.services import inbound, tokens
from ventanilla.storage.models import Attachment, Message
from ventanilla.web.app import create_app


def open_session(client: TestClient, inbox_id: int, **extra: Any) -> dict[str, Any]:
    r = client.post("/widget/v1/session", json={"inbox_id": inbox_id, **extra})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def widget(client: TestClient, token: str) -> WebSocketTestSession:
    return client.websocket_connect(f"/widget/v1/ws?token={token}")


def agent_stream(client: TestClient, token: str, batch: bool = False) -> WebSocketTestSession:
    return client.websocket_connect(f"/api/v1/stream?token={token}&batch={str(batch).lower()}")


def receive_events(stream: WebSocketTestSession, batch: bool) -> list[dict[str, Any]]:
    """The events of the next frame: a batched stream sends a JSON array per frame."""
    frame: Any = receive(stream)
    if batch:
        assert isinstance(frame, list) and frame, frame
        return frame
    return [frame]


def say(ws: WebSocketTestSession, text: str, client_id: str, echo: bool = True) -> dict[str, Any]:
    """Send a message frame; returns the ack, after its echo as a message frame (the widget
    shows what the server stored; the echo may come before or after the ack)."""
    ws.send_json({"type": "message", "text": text, "client_id": client_id})
    ack, before = receive_until(ws, {"type": "ack", "client_id": client_id})
    if echo and not any(f.get("message", {}).get("id") == ack["id"] for f in before):
        receive_until(ws, {"type": "message", "message.id": ack["id"]})
    return ack


def reply(client: TestClient, token: str, conv_id: int, text: str, private: bool = False) -> int:
    r = client.post(
        f"/api/v1/conversations/{conv_id}/messages",
        json={"text": text, "private": private},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def count(container: Container, model: type) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_anonymous_visitor_chats_with_an_agent_both_ways(
    client: TestClient, inbox_id: int, agent_token: str
) -> None:
    session = open_session(client, inbox_id)
    assert session["token"] and session["visitor_id"] and session["verified"] is False
    with agent_stream(client, agent_token) as agents, widget(client, session["token"]) as ws:
        assert receive(agents)["event"] == "ready"
        ws.send_json({"type": "hello", "after": 0})
        ack = say(ws, "Hola, ¿tenéis café de Huila?", "c-1")
        event, _ = receive_until(agents, {"event": "message.created"})
        assert event["message_id"] == ack["id"]
        assert event["data"]["text"] == "Hola, ¿tenéis café de Huila?"
        conv_id = event["conversation_id"]

        listed = client.get(
            f"/api/v1/conversations/{conv_id}/messages",
            headers={"Authorization": f"Bearer {agent_token}"},
        ).json()["items"]
        assert [m["text"] for m in listed] == ["Hola, ¿tenéis café de Huila?"]

        reply(client, agent_token, conv_id, "solo para el equipo", private=True)
        answer_id = reply(client, agent_token, conv_id, "¡Sí! 250 g a 9,50 €")
        frame, skipped = receive_until(ws, {"type": "message"})
        assert frame["message"]["id"] == answer_id
        assert frame["message"]["text"] == "¡Sí! 250 g a 9,50 €"
        assert "private" not in frame["message"] and "author_user_id" not in frame["message"]
        assert all("solo para el equipo" not in json.dumps(f) for f in skipped)
    with widget(client, session["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        texts = [receive(ws)["message"]["text"] for _ in range(2)]
        assert texts == ["Hola, ¿tenéis café de Huila?", "¡Sí! 250 g a 9,50 €"]


def test_a_widget_that_reconnects_gets_what_it_missed_once_in_order(
    client: TestClient, inbox_id: int, agent_token: str
) -> None:
    token = open_session(client, inbox_id)["token"]
    with widget(client, token) as ws:
        ws.send_json({"type": "hello", "after": 0})
        first = say(ws, "one", "c-1")
        conv_id = first["conversation_id"]
        last_seen = first["id"]
    missed = [reply(client, agent_token, conv_id, f"reply {n}") for n in range(3)]
    with widget(client, token) as ws:
        ws.send_json({"type": "hello", "after": last_seen})
        got = [receive(ws)["message"]["id"] for _ in missed]
        assert got == missed
        again = say(ws, "one", "c-1", echo=False)  # the widget resends what it was unsure about
        assert again["id"] == first["id"]
        live = reply(client, agent_token, conv_id, "live")
        frame, _ = receive_until(ws, {"type": "message"})
        assert frame["message"]["id"] == live  # nothing sent twice before the live one
        ws.send_json({"type": "hello", "after": 0})  # a second hello never repeats a message
        ws.send_json({"type": "ping"})  # answered with an error frame: a marker
        assert receive(ws)["type"] == "error"
    assert count(client.app.state.container, Message) == 5  # type: ignore[attr-defined]


def test_a_verified_user_joins_the_contact_of_their_email(
    client: TestClient, container: Container, inbox_id: int
) -> None:
    email_inbox = make_inbox(container, "email")
    earlier = inbound.receive(
        container.uow,
        email_inbox,
        InboundMessage(
            channel=ChannelKind.EMAIL,
            external_id="<order-1@mail.test>",
            sender=SenderIdentity(IdentityKind.EMAIL, "maria@example.com", verified=True),
            text="¿Dónde está mi pedido?",
        ),
    )
    user = {
        "id": "user-77",
        "hash": tokens.user_hash(IDENTITY_SECRET, "user-77"),
        "email": "maria@example.com",
        "email_hash": tokens.user_hash(IDENTITY_SECRET, "maria@example.com"),
    }
    session = open_session(client, inbox_id, user=user)
    assert session["verified"] is True
    with widget(client, session["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        assert receive(ws)["message"]["text"] == "¿Dónde está mi pedido?"
        ack = say(ws, "Sigo esperando", "c-1")
    with container.uow() as uow:
        msg = uow.session.get(Message, ack["id"])
        assert msg is not None and msg.conversation_id == earlier.conversation_id


def test_identity_claims_must_be_signed(
    client: TestClient, container: Container, inbox_id: int
) -> None:
    wrong = client.post(
        "/widget/v1/session",
        json={"inbox_id": inbox_id, "user": {"id": "user-77", "hash": "0" * 64}},
    )
    assert wrong.status_code == 401 and "hash" in wrong.json()["error"]["message"]
    victim = open_session(
        client,
        inbox_id,
        user={
            "id": "victim",
            "hash": tokens.user_hash(IDENTITY_SECRET, "victim"),
            "email": "victim@example.com",
            "email_hash": tokens.user_hash(IDENTITY_SECRET, "victim@example.com"),
        },
    )
    with widget(client, victim["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        say(ws, "my secret order", "v-1")
    # A signed-in attacker adds someone else's email without a signature: no merge.
    attacker = open_session(
        client,
        inbox_id,
        user={
            "id": "attacker",
            "hash": tokens.user_hash(IDENTITY_SECRET, "attacker"),
            "email": "victim@example.com",
        },
    )
    # On a shared browser, signing out does not carry the previous user's session over.
    anonymous = open_session(client, inbox_id, token=victim["token"])
    assert anonymous["visitor_id"] != victim["visitor_id"]
    for token in (attacker["token"], anonymous["token"]):
        with widget(client, token) as ws:
            ws.send_json({"type": "hello", "after": 0})
            ws.send_json({"type": "bogus"})
            assert receive(ws)["type"] == "error"  # first frame: no history leaked


@pytest.mark.parametrize("token", ["forged", "expired", "garbage"])
def test_bad_tokens_close_the_socket_with_4401(
    client: TestClient, inbox_id: int, token: str
) -> None:
    session = open_session(client, inbox_id)
    body, _, mac = session["token"].partition(".")
    claims = tokens.verify("test-secret-key-0123456789", session["token"])
    bad = {
        "forged": tokens.sign("another-secret-key-000000", claims, 3600),
        "expired": tokens.sign("test-secret-key-0123456789", claims, -10),
        "garbage": body[:-2] + "." + mac,
    }[token]
    with pytest.raises(WebSocketDisconnect) as closed, widget(client, bad) as ws:
        receive(ws)
    assert closed.value.code == 4401


def test_attachments_respect_size_and_type_limits(container: Container, agent_token: str) -> None:
    small = Container(container.settings.model_copy(update={"max_attachment_bytes": 2048}))
    inbox_id = make_inbox(small, "webchat", settings=QUIET)
    with TestClient(create_app(container=small)) as c:
        token = open_session(c, inbox_id)["token"]

        def upload(name: str, ctype: str, data: bytes, cid: str) -> Any:
            files = {"file": (name, data, ctype)}
            return c.post(
                "/widget/v1/attachments",
                data={"token": token, "client_id": cid, "text": "mira"},
                files=files,
            )

        too_big = upload("big.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"0" * 4096, "a1")
        assert too_big.status_code == 413, too_big.text
        refused = upload("run.html", "text/html", b"<script>alert(1)</script>", "a2")
        assert refused.status_code == 422 and "text/html" in refused.text
        disguised = upload("x.png", "image/png", b"<html><script>1</script>", "a3")
        assert disguised.status_code == 422, disguised.text
        assert count(small, Message) == 0 and count(small, Attachment) == 0
        ok = upload("receipt.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"1" * 100, "a4")
        assert ok.status_code == 201, ok.text
        again = upload("receipt.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"1" * 100, "a4")
        assert again.json() == {"id": ok.json()["id"], "duplicate": True}
        assert count(small, Attachment) == 1
        bad_token = c.post(
            "/widget/v1/attachments",
            data={"token": "nope", "client_id": "a5"},
            files={"file": ("a.txt", b"hi", "text/plain")},
        )
        assert bad_token.status_code == 401
    small.engine.dispose()


def test_typing_indicators_go_both_ways(
    client: TestClient, container: Container, inbox_id: int, agent_token: str
) -> None:
    token = open_session(client, inbox_id)["token"]
    with agent_stream(client, agent_token) as agents, widget(client, token) as ws:
        assert receive(agents)["event"] == "ready"  # subscribed: no event can slip past it
        ws.send_json({"type": "hello", "after": 0})
        say(ws, "hola", "c-1")
        created, _ = receive_until(agents, {"event": "message.created"})
        conv_id = created["conversation_id"]
        ws.send_json({"type": "typing", "on": True})
        typing, _ = receive_until(agents, {"event": "conversation.typing"})
        assert typing["conversation_id"] == conv_id
        assert typing["author"] == "customer" and typing["on"] is True

        agents.send_json({"type": "typing", "conversation_id": conv_id, "on": True})
        assert receive_until(ws, {"type": "typing"})[0]["on"] is True
        agents.send_json({"type": "typing", "conversation_id": conv_id, "on": False})
        assert receive_until(ws, {"type": "typing"})[0]["on"] is False
        agents.send_text("nonsense")
        assert receive_until(agents, {"event": "error"})[0]["message"]
    _, expert = make_user(container, Role.EXPERT)
    with agent_stream(client, expert) as stream:
        receive(stream)
        stream.send_json({"type": "typing", "conversation_id": conv_id})
        assert "not found" in receive_until(stream, {"event": "error"})[0]["message"]


def test_a_batched_stream_sends_the_events_waiting_in_one_frame(
    client: TestClient, container: Container, admin_token: str
) -> None:
    events = [{"event": "conversation.updated", "conversation_id": n} for n in range(1, 6)]
    with agent_stream(client, admin_token, batch=True) as stream:
        assert [e["event"] for e in receive_events(stream, True)] == ["ready"]
        container.bus.publish_many([(AGENTS_TOPIC, e) for e in events])
        assert receive_events(stream, True) == events
        container.bus.publish(AGENTS_TOPIC, events[0])
        assert receive_events(stream, True) == [events[0]]
        stream.send_text("nonsense")
        assert [e["event"] for e in receive_events(stream, True)] == ["error"]
    with agent_stream(client, admin_token) as stream:  # the default: one event per frame
        assert receive(stream)["event"] == "ready"
        container.bus.publish_many([(AGENTS_TOPIC, e) for e in events[:2]])
        assert [receive(stream), receive(stream)] == events[:2]


@pytest.mark.parametrize("batch", [False, True], ids=["frame-per-event", "batched"])
def test_an_expert_only_hears_conversations_offered_or_assigned_to_them(
    client: TestClient, container: Container, inbox_id: int, admin_token: str, batch: bool
) -> None:
    expert_id, expert_token = make_user(container, Role.EXPERT)
    hidden = open_session(client, inbox_id)["token"]
    shown = open_session(client, inbox_id)["token"]
    convs = {}
    for name, token in (("hidden", hidden), ("shown", shown)):
        with widget(client, token) as ws:
            ws.send_json({"type": "hello", "after": 0})
            convs[name] = say(ws, f"first {name}", "c-1")["conversation_id"]
    r = client.post(
        f"/api/v1/conversations/{convs['shown']}/offers",
        json={"user_id": expert_id},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert r.status_code == 201, r.text
    with agent_stream(client, expert_token, batch) as stream:
        assert receive_events(stream, batch)[0]["event"] == "ready"
        for name in ("hidden", "shown"):
            with widget(client, hidden if name == "hidden" else shown) as ws:
                ws.send_json({"type": "typing", "on": True})
                say(ws, f"second {name}", "c-2", echo=False)
        frames = receive_events(stream, batch)
        if len(frames) < 2:
            frames += receive_events(stream, batch)
    assert {f["conversation_id"] for f in frames} == {convs["shown"]}
    assert [f["event"] for f in frames] == ["conversation.typing", "message.created"]


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"type": "launch"}',
        '{"type": "message", "text": ""}',
        '{"type": "message", "text": 42, "client_id": "x"}',
        '{"type": "message", "text": "hi", "client_id": "' + "x" * 101 + '"}',
        '{"type": "hello", "after": -1}',
        '{"type": "hello", "after": "abc"}',
        b"\x00\x01binary",
        pytest.param('{"type": "message", "text": "' + "x" * 130_000 + '"}', id="huge"),
    ],
)
def test_malformed_frames_get_an_error_and_the_socket_stays_open(
    client: TestClient, inbox_id: int, frame: str | bytes
) -> None:
    token = open_session(client, inbox_id)["token"]
    with widget(client, token) as ws:
        ws.send_json({"type": "hello", "after": 0})
        if isinstance(frame, bytes):
            ws.send_bytes(frame)
        else:
            ws.send_text(frame)
        error = receive(ws)
        assert error["type"] == "error" and error["message"]
        assert say(ws, "still here", "c-ok")["id"] > 0


class HoldingBus(MemoryBus):
    """The memory bus, able to hold events back and release them newest first (as when two
    transactions commit in the other order), or to lose them."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[str, dict[str, Any]]] | None = None

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self.held is not None:
            self.held.append((topic, payload))
        else:
            super().publish(topic, payload)

    def publish_many(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        for topic, payload in items:
            self.publish(topic, payload)

    def release_newest_first(self) -> None:
        held, self.held = self.held or [], None
        for topic, payload in reversed(held):
            super().publish(topic, payload)

    def lose_held(self) -> None:
        self.held = None
        self._fanout.lost_events()


@pytest.fixture
def holding(settings: Settings) -> Iterator[tuple[HoldingBus, Container, TestClient]]:
    bus = HoldingBus()
    container = Container(settings, bus=bus)
    with TestClient(create_app(container=container)) as c:
        yield bus, container, c


def test_live_messages_arriving_out_of_order_are_each_shown_once(
    holding: tuple[HoldingBus, Container, TestClient],
) -> None:
    bus, container, c = holding
    inbox_id = make_inbox(container, "webchat", settings=QUIET)
    agent = make_user(container, Role.AGENT)[1]
    with widget(c, open_session(c, inbox_id)["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        conv_id = say(ws, "first", "c-1")["conversation_id"]
        bus.held = []
        older, newer = (reply(c, agent, conv_id, text) for text in ("older", "newer"))
        bus.release_newest_first()
        assert [receive(ws)["message"]["id"] for _ in range(2)] == [newer, older]
        ws.send_json({"type": "hello", "after": 0})
        ws.send_json({"type": "ping"})
        assert receive(ws)["type"] == "error"  # nothing was sent twice


def test_a_widget_catches_up_from_the_database_when_live_events_were_lost(
    holding: tuple[HoldingBus, Container, TestClient],
) -> None:
    bus, container, c = holding
    inbox_id = make_inbox(container, "webchat", settings=QUIET)
    agent = make_user(container, Role.AGENT)[1]
    with widget(c, open_session(c, inbox_id)["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        conv_id = say(ws, "first", "c-1")["conversation_id"]
        bus.held = []
        lost = [reply(c, agent, conv_id, text) for text in ("a", "b", "c")]
        bus.lose_held()
        assert [receive(ws)["message"]["id"] for _ in lost] == lost


def test_the_session_keeps_the_pages_language_for_the_visitors_messages(
    client: TestClient, inbox_id: int
) -> None:
    english = open_session(client, inbox_id, language="en-GB")
    assert english["language"] == "en"
    with widget(client, english["token"]) as ws:
        ws.send_json({"type": "hello", "after": 0})
        first = say(ws, "hi", "c-1")
    # The same visitor on a page in a language we do not speak: no language is taken.
    other = open_session(client, inbox_id, token=english["token"], language="fr")
    assert other["language"] is None and other["visitor_id"] == english["visitor_id"]
    with widget(client, other["token"]) as ws:
        ws.send_json({"type": "hello", "after": first["id"]})
        second = say(ws, "bonjour", "c-2")
    container: Container = client.app.state.container  # type: ignore[attr-defined]
    with container.uow() as uow:
        first_meta = uow.session.get(Message, first["id"]).meta  # type: ignore[union-attr]
        second_meta = uow.session.get(Message, second["id"]).meta  # type: ignore[union-attr]
    assert first_meta.get("page_language") == "en"
    assert "page_language" not in second_meta
    r = client.post("/widget/v1/session", json={"inbox_id": inbox_id, "language": "x" * 36})
    assert r.status_code == 422
