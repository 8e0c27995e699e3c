"""Migrations go up, down and up again, and match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from tests.helpers import PG_URL, need, reachable
from ventanilla.storage.migrate import alembic_config, check, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    need(reachable("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    name = f"vt_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_round_trip_and_match_the_models(empty_database: str) -> None:
    upgrade(empty_database)
    check(empty_database)
    created = tables(empty_database)
    assert {"messages", "conversations", "outbox", "kb_articles"} <= created
    command.downgrade(alembic_config(empty_database), "base")
    assert not {t for t in tables(empty_database) if not t.startswith("messages_fts")}
    upgrade(empty_database)
    assert tables(empty_database) == created
