"""Scaled out for real: two `ventanilla serve` processes sharing PostgreSQL and Redis.

The customer's widget is connected to process A and the agent's stream to process B; every
message must cross from one process to the other through Redis within a second.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import PG_URL, make_inbox, make_user, need, need_redis, reachable
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.domain.enums import Role
from ventanilla.realtime.bus import RESYNC
from ventanilla.realtime.redis_bus import RedisBus
from ventanilla.storage.migrate import upgrade

SECRET = "two-process-secret-key-0123"
DELIVERY_S = 1.0
STARTUP_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    need(reachable("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    name = f"vt2p_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def seeded(database: str) -> dict[str, Any]:
    """A web chat inbox and an agent, created through the services."""
    container = Container(Settings(environment="test", database_url=database, secret_key=SECRET))
    try:
        inbox_id = make_inbox(container, "webchat", settings={"assistant": False}, name="Web chat")
        _, token = make_user(container, Role.AGENT)
    finally:
        container.engine.dispose()
    return {"url": database, "inbox_id": inbox_id, "agent_token": token}


class Server:
    def __init__(self, port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.proc = proc
        self.log = log
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"


def start(env: dict[str, str], port: int, log: Path) -> Server:
    exe = Path(sys.executable).with_name("ventanilla")
    out = log.open("wb")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return Server(port, proc, log)


def wait_healthy(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"server exited early:\n{server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server on {server.port} not healthy in time:\n{server.log.read_text()[-3000:]}")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=5)


@pytest.fixture(scope="module")
def servers(
    seeded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server]]:
    redis_url = need_redis()
    env = {
        **os.environ,
        "VENTANILLA_ENVIRONMENT": "test",
        "VENTANILLA_DATABASE_URL": seeded["url"],
        "VENTANILLA_REDIS_URL": redis_url,
        "VENTANILLA_REDIS_CHANNEL": f"vt-test:{uuid.uuid4().hex}",
        "VENTANILLA_SECRET_KEY": SECRET,
    }
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            log = tmp_path_factory.mktemp("serve") / f"server-{name}.log"
            started.append(start(env, free_port(), log))
        deadline = time.monotonic() + STARTUP_S
        for server in started:
            wait_healthy(server, deadline)
        yield started[0], started[1]
    finally:
        for server in started:
            stop(server)


async def next_frame(
    ws: ClientConnection, wanted: dict[str, Any], timeout: float = DELIVERY_S
) -> dict[str, Any]:
    """The first frame whose keys match `wanted`, within `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if all(frame.get(k) == v for k, v in wanted.items()):
                return frame


async def test_a_customer_on_one_process_chats_with_an_agent_on_another(
    servers: tuple[Server, Server], seeded: dict[str, Any]
) -> None:
    a, b = servers
    auth = {"Authorization": f"Bearer {seeded['agent_token']}"}
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.post(f"{a.http}/widget/v1/session", json={"inbox_id": seeded["inbox_id"]})
        token = r.json()["token"]
        async with (
            connect(f"{a.ws}/widget/v1/ws?token={token}") as widget,
            connect(f"{b.ws}/api/v1/stream?token={seeded['agent_token']}") as agents,
        ):
            await next_frame(agents, {"event": "ready"}, timeout=5)
            await widget.send(json.dumps({"type": "hello", "after": 0}))
            await widget.send(
                json.dumps({"type": "message", "text": "¿Hay envío?", "client_id": "1"})
            )
            created = await next_frame(agents, {"event": "message.created"})
            assert created["data"]["text"] == "¿Hay envío?"
            conv_id = created["conversation_id"]

            await widget.send(json.dumps({"type": "typing", "on": True}))
            typing = await next_frame(agents, {"event": "conversation.typing"})
            assert typing["conversation_id"] == conv_id

            r = await http.post(
                f"{b.http}/api/v1/conversations/{conv_id}/messages",
                json={"text": "Sí, gratis desde 30 €"},
                headers=auth,
            )
            assert r.status_code == 201, r.text
            reply = await next_frame(widget, {"type": "message"})
            while reply["message"]["direction"] == "inbound":  # our own message comes first
                reply = await next_frame(widget, {"type": "message"})
            assert reply["message"]["text"] == "Sí, gratis desde 30 €"

    # Nothing was lost on the way: both processes read the same conversation.
    async with httpx.AsyncClient(timeout=5) as http:
        for server in (a, b):
            r = await http.get(
                f"{server.http}/api/v1/conversations/{conv_id}/messages", headers=auth
            )
            assert [m["text"] for m in r.json()["items"]] == [
                "¿Hay envío?",
                "Sí, gratis desde 30 €",
            ]


async def test_a_widget_that_moves_to_the_other_process_resumes_where_it_was(
    servers: tuple[Server, Server], seeded: dict[str, Any]
) -> None:
    a, b = servers
    auth = {"Authorization": f"Bearer {seeded['agent_token']}"}
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.post(f"{a.http}/widget/v1/session", json={"inbox_id": seeded["inbox_id"]})
        token = r.json()["token"]
        async with connect(f"{a.ws}/widget/v1/ws?token={token}") as widget:
            await widget.send(json.dumps({"type": "hello", "after": 0}))
            await widget.send(json.dumps({"type": "message", "text": "hola", "client_id": "1"}))
            ack = await next_frame(widget, {"type": "ack"}, timeout=5)
        replies = []
        for n in range(3):
            r = await http.post(
                f"{a.http}/api/v1/conversations/{ack['conversation_id']}/messages",
                json={"text": f"respuesta {n}"},
                headers=auth,
            )
            replies.append(r.json()["id"])
        async with connect(f"{b.ws}/widget/v1/ws?token={token}") as widget:
            await widget.send(json.dumps({"type": "hello", "after": ack["id"]}))
            got = [
                (await next_frame(widget, {"type": "message"}))["message"]["id"] for _ in replies
            ]
    assert got == replies


async def test_the_redis_bus_survives_foreign_messages_and_lost_connections() -> None:
    url = need_redis()
    channel = f"vt-test:{uuid.uuid4().hex}"
    sender, listener = RedisBus(url, channel), RedisBus(url, channel)
    raw = redis.Redis.from_url(url)
    try:
        await sender.start()
        await listener.start()
        async with listener.subscribe(["t"]) as sub:
            raw.publish(channel, b"\xff not json")
            raw.publish(channel, json.dumps({"t": "t", "p": "not a dict"}))
            await asyncio.to_thread(sender.publish, "t", {"n": 1})
            async with asyncio.timeout(DELIVERY_S):
                assert await sub.get() == {"n": 1}
            for client in raw.client_list():
                if client.get("name") == listener.listener_name:
                    raw.client_kill_filter(_id=client["id"])
            async with asyncio.timeout(5):
                assert await sub.get() == RESYNC  # events may have been missed: catch up
            await asyncio.to_thread(sender.publish, "t", {"n": 2})
            async with asyncio.timeout(DELIVERY_S):
                assert await sub.get() == {"n": 2}
    finally:
        await sender.stop()
        await listener.stop()
        raw.close()


async def test_without_redis_this_process_still_hears_its_own_events() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", "vt-test:down")
    async with bus.subscribe(["t"]) as sub:
        await asyncio.to_thread(bus.publish, "t", {"n": 1})
        async with asyncio.timeout(5):
            assert await sub.get() == {"n": 1}
    await bus.stop()


async def test_over_the_network_a_bad_token_closes_the_socket_with_4401(
    servers: tuple[Server, Server],
) -> None:
    for path in ("/widget/v1/ws?token=forged.token", "/api/v1/stream?token=nope"):
        async with connect(f"{servers[0].ws}{path}") as ws:
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(5):
                    await ws.recv()
        assert ws.close_code == 4401, path
