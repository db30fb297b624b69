"""Reading a period's numbers from the store's rollups and the known stakeholders' levels, and the
insert that skips rows already stored (activities are written through `engagement.writer`).

Lookups of what a caller names (customers, CSMs) are in `engagement.lookup`; which customers a
question covers is `engagement.scope`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, case, func, true
from sqlmodel import Session, col, select

from engagement.metrics import AGGREGATE_COLUMNS, PeriodInputs
from engagement.models import Activity, ActivityDay, ActivityPersonMonth, Customer, Stakeholder
from engagement.periods import Period, add_months, month_start
from engagement.scope import Scope, Shape

def _scope_conditions(shape: Shape, customer_column: Any) -> list[ColumnElement[bool]]:
    """The scope's test as bound parameters (Scope.params), over the customer table joined on `customer_column`."""
    if shape.one_customer:
        return [customer_column == bindparam("scope_customer")]
    c = Customer.__table__.c
    parts = [] if shape.include_churned else [c.status != "churned"]
    if shape.by_csm:
        parts.append(c.csm_id.in_(bindparam("scope_csms", expanding=True)))
    if shape.by_segment:
        parts.append(c.segment == bindparam("scope_segment"))
    return parts


def _scoped(query: Select[Any], shape: Shape, customer_column: Any) -> Select[Any]:
    """`query` over rollup rows limited to the scope's customers. One customer needs no join; a whole
    portfolio (churned or not) neither: every customer's rows are read anyway, and the caller keeps the
    scope's (`positions`) - cheaper than joining the customer table to drop the few churned ones."""
    if shape.one_customer:
        return query.where(*_scope_conditions(shape, customer_column))
    if not (shape.by_csm or shape.by_segment):
        return query
    query = query.join(Customer.__table__, Customer.__table__.c.id == customer_column)
    return query.where(*_scope_conditions(shape, customer_column))


@functools.cache
def _customers_statement(shape: Shape) -> Select[Any]:
    c = Customer.__table__.c
    return (
        select(c.id, c.name, c.segment, c.csm_id, c.status, c.health_score, c.renewal_date)
        .where(*_scope_conditions(shape, c.id))
        .order_by(c.id)
    )


# The outcomes (health, renewal date) ride along so analysis reads them from the same cached table.
CUSTOMER_COLUMNS = ("customer_id", "name", "segment", "csm_id", "status", "health_score", "renewal_date")


def customer_columns(session: Session, scope: Scope) -> dict[str, np.ndarray]:
    """The scope's customers ordered by id, as object arrays (CUSTOMER_COLUMNS)."""
    rows = session.connection().execute(_customers_statement(scope.shape), scope.params).all()
    columns = list(zip(*rows)) if rows else [()] * len(CUSTOMER_COLUMNS)
    return {name: _objects(values) for name, values in zip(CUSTOMER_COLUMNS, columns)}


def customer_columns_of(customer: Customer) -> dict[str, np.ndarray]:
    """`customer_columns` of one customer already read."""
    values = (customer.id, customer.name, customer.segment, customer.csm_id, customer.status, customer.health_score,
              customer.renewal_date)
    return {name: _objects([value]) for name, value in zip(CUSTOMER_COLUMNS, values)}


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _is(column: Any, *values: str) -> ColumnElement[bool]:
    return column.in_(values) if len(values) > 1 else column == values[0]


@functools.cache
def activity_sums() -> tuple[Any, ...]:
    """Per activity group, the labelled sums of metrics.AGGREGATE_COLUMNS over raw activities: what
    activity_day holds per customer-day (migration 0004 keeps it; the SQLite bulk import adds to it)."""
    a = Activity.__table__.c
    email_out = and_(a.type == "email", a.direction == "outbound")
    answered = and_(email_out, a.response_received.is_(True))

    def count(*conditions: ColumnElement[bool]) -> Any:
        return func.sum(case((and_(*conditions), 1), else_=0))

    meetings = _is(a.type, "meeting", "qbr")
    columns = {
        "emails_sent": count(email_out),
        "emails_received": count(a.type == "email", a.direction == "inbound"),
        "meetings_held": count(meetings),
        "qbrs_completed": count(a.type == "qbr"),
        "calls_made": count(a.type == "call", a.direction == "outbound"),
        "calls_received": count(a.type == "call", a.direction == "inbound"),
        "messages_sent": count(a.type == "message", a.direction == "outbound"),
        "messages_received": count(a.type == "message", a.direction == "inbound"),
        "executive_touchpoints": count(a.stakeholder_level == "executive"),
        "responses_known": count(email_out, a.response_received.is_not(None)),
        "responses_answered": count(answered),
        "response_times": count(answered, a.response_time_hours.is_not(None)),
        "meeting_minutes": func.sum(case((meetings, func.coalesce(a.duration_minutes, 0.0)), else_=0.0)),
        "response_hours": func.sum(case((answered, a.response_time_hours), else_=None)),
    }
    if list(columns) != AGGREGATE_COLUMNS[1:]:
        raise AssertionError("sums out of step with metrics.AGGREGATE_COLUMNS")
    return tuple(value.label(name) for name, value in columns.items())


