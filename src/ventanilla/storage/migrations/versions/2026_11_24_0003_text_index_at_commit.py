"""text index written at commit

On SQLite, the full-text index of message text was written by a trigger on every insert.
FTS5 writes its pending terms out at the end of each statement that changes it, so that
cost a new index segment (and its merging) per message. Now the triggers only note which
messages changed, in messages_fts_pending, and the connection indexes all of them with one
statement just before the transaction commits (storage.db): the index is still exactly in
step with every committed message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TRIGGERS = ("messages_fts_ai", "messages_fts_ad", "messages_fts_au")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trig in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trig}")
    op.execute("CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY)")
    op.execute(
        "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
        "INSERT OR IGNORE INTO messages_fts_pending(id) VALUES (new.id); END"
    )
    # A message not indexed yet has nothing in the index to take out.
    op.execute(
        "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) "
        "SELECT 'delete', old.id, old.text "
        "WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id); "
        "DELETE FROM messages_fts_pending WHERE id = old.id; END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_au AFTER UPDATE OF text ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) "
        "SELECT 'delete', old.id, old.text "
        "WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.id); "
        "INSERT OR IGNORE INTO messages_fts_pending(id) VALUES (new.id); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "INSERT INTO messages_fts(rowid, text) SELECT m.id, m.text "
        "FROM messages_fts_pending p JOIN messages m ON m.id = p.id"
    )
    for trig in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trig}")
    op.execute("DROP TABLE messages_fts_pending")
    op.execute(
        "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN "
        "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) "
        "VALUES('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_au AFTER UPDATE OF text ON messages BEGIN "
        "INSERT INTO messages_fts(messages_fts, rowid, text) "
        "VALUES('delete', old.id, old.text); "
        "INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text); END"
    )
