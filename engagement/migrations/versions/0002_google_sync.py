"""Google Workspace capture: customer domains, sync sources (cursors) and the messages/events seen.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_domain",
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.PrimaryKeyConstraint("domain"),
    )
    with op.batch_alter_table("customer_domain", schema=None) as batch_op:
        batch_op.create_index("ix_customer_domain_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "sync_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("csm_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("cursor", sa.String(length=1024), nullable=True),
        sa.Column("cursor_at", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_mode", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("last_counts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["csm_id"], ["csm.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("csm_id", "kind", name="uq_sync_source_csm_kind"),
    )

    op.create_table(
        "synced_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=False),
        sa.Column("thread_root", sa.String(length=512), nullable=True),
        sa.Column("external_id", sa.String(length=512), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("date", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["sync_source.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "message_id", name="uq_synced_message_source_message"),
    )
    with op.batch_alter_table("synced_message", schema=None) as batch_op:
        batch_op.create_index("ix_synced_message_thread", ["source_id", "thread_id"], unique=False)
        batch_op.create_index("ix_synced_message_root", ["thread_root"], unique=False)

    op.create_table(
        "synced_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=1024), nullable=False),
        sa.Column("external_id", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sync_source.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id", "event_id", name="uq_synced_event_source_event"),
    )
    with op.batch_alter_table("synced_event", schema=None) as batch_op:
        batch_op.create_index("ix_synced_event_external_id", ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("synced_event", schema=None) as batch_op:
        batch_op.drop_index("ix_synced_event_external_id")
    op.drop_table("synced_event")
    with op.batch_alter_table("synced_message", schema=None) as batch_op:
        batch_op.drop_index("ix_synced_message_root")
        batch_op.drop_index("ix_synced_message_thread")
    op.drop_table("synced_message")
    op.drop_table("sync_source")
    with op.batch_alter_table("customer_domain", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_domain_customer_id")
    op.drop_table("customer_domain")
