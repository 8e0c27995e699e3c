"""Fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PG_URL, need, reachable
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.storage.base import Base
from ventanilla.storage.db import make_engine
from ventanilla.storage.migrate import upgrade

BACKENDS = ["sqlite", "postgresql"]
if os.environ.get("VENTANILLA_TEST_BACKENDS"):
    BACKENDS = os.environ["VENTANILLA_TEST_BACKENDS"].split(",")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private database for this test session, migrated once."""
    need(reachable("127.0.0.1", 5432), "PostgreSQL is not running on 127.0.0.1:5432")
    name = f"vt_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-key-0123456789",
        redis_channel=f"vt-test:{uuid.uuid4().hex}",
        assistant_enabled=False,  # tests that need the assistant turn it on
    )


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = Container(settings)
    yield c
    c.engine.dispose()
