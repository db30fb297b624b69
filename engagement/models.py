"""The store's tables (SQLModel) and the shapes callers may send to create rows.

Enumerations are kept as plain strings in the tables (no database enum types, so migrations stay
simple on SQLite and PostgreSQL alike) and checked by the `*Create` models on the way in.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

Segment = Literal["Enterprise", "Mid-Market", "SMB"]
CustomerStatus = Literal["active", "renewed", "churned"]
ActivityType = Literal["email", "meeting", "call", "qbr", "message", "event"]
Direction = Literal["inbound", "outbound"]
StakeholderLevel = Literal["executive", "champion", "user"]

SEGMENTS: tuple[str, ...] = get_args(Segment)
STATUSES: tuple[str, ...] = get_args(CustomerStatus)
ACTIVITY_TYPES: tuple[str, ...] = get_args(ActivityType)
DIRECTIONS: tuple[str, ...] = get_args(Direction)
STAKEHOLDER_LEVELS: tuple[str, ...] = get_args(StakeholderLevel)


class Csm(SQLModel, table=True):
    """A customer success manager; `manager_id` points at the CSM they report to."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    manager_id: str | None = Field(default=None, foreign_key="csm.id", max_length=64)


class Customer(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200, index=True)
    segment: str = Field(max_length=16)
    csm_id: str | None = Field(default=None, foreign_key="csm.id", max_length=64, index=True)
    arr: float | None = None
    renewal_date: dt.date | None = None
    health_score: float | None = None
    status: str = Field(default="active", max_length=16)


class Stakeholder(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=64, index=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    title: str | None = Field(default=None, max_length=200)
    level: str | None = Field(default=None, max_length=16)


class ActivityBase(SQLModel):
    """Fields of one touchpoint, as SPEC.md lists them. `date` is naive UTC."""

    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    type: str = Field(max_length=16)
    direction: str = Field(max_length=16)
    date: NaiveDatetime
    duration_minutes: float | None = None
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stakeholder_level: str | None = Field(default=None, max_length=16)
    response_received: bool | None = None
    response_time_hours: float | None = None
    subject: str | None = Field(default=None, max_length=500)
    source: str = Field(default="agent", max_length=32)
    external_id: str | None = Field(default=None, max_length=512)


class Activity(ActivityBase, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_activity_source_external_id"),
        Index("ix_activity_customer_date", "customer_id", "date"),
        Index("ix_activity_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: NaiveDatetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))


class ActivityDay(SQLModel, table=True):
    """Per customer and UTC day, the sums a period's metrics take (metrics.AGGREGATE_COLUMNS), kept by
    triggers on activity (migration 0004): a period reads a row per customer-day, not every activity."""

    __tablename__ = "activity_day"  # type: ignore[assignment]
    # PostgreSQL reads a period's days through the day index (rows are written in day order); SQLite
    # scans its table, clustered by customer, faster than it would follow an index to each row.
    __table_args__ = (Index("ix_activity_day_day", "day").ddl_if(dialect="postgresql"), {"sqlite_with_rowid": False})

    customer_id: str = Field(primary_key=True, max_length=64)
    day: dt.date = Field(primary_key=True)
    emails_sent: int
    emails_received: int
    meetings_held: int
    qbrs_completed: int
    calls_made: int
    calls_received: int
    messages_sent: int
    messages_received: int
    executive_touchpoints: int
    responses_known: int
    responses_answered: int
    response_times: int
    meeting_minutes: float
    response_hours: float | None = None


class ActivityPersonMonth(SQLModel, table=True):
    """Per customer, month (its first day) and participant (trimmed, lower-cased): bit d-1 of `days` is
    set when they took part in an activity on day d. Kept by triggers on activity (migration 0004)."""

    __tablename__ = "activity_person_month"  # type: ignore[assignment]
    __table_args__ = (
        Index("ix_activity_person_month_month", "month").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    customer_id: str = Field(primary_key=True, max_length=64)
    month: dt.date = Field(primary_key=True)
    person: str = Field(primary_key=True)
    days: int


# -- Google Workspace capture (engagement/google) ---------------------------------------------------


class CustomerDomain(SQLModel, table=True):
    """An email domain whose people belong to a customer, set by a person (free-mail never maps)."""

    __tablename__ = "customer_domain"  # type: ignore[assignment]

    domain: str = Field(primary_key=True, max_length=253)
    customer_id: str = Field(foreign_key="customer.id", max_length=64, index=True)


class SyncSource(SQLModel, table=True):
    """One CSM's mailbox or calendar: its cursor (historyId / syncToken) and how its last run went."""

    __tablename__ = "sync_source"  # type: ignore[assignment]
    __table_args__ = (UniqueConstraint("csm_id", "kind", name="uq_sync_source_csm_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    csm_id: str = Field(foreign_key="csm.id", max_length=64)
    kind: str = Field(max_length=16)  # gmail | calendar
    account: str = Field(max_length=320)
    cursor: str | None = Field(default=None, max_length=1024)
    cursor_at: NaiveDatetime | None = None
    last_run_at: NaiveDatetime | None = None
    last_success_at: NaiveDatetime | None = None
    last_mode: str | None = Field(default=None, max_length=16)
    last_error: str | None = Field(default=None, max_length=1000)
    last_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SyncedMessage(SQLModel, table=True):
    """A Gmail message already read from one mailbox: so a resync skips it and replies find their thread."""

    __tablename__ = "synced_message"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("source_id", "message_id", name="uq_synced_message_source_message"),
        Index("ix_synced_message_thread", "source_id", "thread_id"),
        Index("ix_synced_message_root", "thread_root"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sync_source.id")
    message_id: str = Field(max_length=64)
    thread_id: str = Field(max_length=64)
    thread_root: str | None = Field(default=None, max_length=512)
    external_id: str | None = Field(default=None, max_length=512)  # the activity's, when it became one
    customer_id: str | None = Field(default=None, foreign_key="customer.id", max_length=64)
    direction: str | None = Field(default=None, max_length=16)
    date: NaiveDatetime


class SyncedEvent(SQLModel, table=True):
    """A calendar event instance seen in one calendar and the meeting activity it became, if any."""

    __tablename__ = "synced_event"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("source_id", "event_id", name="uq_synced_event_source_event"),
        Index("ix_synced_event_external_id", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sync_source.id")
    event_id: str = Field(max_length=1024)
    external_id: str | None = Field(default=None, max_length=512)


# -- The team server's users and their API tokens (engagement/users.py) ---------------------------


class AppUser(SQLModel, table=True):
    """Someone who may use the team server: a CSM or manager (a CSM of the store), or an admin."""

    __tablename__ = "app_user"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)  # stored lower-case
    role: str = Field(max_length=16)  # csm | manager | admin
    csm_id: str | None = Field(default=None, foreign_key="csm.id", max_length=64)
    created_at: NaiveDatetime


class ApiToken(SQLModel, table=True):
    """A bearer token of one user: only its SHA-256 is kept; `key_id` (in the token's text) finds the row."""

    __tablename__ = "api_token"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=32, unique=True)
    token_hash: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: NaiveDatetime
    expires_at: NaiveDatetime | None = None
    revoked_at: NaiveDatetime | None = None


class ServerSecret(SQLModel, table=True):
    """A secret the server made for itself (the dashboard's cookie-signing key), shared by its processes."""

    __tablename__ = "server_secret"  # type: ignore[assignment]

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)
