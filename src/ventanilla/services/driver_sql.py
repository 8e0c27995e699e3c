"""Statements run on SQLite's driver connection, compiled once by SQLAlchemy.

On SQLite the inbound hot path's statements run on the driver connection itself, compiled
once by SQLAlchemy (same SQL, same column defaults, same value conversions, errors raised
as SQLAlchemy's): SQLAlchemy's per-execution work costs several times what SQLite does to
run them. On PostgreSQL they run through SQLAlchemy, whose cost there is small next to the
round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ClauseElement, Connection, Dialect, Executable, Insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler


def first(conn: Connection, stmt: Executable, params: dict[str, Any]) -> Any:
    if conn.dialect.name == "sqlite":
        return execute(conn, stmt, params).fetchone()
    return conn.execute(stmt, params).first()


def insert(conn: Connection, stmt: Executable, params: dict[str, Any]) -> int:
    if conn.dialect.name == "sqlite":
        return int(execute(conn, stmt, params).lastrowid)
    key = conn.execute(stmt, params).inserted_primary_key
    assert key is not None
    return int(key[0])


def write(conn: Connection, stmt: Executable, params: dict[str, Any]) -> None:
    if conn.dialect.name == "sqlite":
        execute(conn, stmt, params)
    else:
        conn.execute(stmt, params)


class _Prepared:
    """A statement compiled for the driver: its SQL and, per positional parameter, where the
    value comes from (the caller, a column default or a literal) and its conversion."""

    def __init__(self, stmt: Executable, dialect: Dialect, keys: list[str] | None) -> None:
        compiled = cast(
            SQLCompiler, cast(ClauseElement, stmt).compile(dialect=dialect, column_keys=keys)
        )
        self.sql = compiled.string
        table = getattr(stmt, "table", None)
        self.params: list[tuple[str, Callable[[], Any] | None, Callable[[Any], Any] | None]] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            fallback = _default_of(table, name) if keys is not None else None
            if fallback is None and not bind.required:
                fallback = _constant(bind.value)
            self.params.append((name, fallback, convert))
        # The last datetime converted and its result: rows written together share one.
        self._last: tuple[Any, Any] = (None, None)

    def args(self, given: dict[str, Any]) -> list[Any]:
        out = []
        for name, fallback, convert in self.params:
            if name in given:
                value = given[name]
            elif fallback is not None:
                value = fallback()
            else:
                raise KeyError(f"no value for {name}")
            if convert is None:
                out.append(value)
            elif isinstance(value, datetime):
                last = self._last
                if last[0] is not value:
                    last = self._last = (value, convert(value))
                out.append(last[1])
            else:
                out.append(convert(value))
        return out


def _default_of(table: Any, name: str) -> Callable[[], Any] | None:
    column = table.c.get(name) if table is not None else None
    default = getattr(column, "default", None)
    if default is None:
        return None
    if default.is_scalar:
        return _constant(default.arg)
    if default.is_callable:
        return lambda: default.arg(None)
    return None


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


_PREPARED: dict[tuple[int, frozenset[str] | None], _Prepared] = {}


def execute(conn: Connection, stmt: Executable, params: dict[str, Any]) -> Any:
    is_insert = isinstance(stmt, Insert)
    key = (id(stmt), frozenset(params) if is_insert else None)
    prepared = _PREPARED.get(key)
    if prepared is None:
        keys = sorted(params) if is_insert else None
        prepared = _PREPARED[key] = _Prepared(stmt, conn.dialect, keys)
    driver: Any = conn.connection.dbapi_connection
    args = prepared.args(params)
    errors = conn.dialect.loaded_dbapi.Error
    try:
        return driver.execute(prepared.sql, args)
    except errors as exc:  # the same exception classes as through SQLAlchemy
        raise DBAPIError.instance(prepared.sql, args, exc, errors) from exc


def executemany(conn: Connection, stmt: Executable, rows: list[dict[str, Any]]) -> None:
    """Run one statement for many rows of the same keys on the driver connection (SQLite)."""
    if not rows:
        return
    keys = sorted(rows[0]) if isinstance(stmt, Insert) else None
    key = (id(stmt), frozenset(keys) if keys is not None else None)
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _Prepared(stmt, conn.dialect, keys)
    driver: Any = conn.connection.dbapi_connection
    args = [prepared.args(row) for row in rows]
    errors = conn.dialect.loaded_dbapi.Error
    try:
        driver.executemany(prepared.sql, args)
    except errors as exc:
        raise DBAPIError.instance(prepared.sql, args[:1], exc, errors) from exc
