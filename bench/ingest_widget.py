"""Widget-to-agent delivery latency with many connected widget sockets.

Opens N visitor sessions (`POST /widget/v1/session`) and N widget sockets, spread over the
given ports; one agent listens on `/api/v1/stream` (on the last port, so with two processes
half of the messages cross Redis). Then widgets send messages at a fixed pace and the time
from the widget's send to the agent's receipt of `message.created` is recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from ingest_load import HOST, percentile

MARK = "bench-widget-"


@dataclass
class WidgetResult:
    sockets: int
    sent: int
    latencies: list[float] = field(default_factory=list)
    setup_s: float = 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    @property
    def lost(self) -> int:
        return self.sent - len(self.latencies)


async def _sessions(ports: Sequence[int], inbox_id: int, count: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int) -> None:
            port = ports[i % len(ports)]
            async with gate:
                resp = await client.post(
                    f"http://{HOST}:{port}/widget/v1/session", json={"inbox_id": inbox_id}
                )
            resp.raise_for_status()
            out.append((port, resp.json()["token"]))

        await asyncio.gather(*(one(i) for i in range(count)))
    return out


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        async for _ in ws:
            pass


async def _open_widget(port: int, token: str, gate: asyncio.Semaphore) -> ClientConnection:
    url = f"ws://{HOST}:{port}/widget/v1/ws?token={urllib.parse.quote(token)}"
    async with gate:
        ws = await connect(url, open_timeout=30, max_queue=64, ping_interval=None)
        await ws.send(json.dumps({"type": "hello", "after": 0}))
    return ws


async def _agent(
    port: int, token: str, sent_at: dict[int, float], got: list[float], ready: asyncio.Event
) -> None:
    url = f"ws://{HOST}:{port}/api/v1/stream?token={urllib.parse.quote(token)}"
    async with connect(url, open_timeout=30, ping_interval=None) as ws:
        ready.set()
        async for raw in ws:
            now = time.perf_counter()
            event: dict[str, Any] = json.loads(raw)
            if event.get("event") != "message.created":
                continue
            text = str((event.get("data") or {}).get("text", ""))
            if text.startswith(MARK):
                k = int(text.removeprefix(MARK))
                if k in sent_at:
                    got.append(now - sent_at.pop(k))


async def _send_paced(
    widgets: list[ClientConnection],
    sent_at: dict[int, float],
    keys: range,
    rate_per_s: float,
    settle_s: float = 10.0,
) -> int:
    """Send one message per key from a spread of widgets; wait for the agent to see them."""
    start = time.perf_counter()
    for i, k in enumerate(keys):
        await asyncio.sleep(max(0.0, start + i / rate_per_s - time.perf_counter()))
        ws = widgets[(k * 37) % len(widgets)]
        frame = {"type": "message", "text": f"{MARK}{k}", "client_id": f"m{k}"}
        sent_at[k] = time.perf_counter()
        await ws.send(json.dumps(frame))
    deadline = time.perf_counter() + settle_s
    while any(k in sent_at for k in keys) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    return len(keys)


async def measure(
    ports: Sequence[int],
    webchat_inbox: int,
    agent_token: str,
    *,
    sockets: int = 1000,
    messages: int = 300,
    rate_per_s: float = 50.0,
    warmup: int = 50,
    settle: Callable[[], None] = lambda: None,
) -> WidgetResult:
    t0 = time.perf_counter()
    tokens = await _sessions(ports, webchat_inbox, sockets)
    gate = asyncio.Semaphore(50)
    widgets = await asyncio.gather(*(_open_widget(p, t, gate) for p, t in tokens))
    drains = [asyncio.create_task(_drain(ws)) for ws in widgets]
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    ready = asyncio.Event()
    agent = asyncio.create_task(_agent(ports[-1], agent_token, sent_at, latencies, ready))
    result = WidgetResult(len(widgets), 0, latencies)
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        await asyncio.sleep(1.0)  # let the hellos and resumes settle
        # Warm-up: the first messages also wake the assistant's lazily built index.
        await _send_paced(widgets, sent_at, range(-warmup, 0), rate_per_s)
        await asyncio.to_thread(settle)
        sent_at.clear()
        latencies.clear()
        result.setup_s = time.perf_counter() - t0
        result.sent = await _send_paced(widgets, sent_at, range(messages), rate_per_s)
    finally:
        agent.cancel()
        for task in drains:
            task.cancel()
        gate = asyncio.Semaphore(100)

        async def close(ws: ClientConnection) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), timeout=5)

        await asyncio.gather(*(close(ws) for ws in widgets))
        with contextlib.suppress(asyncio.CancelledError):
            await agent
    return result
