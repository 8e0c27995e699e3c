"""The bare limit: a minimal ASGI endpoint that parses the JSON body and does one INSERT.

Served by uvicorn exactly like `ventanilla serve`, on the database named by
BENCH_BARE_DATABASE (an SQLite file path with the same pragmas as Ventanilla, or a
postgresql:// URL, used through a small pool of psycopg async connections).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DATABASE = os.environ.get("BENCH_BARE_DATABASE", "")
SQL = "INSERT INTO bare_messages (external_id, sender, text) VALUES ({0}, {0}, {0})"
POOL_SIZE = 10


class SqliteStore:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self.conn.execute(f"PRAGMA {pragma}")

    async def insert(self, row: tuple[str, str, str]) -> int:
        cur = self.conn.execute(SQL.format("?"), row)
        return cur.lastrowid or 0


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.idle: asyncio.Queue[Any] = asyncio.Queue()
        self.opened = 0

    async def insert(self, row: tuple[str, str, str]) -> int:
        import psycopg

        if self.idle.empty() and self.opened < POOL_SIZE:
            self.opened += 1
            await self.idle.put(await psycopg.AsyncConnection.connect(self.url, autocommit=True))
        conn = await self.idle.get()
        try:
            cur = await conn.execute(SQL.format("%s") + " RETURNING id", row)
            got = await cur.fetchone()
            return int(got[0]) if got else 0
        finally:
            self.idle.put_nowait(conn)


def _store() -> SqliteStore | PostgresStore:
    if DATABASE.startswith("postgresql://"):
        return PostgresStore(DATABASE)
    return SqliteStore(DATABASE)


STORE = _store()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["method"] != "POST":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    data = json.loads(body)
    row = (str(data["external_id"]), str(data["sender"]["id"]), str(data["text"]))
    new_id = await STORE.insert(row)
    out = json.dumps({"id": new_id}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(out)).encode())]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": out})
