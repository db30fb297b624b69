"""The store's version: a counter that database triggers bump on every change to the scored tables.

Scored answers are cached per period and reused while the version stands still, so an agent's
repeated portfolio questions cost a lookup, yet any write by any process (a tool call, an import,
a sync, raw SQL) makes the next answer fresh.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Field, Session, SQLModel

WATCHED_TABLES = ("activity", "customer", "csm", "stakeholder")


class StoreVersion(SQLModel, table=True):
    __tablename__ = "store_version"  # type: ignore[assignment]

    id: int = Field(default=1, primary_key=True)
    version: int = 0


def current_version(session: Session) -> int:
    return int(session.connection().execute(text("SELECT version FROM store_version WHERE id = 1")).scalar_one())


def own_bumps(dialect: str, created: bool) -> int:
    """How much one activity insert moved the version: row-level triggers on SQLite fire only for a
    row really inserted; PostgreSQL's statement-level trigger fires for the statement regardless."""
    return 1 if dialect == "postgresql" else int(created)
