"""The store's version: a counter that database triggers bump on every change to the scored tables, and
the change log they write with it (which customer changed at which version, from which day).

Scored answers are cached per period and reused while the version stands still, so an agent's
repeated portfolio questions cost a lookup, yet any write by any process (a tool call, an import,
a sync, raw SQL) makes the next answer fresh: a score computed at an older version catches up by
rescoring the customers the log names since (engagement.scorer).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, text
from sqlmodel import Field, Session, SQLModel

WATCHED_TABLES = ("activity", "customer", "csm", "stakeholder")


class StoreVersion(SQLModel, table=True):
    __tablename__ = "store_version"  # type: ignore[assignment]

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    # The change log (score_change) holds every change after this version; older rows were pruned.
    changes_from: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class ScoreChange(SQLModel, table=True):
    """One customer changed at `version` (migration 0010's triggers write it with the version's bump): from
    `day` on (NULL: everything of theirs, their own row changed). A NULL customer: everyone (TRUNCATE)."""

    __tablename__ = "score_change"  # type: ignore[assignment]
    __table_args__ = (Index("ix_score_change_version", "version"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True))
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    customer_id: str | None = Field(default=None, max_length=64)
    day: dt.date | None = None


class ScoreSnapshot(SQLModel, table=True):
    """A period's scores' inputs as computed at `version` (engagement.snapshots), shared by every process."""

    __tablename__ = "score_snapshot"  # type: ignore[assignment]

    key: str = Field(primary_key=True, max_length=200)
    version: int = Field(sa_column=Column(BigInteger, nullable=False))
    written_at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


def current_version(session: Session) -> int:
    return int(session.connection().execute(text("SELECT version FROM store_version WHERE id = 1")).scalar_one())


LOCKED_VERSION = "engagement.locked_version"  # Session.info key: the version a write read under its lock


def lock_version(session: Session) -> None:
    """Take the version row's lock before a write's first statement (PostgreSQL; see db.session_scope)
    and remember the version it read: the store just before this write, since nobody else can move it now."""
    locked = session.connection().execute(text("SELECT version FROM store_version WHERE id = 1 FOR UPDATE")).scalar_one()
    session.info[LOCKED_VERSION] = int(locked)


def version_before_write(session: Session, created: int, version: int) -> int:
    """Inside a write transaction, after its inserts (`version`: the store's version read now): the version
    just before it changed anything.

    PostgreSQL's statement-level triggers bump once per statement (however many rows, even none), so it is
    the version read under the lock the write took first. SQLite has one writer and row-level triggers
    that fire only for a row really inserted: `version` less the `created` rows."""
    if session.get_bind().dialect.name == "postgresql":
        if LOCKED_VERSION not in session.info:
            raise RuntimeError("a PostgreSQL write must lock the store version first (engagement.db.session_scope)")
        return int(session.info[LOCKED_VERSION])
    return version - created


def changed_since(session: Session, since: int, version: int) -> dict[str, dt.date | None] | None:
    """The customers changed after version `since` up to `version` (read in the same snapshot as it), each
    with the earliest day a change touched (None: anything of theirs, their own row changed). None when
    the log cannot tell: it was pruned past `since`, or a change covered everyone (a TRUNCATE)."""
    connection = session.connection()
    if int(connection.execute(text("SELECT changes_from FROM store_version WHERE id = 1")).scalar_one()) > since:
        return None
    rows = connection.execute(
        text("SELECT customer_id, count(*) = count(day), min(day) FROM score_change "
             "WHERE version > :since AND version <= :version GROUP BY customer_id"),
        {"since": since, "version": version},
    ).all()  # fmt: skip
    if any(customer is None for customer, _, _ in rows):
        return None
    return {customer: _day(first) if dated else None for customer, dated, first in rows}


def _day(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)  # SQLite's text
