"""Capture from more than one provider (Microsoft 365 beside Google): longer ids and cursors (Graph's
message ids, conversation ids and deltaLinks), and capture_item, what engagement visibility counts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_source", schema=None) as batch_op:
        batch_op.alter_column("cursor", existing_type=sa.String(length=1024), type_=sa.String(length=4096), existing_nullable=True)
    with op.batch_alter_table("synced_message", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=64), type_=sa.String(length=512), existing_nullable=False)
        batch_op.alter_column("thread_id", existing_type=sa.String(length=64), type_=sa.String(length=512), existing_nullable=False)

    op.create_table(
        "capture_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=512), nullable=False),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("unmatched", sa.String(length=2048), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["sync_source.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "item_id", name="uq_capture_item_source_item"),
    )
    with op.batch_alter_table("capture_item", schema=None) as batch_op:
        batch_op.create_index("ix_capture_item_date", ["date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("capture_item", schema=None) as batch_op:
        batch_op.drop_index("ix_capture_item_date")
    op.drop_table("capture_item")
    with op.batch_alter_table("synced_message", schema=None) as batch_op:
        batch_op.alter_column("thread_id", existing_type=sa.String(length=512), type_=sa.String(length=64), existing_nullable=False)
        batch_op.alter_column("message_id", existing_type=sa.String(length=512), type_=sa.String(length=64), existing_nullable=False)
    with op.batch_alter_table("sync_source", schema=None) as batch_op:
        batch_op.alter_column("cursor", existing_type=sa.String(length=4096), type_=sa.String(length=1024), existing_nullable=True)
