"""The store's tables (SQLModel) and what a caller may send to create an activity.

Enumerations are kept as plain strings in the tables (no database enum types, so migrations stay
simple on SQLite and PostgreSQL alike). A touchpoint comes in as `ActivityCreate`, checked against
the rules below (docs/rules.md) on validation; `engagement.writer` stores it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import NaiveDatetime, ValidationError, ValidationInfo, model_validator
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from engagement import checks
from engagement.errors import EngagementError
from engagement.periods import FIRST_YEAR
from engagement.vocabulary import (  # the domain's words and limits, kept where the queries read them without the tables
    ACTIVITY_TYPES,
    DIRECTIONS,
    MAX_DURATION_MINUTES,
    MAX_ID_LENGTH,
    MAX_PARTICIPANT_LENGTH,
    MAX_PARTICIPANTS,
    MAX_RESPONSE_HOURS,
    MAX_SOURCE_LENGTH,
    MAX_SUBJECT_LENGTH,
    STAKEHOLDER_LEVELS,
    ActivityType,
    Direction,
    StakeholderLevel,
)


def utcnow() -> dt.datetime:
    """Now as the store keeps times: UTC, without a zone (answers attach it: schemas.UtcDateTime)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
DATE_REQUIRED = f"date is required; use {checks.DATE_FORMS}."


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
    """Fields of one touchpoint, as SPEC.md lists them, but whom it was with. `date` is naive UTC."""

    type: str = Field(max_length=16)
    direction: str = Field(max_length=16)
    date: NaiveDatetime
    duration_minutes: float | None = None
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    stakeholder_level: str | None = Field(default=None, max_length=16)
    response_received: bool | None = None
    response_time_hours: float | None = None
    subject: str | None = Field(default=None, max_length=MAX_SUBJECT_LENGTH)
    source: str = Field(default="agent", max_length=MAX_SOURCE_LENGTH)
    external_id: str | None = Field(default=None, max_length=MAX_ID_LENGTH)


