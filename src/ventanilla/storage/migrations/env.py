"""Alembic environment: SQLite in batch mode, PostgreSQL as is."""

from __future__ import annotations

from typing import Any

from alembic import context

from ventanilla.storage import models  # noqa: F401 - registers every table
from ventanilla.storage.base import Base
from ventanilla.storage.db import make_engine

# Objects created by hand in migrations that autogenerate cannot see.
HAND_MADE = {"messages_fts", "ix_messages_text_search"}


def include_name(name: str | None, type_: str, parent: Any) -> bool:
    return not (name and (name in HAND_MADE or name.startswith("messages_fts")))


def run() -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    assert url
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(url)
        with engine.connect() as conn:
            _configure(conn)
        engine.dispose()
    else:
        _configure(connectable)


def _configure(conn: Any) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
