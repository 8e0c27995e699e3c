"""The outbox and full-text search of messages

Revision ID: 0001b
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.storage.base

revision = "0001b"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", ventanilla.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("lease_until", ventanilla.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", ventanilla.storage.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", ventanilla.storage.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"], unique=False)
    _create_text_search()


def _create_text_search() -> None:
    """Full-text search of message text: FTS5 on SQLite, a GIN index on PostgreSQL."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE messages_fts USING fts5("
            "text, content='messages', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
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
    else:
        op.execute(
            "CREATE INDEX ix_messages_text_search ON messages "
            "USING gin (to_tsvector('simple', text))"
        )


def _drop_text_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trig in ("messages_fts_ai", "messages_fts_ad", "messages_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trig}")
        op.execute("DROP TABLE IF EXISTS messages_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_messages_text_search")


def downgrade() -> None:
    _drop_text_search()
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
