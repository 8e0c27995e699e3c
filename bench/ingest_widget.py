"""Widget-to-agent delivery latency with many connected widget sockets.

Opens N visitor sessions (`POST /widget/v1/session`) and N widget sockets, spread over the
given ports; one agent listens on `/api/v1/stream` (on the last port, so with two processes
half of the messages cross Redis). Then widgets send messages at a fixed pace and the time
from the widget's send to the agent's receipt of `message.created` is recorded, and, when
the inbox has the assistant on, the time until the assistant's reply reaches the agent.

Run on its own it compares, in one run on SQLite (embedded mode, one `ventanilla serve`),
the assistant computing its turns in a thread of the web process
(`VENTANILLA_ASSISTANT_PROCESSES=0`) with the assistant in a child process (`=1`), each
next to the same server's delivery alone (an inbox without the assistant):

    .venv/bin/python bench/ingest_widget.py [--quick] [--repeats 3] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
    # From the widget's send to the agent's receipt of the assistant's reply (when expected).
    replies: list[float] = field(default_factory=list)
    window_s: float = 0.0
    server_cpu_s: float = float("nan")  # the web process, over the measured messages
    helper_cpu_s: float = float("nan")  # its child processes (the assistant's pool)

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


@dataclass
class _Replies:
    """Conversations waiting for the assistant's first reply to a measured message."""

    waiting: dict[int, float] = field(default_factory=dict)  # conversation -> sent at
    got: list[float] = field(default_factory=list)


async def _agent(
    port: int,
    token: str,
    sent_at: dict[int, float],
    got: list[float],
    ready: asyncio.Event,
    replies: _Replies,
) -> None:
    url = f"ws://{HOST}:{port}/api/v1/stream?token={urllib.parse.quote(token)}"
    async with connect(url, open_timeout=30, ping_interval=None) as ws:
        ready.set()
        async for raw in ws:
            now = time.perf_counter()
            event: dict[str, Any] = json.loads(raw)
            if event.get("event") != "message.created":
                continue
            data = event.get("data") or {}
            text = str(data.get("text", ""))
            conv = int(data.get("conversation_id") or 0)
            if text.startswith(MARK):
                k = int(text.removeprefix(MARK))
                if k in sent_at:
                    t = sent_at.pop(k)
                    got.append(now - t)
                    if k >= 0:
                        replies.waiting[conv] = t
            elif data.get("author_type") == "assistant" and conv in replies.waiting:
                replies.got.append(now - replies.waiting.pop(conv))


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
    expect_replies: bool = False,
    cpu: Callable[[], tuple[float, float]] | None = None,
) -> WidgetResult:
    """``cpu`` gives the (web process, child processes) CPU seconds so far, if known."""
    t0 = time.perf_counter()
    tokens = await _sessions(ports, webchat_inbox, sockets)
    gate = asyncio.Semaphore(50)
    widgets = await asyncio.gather(*(_open_widget(p, t, gate) for p, t in tokens))
    drains = [asyncio.create_task(_drain(ws)) for ws in widgets]
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    ready = asyncio.Event()
    replies = _Replies()
    agent = asyncio.create_task(_agent(ports[-1], agent_token, sent_at, latencies, ready, replies))
    result = WidgetResult(len(widgets), 0, latencies, replies=replies.got)
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        await asyncio.sleep(1.0)  # let the hellos and resumes settle
        # Warm-up: the first messages also wake the assistant's lazily built index.
        await _send_paced(widgets, sent_at, range(-warmup, 0), rate_per_s)
        await asyncio.to_thread(settle)
        sent_at.clear()
        latencies.clear()
        replies.waiting.clear()
        # The thousand sockets' objects stay alive all along: keep them out of this
        # process's full garbage collections, whose pauses would count as latency.
        gc.collect()
        gc.freeze()
        result.setup_s = time.perf_counter() - t0
        cpu0 = cpu() if cpu else (float("nan"), float("nan"))
        w0 = time.perf_counter()
        result.sent = await _send_paced(widgets, sent_at, range(messages), rate_per_s)
        if expect_replies:  # the assistant may still be working through the messages
            deadline = time.perf_counter() + 60
            while len(replies.got) < len(latencies) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
        result.window_s = time.perf_counter() - w0
        if cpu:
            cpu1 = cpu()
            result.server_cpu_s, result.helper_cpu_s = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
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
        gc.unfreeze()
    return result


# --- run on its own: the assistant in a thread of the web process vs in a child process ----


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                kids = [int(c) for c in (task / "children").read_text().split()]
                out += kids
                todo += kids
    return out


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds of the web process, and of its (living) child processes."""
    import ingest_procs as procs

    helpers = 0.0
    for child in _descendants(pid):
        with contextlib.suppress(OSError):
            helpers += procs.cpu_seconds(child)
    return procs.cpu_seconds(pid), helpers


def _wait_tree_idle(pid: int) -> None:
    """Like ingest_procs.wait_idle, counting the assistant's child processes too."""
    import ingest_procs as procs

    pids = [pid, *_descendants(pid)]
    procs.wait_idle(pids, busy=0.15 / len(pids))


