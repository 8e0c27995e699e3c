"""resolutions from actions; conversations by creation time

A resolution can now come from an action run against the store's backend (an order's
status, a refund, a cancellation) as well as from an article: `resolutions.action` names
it. Conversations get an index on `created_at` for the assistant's outcome report, which
reads the conversations started in a period.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("action", sa.String(length=32), nullable=True))
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_created")
    with op.batch_alter_table("resolutions", schema=None) as batch_op:
        batch_op.drop_column("action")