@functools.cache
def _sums_statement(shape: Shape) -> Select[Any]:
    """The period's sums per customer from the per-day rollup (whole days, both bounds inclusive), and
    each one's latest day with activity in it."""
    d = ActivityDay.__table__.c
    sums = [func.sum(d[name]).label(name) for name in AGGREGATE_COLUMNS[1:]]
    in_period = and_(d.day >= bindparam("first_day"), d.day <= bindparam("last_day"))
    query = select(d.customer_id, *sums, func.max(d.day).label("last_day")).where(in_period)
    return _scoped(query, shape, d.customer_id).group_by(d.customer_id)


ALL_DAYS = 2**31 - 1  # bits 0-30: every day of a month


@functools.cache
def _people_statement(shape: Shape) -> Select[Any]:
    """Distinct participants per customer: people whose day bits in the period's months meet the period's
    days (its first and last month may be partial; the months between are whole)."""
    m = ActivityPersonMonth.__table__.c
    first, last = bindparam("first_month"), bindparam("last_month")
    period_days = case((m.month == first, bindparam("first_mask")), (m.month == last, bindparam("last_mask")),
                       else_=ALL_DAYS)
    query = select(m.customer_id, func.count(m.person.distinct())).where(
        m.month >= first, m.month <= last, m.days.op("&")(period_days) != 0
    )
    return _scoped(query, shape, m.customer_id).group_by(m.customer_id)


def _day_bits(first: int, last: int) -> int:
    """Bits first-1 .. last-1: days first..last of a month."""
    return (1 << last) - (1 << (first - 1))


def _period_params(period: Period) -> dict[str, Any]:
    first_month, last_month = month_start(period.start), month_start(period.end)
    month_end = add_months(first_month, 1) - dt.timedelta(days=1)
    return {
        "first_day": period.start, "last_day": period.end, "first_month": first_month, "last_month": last_month,
        "first_mask": _day_bits(period.start.day, min(period.end, month_end).day),
        "last_mask": _day_bits(1, period.end.day),
    }


@functools.cache
def _last_contact_statement(shape: Shape, dialect: str, among: bool = False) -> Select[Any]:
    """Each scope customer's latest activity before :end (the one stored last among equal dates):
    one probe of the (customer_id, date) index per customer, instead of grouping all their history.
    PostgreSQL reads the row in the probe (LATERAL); SQLite, which has no LATERAL, looks it up by id."""
    a, c = Activity.__table__.c, Customer.__table__.c
    x = Activity.__table__.alias("x")
    latest = (
        select(x.c.id, x.c.date, x.c.type)
        .where(x.c.customer_id == c.id, x.c.date < bindparam("end"))
        .order_by(x.c.date.desc(), x.c.id.desc())
        .limit(1)
    )
    if dialect == "postgresql":
        row = latest.lateral("latest")
        query = select(c.id, row.c.date, row.c.type).select_from(Customer.__table__.join(row, true()))
    else:
        query = select(c.id, a.date, a.type).select_from(
            Customer.__table__.join(Activity.__table__, a.id == latest.with_only_columns(x.c.id).scalar_subquery())
        )
    if among:  # customers named by id (bound as :among), all in the scope
        return query.where(c.id.in_(bindparam("among", expanding=True)))
    return query.where(*_scope_conditions(shape, c.id))