def _inboxes(port: int, token: str) -> tuple[int, int]:
    """(the demo web chat inbox, with the assistant; a new web chat inbox without it)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(f"http://{HOST}:{port}/api/v1/inboxes", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        items = json.loads(resp.read())["items"]
    webchat = next(int(i["id"]) for i in items if i["channel"] == "webchat")
    body: dict[str, object] = {
        "name": "Chat without assistant",
        "channel": "webchat",
        "settings": {"assistant": False},
    }
    req = urllib.request.Request(
        f"http://{HOST}:{port}/api/v1/inboxes",
        data=json.dumps(body).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return webchat, int(json.loads(resp.read())["id"])


MODES = (("in a thread of the web process", "0"), ("in a child process", "1"))
ON, OFF = "assistant answering", "delivery alone"


def _one_server(
    mode: str, processes: str, args: argparse.Namespace, work: Path
) -> dict[str, WidgetResult]:
    import ingest_procs as procs

    db = work / f"widget-{processes}-{time.monotonic_ns()}.db"
    env = {
        "VENTANILLA_DATABASE_URL": f"sqlite:///{db}",
        "VENTANILLA_ASSISTANT_PROCESSES": processes,
    }
    dep = procs.prepare_ventanilla(env)
    out: dict[str, WidgetResult] = {}
    with procs.servers([procs.ventanilla_command()], env, "/healthz", work) as ports:
        pid = procs.PIDS[ports[0]]
        webchat, quiet = _inboxes(ports[0], dep.token)
        for what, inbox in ((ON, webchat), (OFF, quiet)):
            print(f"  assistant {mode}: {what}, {args.sockets} sockets ...", flush=True)
            out[what] = asyncio.run(
                measure(
                    ports,
                    inbox,
                    dep.token,
                    sockets=args.sockets,
                    messages=args.messages,
                    rate_per_s=args.rate,
                    settle=lambda: _wait_tree_idle(pid),
                    expect_replies=what == ON,
                    cpu=lambda: _cpu(pid),
                )
            )
    return out


def _med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _report(runs: dict[tuple[str, str], list[WidgetResult]], args: argparse.Namespace) -> list[str]:
    lines = [
        "| assistant turns computed | inbox | p50 ms | p99 ms | p99 ms per run | lost "
        "| reply p50 / p99 ms | unanswered | web CPU ms/msg | child CPU ms/msg |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]

    def per_msg(seconds: float, w: WidgetResult) -> float:
        return seconds * 1000 / w.sent if w.sent else float("nan")

    for (mode, what), rs in runs.items():
        p50 = _med([r.pct(50) * 1000 for r in rs])
        p99 = _med([r.pct(99) * 1000 for r in rs])
        each = " ".join(f"{r.pct(99) * 1000:.1f}" for r in rs)
        lost = sum(r.lost for r in rs)
        if what == ON:
            rp50 = _med([percentile(r.replies, 50) * 1000 for r in rs])
            rp99 = _med([percentile(r.replies, 99) * 1000 for r in rs])
            reply = f"{rp50:.0f} / {rp99:.0f}"
            unanswered = str(sum(len(r.latencies) - len(r.replies) for r in rs))
        else:
            reply, unanswered = "-", "-"
        web = _med([per_msg(r.server_cpu_s, r) for r in rs])
        child = _med([per_msg(r.helper_cpu_s, r) for r in rs])
        lines.append(
            f"| {mode} | {what} | {p50:.1f} | {p99:.1f} | {each} | {lost} | {reply} "
            f"| {unanswered} | {web:.1f} | {child:.1f} |"
        )

    def p99(mode: str, what: str) -> float:
        return _med([r.pct(99) * 1000 for r in runs.get((mode, what), [])])

    thread, child = MODES[0][0], MODES[1][0]
    lines += [
        "",
        "| ratio of p99 (medians) | value |",
        "|---|---|",
        f"| assistant answering: in a thread / in a child process "
        f"| {p99(thread, ON) / p99(child, ON):.2f}x |",
        f"| in a child process: assistant answering / delivery alone "
        f"| {p99(child, ON) / p99(child, OFF):.2f}x |",
        f"| in a thread: assistant answering / delivery alone "
        f"| {p99(thread, ON) / p99(thread, OFF):.2f}x |",
        "",
        "| goal: widget-to-agent p99 < 50 ms, 1,000 sockets | p99 ms | met |",
        "|---|---|---|",
    ]
    for mode, _ in MODES:
        for what in (ON, OFF):
            value = p99(mode, what)
            met = value < 50 and args.sockets >= 1000
            lines.append(f"| {what}, turns {mode} | {value:.1f} | {'yes' if met else 'NO'} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 sockets, 60 messages")
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.messages = min(args.sockets, 200), 60
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    print(
        f"widget-to-agent: {os.cpu_count()} CPUs, load average {load_before:.2f}; "
        f"{args.sockets} sockets, {args.messages} messages at {args.rate:.0f}/s, "
        f"{args.repeats} repeats",
        flush=True,
    )
    runs: dict[tuple[str, str], list[WidgetResult]] = {
        (mode, what): [] for mode, _ in MODES for what in (ON, OFF)
    }
    work = Path(tempfile.mkdtemp(prefix="vt-bench-widget-"))
    try:
        for i in range(args.repeats):
            order = MODES if i % 2 == 0 else MODES[::-1]  # alternate which goes first
            for mode, processes in order:
                for what, result in _one_server(mode, processes, args, work).items():
                    runs[(mode, what)].append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {load_before:.2f} before the run; the run "
        f"took {time.monotonic() - started:.0f} s.",
        f"One `ventanilla serve` on SQLite per mode and repeat (a fresh database each); "
        f"{args.sockets} widget sockets, {args.messages} messages at {args.rate:.0f}/s after "
        f"50 warm-up messages; medians of {args.repeats} runs. Reply: from the widget's send "
        "to the agent's receipt of the assistant's reply.",
        "",
        *_report(runs, args),
    ]
    print("\n" + "\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
