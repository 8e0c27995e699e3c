"""The inbound writer alone: CPU per batch of the group commit's write, on SQLite and on
PostgreSQL side by side, without HTTP.

Each database is migrated and loaded with the demo; batches of API-channel messages (1,000
customers, as in bench/ingest.py) go straight to `inbound_batch._receive_batch`, the code a
writer thread runs. It prints, per database, the median over the measured batches of the
writer's own CPU (its thread's user + system time, kernel network work included) and, on
PostgreSQL, the database server's CPU per batch (all its processes, over the whole run).

Usage (about a minute on 2 cores):

    .venv/bin/python bench/ingest_writer.py [--batch 8] [--batches 1000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import ingest_procs as procs


def _postgres_cpu_s() -> float:
    """CPU time of every PostgreSQL server process on this machine so far."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="vt-bench-writer-") as folder:
        yield f"sqlite:///{folder}/ventanilla.db"


def measure(url: str, batch: int, batches: int) -> dict[str, float]:
    env = {"VENTANILLA_DATABASE_URL": url, "VENTANILLA_ASSISTANT_ENABLED": "false"}
    if url.startswith("postgresql"):
        env |= {"VENTANILLA_REDIS_URL": procs.REDIS_URL, "VENTANILLA_REDIS_CHANNEL": "vt-bench-w"}
    procs.prepare_ventanilla(env)
    os.environ.update(env)
    from sqlalchemy import text

    from ventanilla.bootstrap import Container
    from ventanilla.channels.api import ApiChannel
    from ventanilla.config import Settings
    from ventanilla.services import inbound_batch

    container = Container(Settings())
    try:
        with container.uow() as uow:
            inbox = uow.session.execute(text("SELECT id FROM inboxes WHERE channel = 'api'"))
            inbox_id = int(inbox.scalar_one())
        channel = ApiChannel(None, None, container.http)
        run = uuid.uuid4().hex[:8]
        sent = 0

        def next_batch() -> list[inbound_batch._Pending]:
            nonlocal sent
            items = []
            for _ in range(batch):
                body = {
                    "external_id": f"{run}-{sent}",
                    "sender": {"id": f"{run}-c-{sent % 1000}", "name": f"Customer {sent % 1000}"},
                    "text": f"Hola, mi pedido {sent} no ha llegado todavía. ¿Pueden revisarlo?",
                }
                msg = channel.parse({}, json.dumps(body).encode())[0]
                items.append(inbound_batch._Pending(inbox_id, msg, Future(), None))
                sent += 1
            return items

        for _ in range(max(2000 // batch, 50)):  # every customer known, as in a steady load
            inbound_batch._receive_batch(container.uow, next_batch())
        if url.startswith("postgresql"):
            with container.engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
        server_before = _postgres_cpu_s()
        cpu = []
        for _ in range(batches):
            items = next_batch()
            started = time.thread_time()
            outcomes = inbound_batch._receive_batch(container.uow, items)
            cpu.append(time.thread_time() - started)
            bad = [o for o in outcomes if isinstance(o, Exception)]
            if bad:
                raise RuntimeError(f"a message was refused: {bad[0]!r}")
        server = (_postgres_cpu_s() - server_before) / batches
        median = statistics.median(cpu)
        return {
            "writer_ms": median * 1000,
            "writer_us_per_msg": median / batch * 1e6,
            "server_ms": server * 1000 if url.startswith("postgresql") else float("nan"),
        }
    finally:
        container.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8, help="messages per batch")
    parser.add_argument("--batches", type=int, default=1000, help="measured batches")
    args = parser.parse_args()
    rows = []
    with _sqlite_database() as url:
        rows.append(("SQLite", measure(url, args.batch, args.batches)))
    pg_port, redis_port = procs.service_ports()
    if procs.reachable(pg_port) and procs.reachable(redis_port):
        with procs.postgres_database() as url:
            rows.append(("PostgreSQL + Redis", measure(url, args.batch, args.batches)))
    else:
        print(f"PostgreSQL ({pg_port}) or Redis ({redis_port}) not reachable: SQLite only")
    print(f"\n{args.batch} messages a batch, median of {args.batches} batches\n")
    print("| database | writer CPU ms/batch | writer CPU µs/msg | database CPU ms/batch |")
    print("|---|---|---|---|")
    for name, got in rows:
        server = "—" if got["server_ms"] != got["server_ms"] else f"{got['server_ms']:.2f}"
        print(f"| {name} | {got['writer_ms']:.2f} | {got['writer_us_per_msg']:.0f} | {server} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
