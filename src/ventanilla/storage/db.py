"""Engine and session factory for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_S = 30


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        connect_args = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_S,
            "factory": _gated_connection_class(threading.Lock()),
        }
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


PING_AFTER_IDLE_S = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled connection before handing it out when it has sat in the pool for more
    than PING_AFTER_IDLE_S (the server may have closed it meanwhile: a restart, an idle
    timeout); a dead one is replaced. SQLAlchemy's pool_pre_ping checks every checkout, a
    round trip each time, though a connection back from its last use milliseconds ago is
    all but certainly alive, and an error on one that is not is handled as any other."""

    def checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["vt_idle_since"] = time.monotonic()

    def checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("vt_idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects anew
            raise

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checkout)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_S * 1000}")
    # Savepoint journals (one per stored inbound message under group commit) and temporary
    # sort tables in memory rather than in temporary files.
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    # Take the write lock at the start so concurrent writers queue instead of failing.
    dbapi_conn = conn.connection.dbapi_connection
    if isinstance(dbapi_conn, _GatedConnection):
        dbapi_conn.begin_immediate()
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_TEXT_QUEUE = "messages_fts_pending"
_INDEX_PENDING_TEXT = (
    "INSERT INTO messages_fts(rowid, text) SELECT m.id, m.text "
    "FROM messages_fts_pending p JOIN messages m ON m.id = p.id"
)


class _GatedConnection(sqlite3.Connection):
    """An SQLite connection whose transactions queue on a lock shared by one engine.

    Every transaction starts with BEGIN IMMEDIATE, which takes SQLite's write lock at once.
    Left to SQLite alone, the threads of one process waiting for that lock poll it with
    sleeps of up to 100 ms, which caps throughput and stretches latency under load; waiting
    on a lock wakes the next thread as soon as the transaction ends. Other processes still
    queue through SQLite's busy timeout.
    """

    gate: threading.Lock
    holds_gate = False
    changes_at_begin = -1
    has_text_index_queue = False

    def begin_immediate(self) -> None:
        if not self.holds_gate and self.gate.acquire(timeout=SQLITE_BUSY_S):
            self.holds_gate = True
        try:
            self.execute("BEGIN IMMEDIATE")
            self.changes_at_begin = self.total_changes
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            if not self.in_transaction:
                return
            if self.total_changes != self.changes_at_begin:
                self._index_pending_text()
            super().commit()
        finally:
            self._release()

    def _index_pending_text(self) -> None:
        """Index the text of the messages this transaction added or changed, in one
        statement (see migration 0003: one FTS5 write per message costs many times more)."""
        if not self.has_text_index_queue:
            found = self.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_TEXT_QUEUE,)
            ).fetchone()
            if found is None:  # a database not migrated that far yet
                return
            self.has_text_index_queue = True
        try:
            self.execute(_INDEX_PENDING_TEXT)
        except sqlite3.OperationalError as exc:
            # A downgrade below migration 0003 dropped the queue on this connection.
            if _TEXT_QUEUE not in str(exc):
                raise
            self.has_text_index_queue = False
            return
        self.execute("DELETE FROM messages_fts_pending")

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self.holds_gate:
            self.holds_gate = False
            self.gate.release()


def _gated_connection_class(gate: threading.Lock) -> type[_GatedConnection]:
    return type("GatedConnection", (_GatedConnection,), {"gate": gate})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
