"""Statements run on the driver connection, compiled once by SQLAlchemy.

The inbound hot path's statements run on the driver connection itself, compiled once by
SQLAlchemy (same SQL, same column defaults, same value conversions, errors raised as
SQLAlchemy's): SQLAlchemy's per-execution work costs several times what SQLite does to run
them. On PostgreSQL the batch statements (`execute`, `executemany`) run on psycopg too,
with positional parameters, so each statement has one text whatever its values and psycopg
prepares it on the server; `pipeline` sends several of them in one round trip. The single
statements (`first`, `insert`, `write`) go through SQLAlchemy there.
"""

from __future__ import annotations

import contextlib
import copy
import json
import weakref
from collections.abc import Callable, Iterator
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
        self._empties: dict[str, Any] = {}
        self.from_json = _from_json(table, dialect, self.params) if keys is not None else ""

    def values(self, given: dict[str, Any]) -> dict[str, Any]:
        """The row with the column defaults filled in, values as given (unconverted)."""
        out = {}
        for name, fallback, _ in self.params:
            if name in given:
                out[name] = given[name]
            elif fallback is not None:
                out[name] = fallback()
            else:
                raise KeyError(f"no value for {name}")
        return out

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
            elif value == {} and type(value) is dict:  # most JSON columns hold nothing yet
                out.append(self._empty(name, convert))
            else:
                out.append(convert(value))
        return out

    def _empty(self, name: str, convert: Callable[[Any], Any]) -> Any:
        """The conversion of an empty dict for this parameter, made once."""
        found = self._empties.get(name)
        if found is None:
            found = self._empties[name] = convert({})
        return found


def _from_json(table: Any, dialect: Dialect, params: list[tuple[str, Any, Any]]) -> str:
    """PostgreSQL: the INSERT of these columns taking its rows from one JSON array of
    objects (keyed by column name)."""
    if dialect.name != "postgresql":
        return ""
    quote = dialect.identifier_preparer.quote
    columns = [table.c[name] for name, _, _ in params]
    names = ", ".join(quote(c.name) for c in columns)
    types = ", ".join(f"{quote(c.name)} {c.type.compile(dialect=dialect)}" for c in columns)
    target = dialect.identifier_preparer.format_table(table)
    rows = f"json_to_recordset(CAST(%s AS JSON)) AS r({types})"
    return f"INSERT INTO {target} ({names}) SELECT {names} FROM {rows}"  # noqa: S608 - metadata


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


_PREPARED: dict[tuple[int, frozenset[str] | None, str], _Prepared] = {}
_POSITIONAL: weakref.WeakKeyDictionary[Dialect, Dialect] = weakref.WeakKeyDictionary()


def _positional(dialect: Dialect) -> Dialect:
    """The dialect itself, or for a named-parameter one (psycopg's) a copy that compiles
    `%s` placeholders: the driver takes the values as a list, in order."""
    if dialect.positional:
        return dialect
    found = _POSITIONAL.get(dialect)
    if found is None:
        found = copy.copy(dialect)
        found.paramstyle = "format"
        found.positional = True
        _POSITIONAL[dialect] = found
    return found


def _prepared(conn: Connection, stmt: Executable, keys: list[str] | None) -> _Prepared:
    key = (id(stmt), frozenset(keys) if keys is not None else None, conn.dialect.name)
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _Prepared(stmt, _positional(conn.dialect), keys)
    return prepared


def execute(conn: Connection, stmt: Executable, params: dict[str, Any]) -> Any:
    """The statement on the driver connection; returns the driver's cursor (inside a
    `pipeline`, read it after the block)."""
    sql, args = compiled(conn, stmt, params)
    return run(conn, sql, args)  # errors are the same exception classes as through SQLAlchemy


def executemany(conn: Connection, stmt: Executable, rows: list[dict[str, Any]]) -> None:
    """Run one statement for many rows of the same keys on the driver connection."""
    if not rows:
        return
    prepared = _prepared(conn, stmt, sorted(rows[0]) if isinstance(stmt, Insert) else None)
    driver: Any = conn.connection.dbapi_connection
    args = [prepared.args(row) for row in rows]
    errors = conn.dialect.loaded_dbapi.Error
    try:
        driver.cursor().executemany(prepared.sql, args)
    except errors as exc:
        raise DBAPIError.instance(prepared.sql, args[:1], exc, errors) from exc


def insert_from_json(
    conn: Connection, stmt: Insert, rows: list[dict[str, Any]]
) -> tuple[str, list[Any]]:
    """PostgreSQL: the INSERT of rows of the same keys (at least one) as one statement with
    one parameter, the rows as a JSON array, to run with `run`. `executemany` sends a
    statement per row, each costing the client about as much as a whole statement, and
    psycopg dumps a JSON string far faster than a list per column."""
    prepared = _prepared(conn, stmt, sorted(rows[0]))
    return prepared.from_json, [to_json([prepared.values(row) for row in rows])]


def to_json(value: Any) -> str:
    """JSON for PostgreSQL to read back: aware datetimes as ISO 8601."""
    return json.dumps(value, separators=(",", ":"), default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use aware UTC")
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def compiled(conn: Connection, stmt: Executable, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """The driver's SQL for the statement and its values in order, to run with `run`,
    possibly as part of a larger statement."""
    prepared = _prepared(conn, stmt, sorted(params) if isinstance(stmt, Insert) else None)
    return prepared.sql, prepared.args(params)


def run(conn: Connection, sql: str, args: list[Any]) -> Any:
    """Driver SQL with positional values on the driver connection; returns the cursor."""
    driver: Any = conn.connection.dbapi_connection
    errors = conn.dialect.loaded_dbapi.Error
    try:
        return driver.execute(sql, args)
    except errors as exc:
        raise DBAPIError.instance(sql, args, exc, errors) from exc


@contextlib.contextmanager
def pipeline(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, the driver statements run in the block reach the server together and
    their results come back together: one round trip. The cursors `execute` returned in the
    block are read after it. A failed statement fails the ones after it, and the error is
    raised at the end of the block, as SQLAlchemy's. Elsewhere the block runs as it is."""
    if conn.dialect.name != "postgresql":
        yield
        return
    driver: Any = conn.connection.dbapi_connection
    errors = conn.dialect.loaded_dbapi.Error
    try:
        with driver.pipeline():
            yield
    except errors as exc:
        raise DBAPIError.instance("(pipeline)", None, exc, errors) from exc
