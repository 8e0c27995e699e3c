"""A small closed-loop HTTP/1.1 load generator on asyncio streams (keep-alive, loopback only).

Fixed concurrency: each of N connections sends one request, waits for the whole response,
records the latency and sends the next, until the deadline. Connections are spread
round-robin over the target ports, which is how two web processes share the load.
It speaks raw HTTP/1.1 instead of using an HTTP client library so that the generator's own
CPU cost per request stays small next to the servers' on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"
MakeRequest = Callable[[int], bytes]


@dataclass
class Sample:
    """One measured window."""

    seconds: float
    ok: int
    errors: int
    latencies: list[float] = field(default_factory=list)
    server_cpu_s: float = float("nan")

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU time per successful request."""
        return self.server_cpu_s * 1000 / self.ok if self.ok else float("nan")

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)


@dataclass
class Result:
    """The median over repeated windows of the same target."""

    samples: list[Sample]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return statistics.median(s.rate for s in self.samples)

    def pct(self, p: float) -> float:
        return statistics.median(s.pct(p) for s in self.samples)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(s.cpu_ms for s in self.samples)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)

    def rates(self) -> str:
        return " ".join(f"{s.rate:.0f}" for s in self.samples)


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def post(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {HOST}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; returns (status, keep-alive)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") != "close"


class _Window:
    def __init__(self) -> None:
        self.recording = False
        self.reset()

    def reset(self) -> None:
        self.ok = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}


async def _connection(
    port: int,
    make: MakeRequest,
    counter: itertools.count[int],
    window: _Window,
    until: float,
    expect: int,
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.perf_counter() < until:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            request = make(next(counter))
            t0 = time.perf_counter()
            writer.write(request)
            try:
                status, keep = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                reader = writer = None
                if window.recording:
                    window.errors += 1
                continue
            elapsed = time.perf_counter() - t0
            if window.recording:
                window.statuses[status] = window.statuses.get(status, 0) + 1
                if status == expect:
                    window.ok += 1
                    window.latencies.append(elapsed)
                else:
                    window.errors += 1
            if not keep:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def run(
    ports: Sequence[int],
    make: MakeRequest,
    *,
    concurrency: int,
    warmup_s: float,
    duration_s: float,
    repeats: int,
    expect: int = 201,
    server_cpu: Callable[[], float] | None = None,
    after_warmup: Callable[[], None] | None = None,
) -> Result:
    """Warm up, then measure `repeats` consecutive windows of `duration_s` each."""
    counter = itertools.count()
    window = _Window()
    start = time.perf_counter()
    until = start + warmup_s + duration_s * repeats
    tasks = [
        asyncio.create_task(
            _connection(ports[i % len(ports)], make, counter, window, until, expect)
        )
        for i in range(concurrency)
    ]
    samples: list[Sample] = []
    statuses: dict[int, int] = {}
    await asyncio.sleep(warmup_s)
    if after_warmup is not None:
        await asyncio.to_thread(after_warmup)
    for _ in range(repeats):
        window.reset()
        window.recording = True
        t0 = time.perf_counter()
        cpu0 = server_cpu() if server_cpu else float("nan")
        await asyncio.sleep(duration_s)
        window.recording = False
        cpu = (server_cpu() if server_cpu else float("nan")) - cpu0
        elapsed = time.perf_counter() - t0
        samples.append(Sample(elapsed, window.ok, window.errors, window.latencies, cpu))
        for k, v in window.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    done, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
    for task in done:
        if task.exception() is not None:
            raise RuntimeError(f"load generator connection failed: {task.exception()!r}")
    return Result(samples, statuses)