def period_inputs(
    session: Session, scope: Scope, positions: dict[str, int], period: Period, exact_last_contact: bool = True
) -> PeriodInputs:
    """The period's sums, distinct participants and last contacts of the scope's customers, aligned to
    `positions` (customer id -> row): two GROUP BYs over the rollups and an index probe per customer.

    Without `exact_last_contact` the last contact is only its day (midnight, no type), which is all a
    score needs (recency counts whole days): the latest day in the period where there is one, so only
    customers without activity in the period are probed."""
    connection = session.connection()
    params = {**scope.params, **_period_params(period)}
    count = len(positions)
    sums = np.full((count, len(AGGREGATE_COLUMNS) - 1), np.nan)
    last_day = np.full(count, None, dtype=object)
    for cid, *values, day in connection.execute(_sums_statement(scope.shape), params):
        if (row := positions.get(cid)) is not None:
            sums[row], last_day[row] = values, day
    people = np.zeros(count)
    for cid, number in connection.execute(_people_statement(scope.shape), params):
        if (row := positions.get(cid)) is not None:
            people[row] = number
    if exact_last_contact:
        last_date, last_type = last_contacts(session, scope, positions, period.end_exclusive_dt())
    else:
        quiet = [cid for cid, row in positions.items() if last_day[row] is None]
        last_date = last_day.astype("datetime64[D]").astype("datetime64[us]")
        last_type = np.full(count, None, dtype=object)
        if quiet:
            among = quiet if len(quiet) <= MAX_PROBED_BY_ID else None  # many: probing the whole scope is as cheap
            before, _ = last_contacts(session, scope, positions, period.end_exclusive_dt(), among)
            rows = [positions[cid] for cid in quiet]
            last_date[rows] = before[rows].astype("datetime64[D]").astype("datetime64[us]")
    return PeriodInputs(sums, people, last_date, last_type)


MAX_PROBED_BY_ID = 5000  # customers named in one IN list (SQLite allows 32,766 parameters)


def last_contacts(
    session: Session, scope: Scope, positions: dict[str, int], end_exclusive: dt.datetime,
    among: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each scope customer's latest activity before `end_exclusive`: dates (NaT if never) and types.
    With `among`, only those customers (of the scope) are probed; the others stay NaT."""
    connection = session.connection()
    count = len(positions)
    last_date = np.full(count, np.datetime64("NaT"), dtype="datetime64[us]")
    last_type = np.full(count, None, dtype=object)
    params = {**scope.params, "end": end_exclusive, "among": among or []}
    statement = _last_contact_statement(scope.shape, session.get_bind().dialect.name, among is not None)
    for cid, when, kind in connection.execute(statement, params):
        last_date[positions[cid]], last_type[positions[cid]] = when, kind
    return last_date, last_type


LEVEL_RANK = {"executive": 3, "champion": 2, "user": 1}


@dataclass(frozen=True)
class StakeholderLevels:
    """Known stakeholders' levels by (customer id, lower-cased email), loaded in one query."""

    levels: dict[tuple[str, str], str]

    @classmethod
    def load(cls, session: Session, customer_id: str | None = None) -> StakeholderLevels:
        query = select(Stakeholder.customer_id, Stakeholder.email, Stakeholder.level).where(
            col(Stakeholder.email).is_not(None), col(Stakeholder.level).in_(LEVEL_RANK)
        )
        if customer_id is not None:
            query = query.where(Stakeholder.customer_id == customer_id)
        return cls({(cid, email.lower()): level for cid, email, level in session.exec(query).all()})

    def most_senior(self, customer_id: str, participants: list[str]) -> str | None:
        """The most senior level among participants, for an activity whose caller gave none."""
        found = [self.levels[key] for p in participants if (key := (customer_id, p)) in self.levels]
        return max(found, key=LEVEL_RANK.__getitem__) if found else None


def insert_ignoring_duplicates(session: Session, table: Table, keys: list[str]) -> Any:
    """INSERT into `table` that skips a row whose `keys` are already stored (the database's own ON CONFLICT
    DO NOTHING): concurrent writers of the same row store it once and none of them sees an error."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"The store supports SQLite and PostgreSQL, not {dialect}.")
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # imported only for PostgreSQL: not part of an SQLite server's start
        from sqlalchemy.dialects.postgresql import insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)
