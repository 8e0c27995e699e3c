"""SQLite's full-text index of message text is written once per transaction, at commit, and
stays exactly in step with the committed messages through inserts, edits, deletions and
rollbacks."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.helpers import make_inbox
from tests.integration.test_inbound import api_msg
from ventanilla.bootstrap import Container
from ventanilla.config import Settings
from ventanilla.services import inbound
from ventanilla.storage.models import Message


@pytest.fixture
def sqlite_container(sqlite_template: Path, tmp_path: Path) -> Iterator[Container]:
    path = tmp_path / "fts.db"
    shutil.copy(sqlite_template, path)
    c = Container(
        Settings(
            environment="test",
            database_url=f"sqlite:///{path}",
            secret_key="test-secret-key-0123456789",
            assistant_enabled=False,
        )
    )
    yield c
    c.engine.dispose()


def found(c: Container, word: str) -> list[int]:
    with c.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :w ORDER BY rowid"),
            {"w": f'"{word}"'},
        )
        return [int(r[0]) for r in rows]


def index_is_sound(c: Container) -> None:
    """FTS5's own check that the index holds exactly the text of the messages table, and
    nothing is left waiting to be indexed."""
    with c.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
        )
        assert conn.execute(text("SELECT count(*) FROM messages_fts_pending")).scalar() == 0


def store(c: Container, inbox: int, ext: str, words: str) -> int:
    return inbound.receive(c.uow, inbox, api_msg(ext, f"cust-{ext}", words)).message_id


def test_committed_messages_are_found_at_once(sqlite_container: Container) -> None:
    c = sqlite_container
    inbox = make_inbox(c, "api")
    first = store(c, inbox, "a1", "mi cafetera no enciende")
    second = store(c, inbox, "a2", "la cafetera llegó rota")
    assert found(c, "cafetera") == [first, second]
    assert found(c, "enciende") == [first]
    assert found(c, "llego") == [second]  # diacritics folded, as before
    index_is_sound(c)


def test_edits_and_deletions_keep_the_index_exact(sqlite_container: Container) -> None:
    c = sqlite_container
    inbox = make_inbox(c, "api")
    kept = store(c, inbox, "b1", "pedido con retraso")
    gone = store(c, inbox, "b2", "pedido duplicado")
    with c.uow() as uow:
        s = uow.session
        msg = s.get(Message, kept)
        assert msg is not None
        msg.text = "pedido entregado"
        removed = s.get(Message, gone)
        s.delete(removed)
        uow.commit()
    assert found(c, "retraso") == []
    assert found(c, "entregado") == [kept]
    assert found(c, "duplicado") == []
    assert found(c, "pedido") == [kept]
    index_is_sound(c)


def test_a_message_added_and_changed_in_one_transaction(sqlite_container: Container) -> None:
    c = sqlite_container
    inbox = make_inbox(c, "api")
    with c.uow() as uow:
        edited = inbound.receive_in(uow, inbox, api_msg("c1", "cust-c", "borrador inicial"))
        dropped = inbound.receive_in(uow, inbox, api_msg("c2", "cust-c", "mensaje efimero"))
        s = uow.session
        msg = s.get(Message, edited.message_id)
        assert msg is not None
        msg.text = "texto definitivo"
        s.delete(s.get(Message, dropped.message_id))
        uow.commit()
    assert found(c, "borrador") == []
    assert found(c, "definitivo") == [edited.message_id]
    assert found(c, "efimero") == []
    index_is_sound(c)


def test_a_rolled_back_message_leaves_nothing_behind(sqlite_container: Container) -> None:
    c = sqlite_container
    inbox = make_inbox(c, "api")
    with c.uow() as uow:
        inbound.receive_in(uow, inbox, api_msg("d1", "cust-d", "nunca guardado"))
        uow.session.flush()  # written, then the block ends without a commit
    assert found(c, "guardado") == []
    with c.uow() as uow:
        assert uow.session.scalars(select(Message.id)).all() == []
    index_is_sound(c)


def test_rows_written_by_another_program_are_indexed_by_the_next_commit(
    sqlite_container: Container,
) -> None:
    c = sqlite_container
    inbox = make_inbox(c, "api")
    first = store(c, inbox, "e1", "primer mensaje")
    path = str(c.engine.url.database)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO messages (conversation_id, inbox_id, direction, author_type, text, "
            "private, delivery_status, meta, created_at) SELECT conversation_id, inbox_id, "
            "direction, author_type, 'importado a mano', private, delivery_status, meta, "
            "created_at FROM messages WHERE id = ?",
            (first,),
        )
        other.execute("COMMIT")
    finally:
        other.close()
    assert found(c, "importado") == []  # not indexed yet: that program knows nothing of it
    store(c, inbox, "e2", "segundo mensaje")
    assert len(found(c, "importado")) == 1
    index_is_sound(c)