class Activity(ActivityBase, table=True):
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_activity_source_external_id"),
        Index("ix_activity_customer_date", "customer_id", "date"),
        Index("ix_activity_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


# Each field's check, for one value as a caller sent it (a CSV import applies them to a column's distinct
# cells; `strict=True` holds a JSON caller's value to its JSON type, engagement.checks). `date` is checked apart.
ACTIVITY_CHECKS: dict[str, Callable[..., Any]] = {
    "type": lambda v, strict=False: checks.choice("type", v, ACTIVITY_TYPES, required=True, strict=strict),
    "direction": lambda v, strict=False: checks.choice("direction", v, DIRECTIONS, required=True, strict=strict),
    "response_received": lambda v, strict=False: checks.flag("response_received", v, strict=strict),
    # empty: the caller's default source
    "source": lambda v, strict=False: checks.text("source", v, MAX_SOURCE_LENGTH, strict=strict),
    "duration_minutes": lambda v, strict=False: checks.number(
        "duration_minutes", v, maximum=MAX_DURATION_MINUTES, unit="minutes", strict=strict
    ),
    "participants": lambda v, strict=False: checks.contacts(
        "participants", v, most=MAX_PARTICIPANTS, longest=MAX_PARTICIPANT_LENGTH, strict=strict
    ),
    "stakeholder_level": lambda v, strict=False: checks.choice("stakeholder_level", v, STAKEHOLDER_LEVELS, strict=strict),
    "response_time_hours": lambda v, strict=False: checks.number(
        "response_time_hours", v, maximum=MAX_RESPONSE_HOURS, unit="hours", strict=strict
    ),
    "subject": lambda v, strict=False: checks.text("subject", v, MAX_SUBJECT_LENGTH, strict=strict),
    "external_id": lambda v, strict=False: checks.text("external_id", v, MAX_ID_LENGTH, strict=strict),
}
CHECKED_FIRST = ("type", "direction")  # then the date, then the rest in ACTIVITY_CHECKS' order


def activity_source(value: Any, default: str, *, strict: bool = False) -> str:
    """The source as stored: lower-cased, the caller's default (agent, csv, api, ...) when empty."""
    return (ACTIVITY_CHECKS["source"](value, strict=strict) or default).lower()


def activity_fields(raw: Mapping[str, Any], *, default_source: str, strict: bool = False) -> dict[str, Any]:
    """Every field of a touchpoint by its rule, in one order (type and direction, the date, the rest), as
    written: the date is None when left out and not yet held to the as-of day (`activity_date` does that)."""
    fields = {name: ACTIVITY_CHECKS[name](raw.get(name), strict=strict) for name in CHECKED_FIRST}
    fields["date"] = activity_when(raw.get("date"), strict=strict)
    for name, check in ACTIVITY_CHECKS.items():
        if name == "source":
            fields[name] = activity_source(raw.get(name), default_source, strict=strict)
        elif name not in fields:
            fields[name] = check(raw.get(name), strict=strict)
    return fields


def activity_when(value: Any, *, strict: bool = False) -> dt.datetime | None:
    """An activity's date in one of the ISO forms, as naive UTC; None when left out."""
    if strict and value is not None and not isinstance(value, str | dt.datetime):
        raise EngagementError(f"date must be text, not {checks.describe(value)}; use {checks.DATE_FORMS}.")
    if strict and isinstance(value, str) and not value.strip():
        raise EngagementError(f"date is blank; use {checks.DATE_FORMS}, or leave it out for now.")
    return None if _missing(value) else checks.when(value)


def activity_date(when: dt.datetime | None, as_of: dt.date | None) -> dt.datetime:
    """An activity's date (as `activity_when` read it) not before FIRST_YEAR and not after the as-of day
    (unless `as_of` is None: a calendar lists meetings ahead). Missing, it is the as-of date: now when that
    is today, else its 00:00 UTC."""
    if when is None:
        if as_of is None:
            raise EngagementError(DATE_REQUIRED)
        now = utcnow()
        when = now if now.date() == as_of else dt.datetime.combine(as_of, dt.time())
    if as_of is not None and when.date() > as_of:
        raise EngagementError(
            f"date {when.isoformat()} lies after the as-of date {as_of.isoformat()}; "
            "log activities once they have happened."
        )
    if when.year < FIRST_YEAR:
        raise EngagementError(
            f"date {when.date().isoformat()} is before {FIRST_YEAR}; give the real date of the activity."
        )
    return when


def _missing(value: Any) -> bool:
    return value is None or str(value).strip() == ""


class ActivityCreate(ActivityBase):
    """A touchpoint as a caller may send it (a tool call, a CSV row, a synced mail or meeting, the demo),
    checked by the rules on validation; the customer it was with is resolved apart.

    Validation needs a context: `as_of` (the day after which a date is refused; None for no bound,
    and then a date is required), `default_source` (for an empty source) and `strict` (a JSON caller's
    values). `checked` does that and raises EngagementError with the rule's own message.
    """

    type: ActivityType
    direction: Direction
    stakeholder_level: StakeholderLevel | None = None

    @model_validator(mode="before")
    @classmethod
    def _apply_rules(cls, data: Any, info: ValidationInfo) -> dict[str, Any]:
        context = info.context
        if not isinstance(context, Mapping) or "as_of" not in context:
            raise TypeError("ActivityCreate needs the as-of date: use ActivityCreate.checked(raw, as_of=...)")
        raw = data if isinstance(data, Mapping) else dict(data)
        fields = activity_fields(raw, default_source=context.get("default_source", "agent"), strict=context.get("strict", False))
        fields["date"] = activity_date(fields["date"], context["as_of"])
        return fields

    @classmethod
    def checked(
        cls, raw: Mapping[str, Any], *, as_of: dt.date | None, default_source: str = "agent", strict: bool = False
    ) -> ActivityCreate:
        """`raw` (a tool call's arguments, a CSV row's cells, ...) held to the rules, or EngagementError.
        `strict`: the values are a JSON caller's, held to their JSON types (engagement.checks)."""
        context = {"as_of": as_of, "default_source": default_source, "strict": strict}
        try:
            return cls.model_validate(raw, context=context)
        except ValidationError as exc:
            cause = exc.errors()[0].get("ctx", {}).get("error")
            if isinstance(cause, EngagementError):
                raise EngagementError(str(cause)) from None
            raise  # a value the rules passed but the model's types refuse: a bug in the rules


class RollupSums(SQLModel):
    """The sums a period's metrics take (engagement/rollup.py's definition, in its order), of a rollup row."""

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


class ActivityDay(RollupSums, table=True):
    """Per customer and UTC day, the sums a period's metrics take, kept by triggers on activity (migration
    0010, from engagement/rollup.py): a period reads a row per customer-day, not every activity."""

    __tablename__ = "activity_day"  # type: ignore[assignment]
    # PostgreSQL reads a period's days through the day index (rows are written in day order); SQLite
    # seeks each customer's days in its table, clustered by customer.
    __table_args__ = (Index("ix_activity_day_day", "day").ddl_if(dialect="postgresql"), {"sqlite_with_rowid": False})

    customer_id: str = Field(primary_key=True, max_length=64)
    day: dt.date = Field(primary_key=True)


class ActivityMonth(RollupSums, table=True):
    """Per customer and month (its first day), the sum of its activity_day rows and its latest day with
    activity, kept by triggers (migration 0010): a period's whole months read one row per customer."""

    __tablename__ = "activity_month"  # type: ignore[assignment]
    __table_args__ = (Index("ix_activity_month_month", "month").ddl_if(dialect="postgresql"), {"sqlite_with_rowid": False})

    customer_id: str = Field(primary_key=True, max_length=64)
    month: dt.date = Field(primary_key=True)
    last_day: dt.date


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


# -- Mail and calendar capture (engagement/capture) -------------------------------------------------


class CustomerDomain(SQLModel, table=True):
    """An email domain whose people belong to a customer, set by a person (free-mail never maps)."""

    __tablename__ = "customer_domain"  # type: ignore[assignment]

    domain: str = Field(primary_key=True, max_length=253)
    customer_id: str = Field(foreign_key="customer.id", max_length=64, index=True)


class SyncSource(SQLModel, table=True):
    """One CSM's mailbox, mail folder or calendar: its cursor (Gmail historyId, Calendar syncToken, Graph
    deltaLink) and how its last run went."""

    __tablename__ = "sync_source"  # type: ignore[assignment]
    __table_args__ = (UniqueConstraint("csm_id", "kind", name="uq_sync_source_csm_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    csm_id: str = Field(foreign_key="csm.id", max_length=64)
    kind: str = Field(max_length=16)  # gmail | calendar | outlook_inbox | outlook_sent | outlook_calendar
    account: str = Field(max_length=320)
    cursor: str | None = Field(default=None, max_length=4096)  # a Graph deltaLink is a long URL
    cursor_at: NaiveDatetime | None = None
    last_run_at: NaiveDatetime | None = None
    last_success_at: NaiveDatetime | None = None
    last_mode: str | None = Field(default=None, max_length=16)
    last_error: str | None = Field(default=None, max_length=1000)
    last_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SyncedMessage(SQLModel, table=True):
    """A message already read from one mailbox (or mail folder): so a resync skips it and replies find their thread."""

    __tablename__ = "synced_message"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("source_id", "message_id", name="uq_synced_message_source_message"),
        Index("ix_synced_message_thread", "source_id", "thread_id"),
        Index("ix_synced_message_root", "thread_root"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sync_source.id")
    message_id: str = Field(max_length=512)  # the provider's id in that mailbox (Graph's are ~150 characters)
    thread_id: str = Field(max_length=512)
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


class CaptureItem(SQLModel, table=True):
    """An external message or meeting one source saw in the last sync window, attributed or not: what the
    engagement-visibility share counts (engagement/capture/visibility.py)."""

    __tablename__ = "capture_item"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("source_id", "item_id", name="uq_capture_item_source_item"),
        Index("ix_capture_item_date", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sync_source.id")
    item_id: str = Field(max_length=1024)  # the provider's id in that source (a message or event id)
    kind: str = Field(max_length=16)  # email | meeting
    item_key: str = Field(max_length=512)  # Message-ID or meeting instance key: the same in every mailbox
    date: NaiveDatetime
    customer_id: str | None = Field(default=None, foreign_key="customer.id", max_length=64)
    unmatched: str | None = Field(default=None, max_length=2048)  # external domains no customer claims, comma-separated


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


# -- Score history, alerts and their notifications (engagement/alerts) ---------------------------


class ScoreHistory(SQLModel, table=True):
    """A customer's score as the daily check recorded it on `day` (engagement/alerts): written once, never
    changed, so a later change of data or weights cannot rewrite what was seen then."""

    __tablename__ = "score_history"  # type: ignore[assignment]
    __table_args__ = (Index("ix_score_history_day", "day"),)

    customer_id: str = Field(primary_key=True, foreign_key="customer.id", max_length=64)
    day: dt.date = Field(primary_key=True)
    engagement_score: float
    category: str = Field(max_length=16)
    email_volume: float
    email_response: float
    meeting_frequency: float
    meeting_quality: float
    stakeholder_breadth: float
    recency: float
    recorded_at: NaiveDatetime


class Alert(SQLModel, table=True):
    """Something about a customer that needs the CSM (docs/rules.md, "Alerts"): open, then acknowledged by
    a person, and resolved by the check once its condition clears."""

    # At most one active alert per customer and kind, which also makes two concurrent checks of the same
    # day raise it once (the second insert meets the key and does nothing). `active` is true while the
    # alert is open or acknowledged and NULL once resolved; NULLs never collide in a unique key (SQLite,
    # PostgreSQL), so resolved alerts may repeat. A partial index would say the same but needs each
    # dialect's own `where` option, which loads PostgreSQL's dialect in every SQLite server.
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "active", name="uq_alert_active_customer_kind"),
        Index("ix_alert_status_opened", "status", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: str = Field(foreign_key="customer.id", max_length=64)
    kind: str = Field(max_length=32)  # at_risk | score_drop | no_contact | no_executive_touchpoint
    day: dt.date  # the check's as-of day that raised it
    opened_at: NaiveDatetime
    number: float | None = None  # the number that raised it: the score, the drop, the days without contact
    details: str = Field(max_length=500)
    status: str = Field(default="open", max_length=16)  # open | acknowledged | resolved
    active: bool | None = True  # true until resolved, then NULL (see the unique key)
    acknowledged_at: NaiveDatetime | None = None
    acknowledged_by: str | None = Field(default=None, max_length=320)
    resolved_at: NaiveDatetime | None = None


class AlertOutbox(SQLModel, table=True):
    """One digest of a check's new alerts for one CSM, kept until the webhook (if any) took it."""

    __tablename__ = "alert_outbox"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    csm_id: str | None = Field(default=None, foreign_key="csm.id", max_length=64)
    day: dt.date
    digest: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: NaiveDatetime
    sent_at: NaiveDatetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
