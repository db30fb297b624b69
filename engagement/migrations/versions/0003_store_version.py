"""The store's version counter and the triggers that bump it on every change to scored tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("activity", "customer", "csm", "stakeholder")
EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "store_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO store_version (id, version) VALUES (1, 0)")
    # The SQL is written out here, not imported, so this migration stays as it was when released.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_store_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE store_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bumps_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version()"
            )
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_{event}_bumps_version AFTER {event.upper()} ON {table} "
                "BEGIN UPDATE store_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_bumps_version ON {table}")
        op.execute("DROP FUNCTION bump_store_version()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER {table}_{event}_bumps_version")
    op.drop_table("store_version")
