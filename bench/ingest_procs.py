"""Server processes for the ingest benchmark: start, wait until ready, always stop."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_ADMIN = os.environ.get("VENTANILLA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("VENTANILLA_BENCH_REDIS", "redis://127.0.0.1:6379/0")


PIDS: dict[int, int] = {}  # port -> pid of the server started on it


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], busy: float = 0.15, timeout_s: float = 30) -> None:
    """Wait (bounded) until the servers use less than `busy` of a core over half a second:
    start-up work such as building the assistant's index must not land in a measurement."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        c0 = sum(cpu_seconds(p) for p in pids)
        time.sleep(0.5)
        if (sum(cpu_seconds(p) for p in pids) - c0) / 0.5 < busy * len(pids):
            return


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def reachable(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_http(
    port: int, path: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=2) as resp:
                if resp.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout_s:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def servers(
    commands: list[list[str]], env: dict[str, str], ready_path: str, log_dir: Path
) -> Iterator[list[int]]:
    """Start one server per command ({port} is substituted); yields their ports."""
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    logs: list[Path] = []
    try:
        for i, command in enumerate(commands):
            port = free_port()
            logs.append(log_dir / f"server-{port}-{i}.log")
            argv = [part.replace("{port}", str(port)) for part in command]
            with logs[-1].open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
                    )
                )
            ports.append(port)
            PIDS[port] = procs[-1].pid
        for port, proc, log_path in zip(ports, procs, logs, strict=True):
            wait_http(port, ready_path, proc, log_path)
        wait_idle([p.pid for p in procs])
        yield ports
    finally:
        for proc in procs:
            stop(proc)


@contextlib.contextmanager
def background(commands: list[list[str]], env: dict[str, str], log_dir: Path) -> Iterator[None]:
    """Processes without a port (workers), stopped on exit."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i, argv in enumerate(commands):
            with (log_dir / f"background-{i}.log").open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        argv, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        time.sleep(1.0)
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(commands[0][:3])} exited with {proc.returncode}")
        yield
    finally:
        for proc in procs:
            stop(proc)


def run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(
        argv,
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {(done.stderr or done.stdout)[-800:]}")
    return done.stdout


@dataclass(frozen=True)
class Deployment:
    """A migrated Ventanilla database with the demo store loaded."""

    env: dict[str, str]
    token: str


def prepare_ventanilla(env: dict[str, str]) -> Deployment:
    ventanilla = str(BIN / "ventanilla")
    run([ventanilla, "migrate"], env)
    out = run([ventanilla, "demo"], env)
    tokens = re.findall(r"API token for (\S+): (\S+)", out)
    admin = [t for email, t in tokens if email.startswith("admin")] or [t for _, t in tokens]
    if not admin:
        raise RuntimeError("`ventanilla demo` printed no API token")
    return Deployment(env, admin[0])


def ventanilla_command() -> list[str]:
    return [str(BIN / "ventanilla"), "serve", "--host", HOST, "--port", "{port}"]


def worker_command() -> list[str]:
    return [str(BIN / "ventanilla"), "worker"]


def uvicorn_command(app: str, app_dir: Path, python: Path | None = None) -> list[str]:
    """The same server and flags `ventanilla serve` uses, for another ASGI app."""
    return [
        str(python or BIN / "python"),
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(app_dir),
        "--host",
        HOST,
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--no-proxy-headers",
    ]


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A private, empty PostgreSQL database for this run, dropped afterwards."""
    import psycopg

    name = f"vt_bench_{uuid.uuid4().hex[:10]}"
    admin_url = PG_ADMIN
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_ports() -> tuple[int, int]:
    pg = int(re.search(r":(\d+)/", PG_ADMIN).group(1))  # type: ignore[union-attr]
    redis = int(re.search(r":(\d+)/", REDIS_URL).group(1))  # type: ignore[union-attr]
    return pg, redis
