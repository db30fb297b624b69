"""Reading a period's numbers from the store's rollups and the known stakeholders' levels, and the
insert that skips rows already stored (activities are written through `engagement.writer`).

Lookups of what a caller names (customers, CSMs) are in `engagement.lookup`; which customers a
question covers is `engagement.scope`.
"""

from __future__ import annotations

import datetime as dt
import functools
from itertools import repeat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ARRAY, JSON, ColumnElement, Select, String, Table, bindparam, case, func, true, type_coerce
from sqlmodel import Session, col, select

from engagement import rollup
from engagement.metrics import PeriodInputs
from engagement.models import Activity, ActivityDay, ActivityMonth, ActivityPersonMonth, Customer, Stakeholder
from engagement.periods import Period, add_months, month_start
from engagement.scope import Scope, Shape, some_customers

def _scope_conditions(shape: Shape, customer_column: Any, dialect: str) -> list[ColumnElement[bool]]:
    """The scope's test as bound parameters (Scope.params), over the customer table joined on `customer_column`."""
    if shape.one_customer:
        return [customer_column == bindparam("scope_customer")]
    if shape.by_ids:  # one parameter however many: a JSON array on SQLite, an array on PostgreSQL
        if dialect == "postgresql":
            return [customer_column == func.any(bindparam("scope_ids", type_=ARRAY(String())))]
        ids = func.json_each(bindparam("scope_ids", type_=JSON())).table_valued("value")
        return [customer_column.in_(select(ids.c.value))]
    c = Customer.__table__.c
    parts = [] if shape.include_churned else [c.status != "churned"]
    if shape.by_csm:
        parts.append(c.csm_id.in_(bindparam("scope_csms", expanding=True)))
    if shape.by_segment:
        parts.append(c.segment == bindparam("scope_segment"))
    return parts


def _scoped(query: Select[Any], shape: Shape, customer_column: Any, dialect: str) -> tuple[Select[Any], Any]:
    """`query` over rollup rows limited to the scope's customers. On PostgreSQL one customer, some named by
    id or a whole portfolio (churned or not) need no join: every customer's rows are read anyway, and the
    caller keeps the scope's (`positions`) - cheaper than joining the customer table to drop the few
    churned ones. SQLite joins the customer table first and seeks each customer's range of the rollup
    (clustered by customer), instead of scanning every customer's whole history for the period's rows.
    Returns the query and the customer id column to select and group by."""
    if shape.one_customer or (dialect == "postgresql" and (shape.by_ids or not (shape.by_csm or shape.by_segment))):
        return query.where(*_scope_conditions(shape, customer_column, dialect)), customer_column
    c = Customer.__table__
    query = query.select_from(c.join(customer_column.table, customer_column == c.c.id))
    return query.where(*_scope_conditions(shape, c.c.id, dialect)), c.c.id


@functools.cache
def _customers_statement(shape: Shape, dialect: str) -> Select[Any]:
    c = Customer.__table__.c
    return (
        select(c.id, c.name, c.segment, c.csm_id, c.status, c.health_score, c.renewal_date)
        .where(*_scope_conditions(shape, c.id, dialect))
        # Code point order (SQLite's own), as numpy sorts: a table caught up by merging rows stays in it.
        .order_by(c.id.collate("C") if dialect == "postgresql" else c.id)
    )


# The outcomes (health, renewal date) ride along so analysis reads them from the same cached table.
CUSTOMER_COLUMNS = ("customer_id", "name", "segment", "csm_id", "status", "health_score", "renewal_date")


def customer_columns(session: Session, scope: Scope) -> dict[str, np.ndarray]:
    """The scope's customers ordered by id (code point order), as object arrays (CUSTOMER_COLUMNS)."""
    statement = _customers_statement(scope.shape, session.get_bind().dialect.name)
    rows = session.connection().execute(statement, scope.params).all()
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


@functools.cache
def _sums_statement(shape: Shape, dialect: str, monthly: bool) -> Select[Any]:
    """Sums per customer of the rollup rows from :first to :last (days of activity_day, or whole months of
    activity_month: rollup.NAMES, both bounds inclusive), and each one's latest day with activity in them."""
    table = (ActivityMonth if monthly else ActivityDay).__table__.c
    key, latest = (table.month, table.last_day) if monthly else (table.day, table.day)
    sums = [func.coalesce(func.sum(table[name]), 0).label(name) for name in rollup.NAMES]
    # Dates as the driver gives them (SQLite: ISO text): numpy parses a column of them at once.
    query = select(*sums, type_coerce(func.max(latest), String()).label("last_day"))
    query, customer = _scoped(query.where(key >= bindparam("first"), key <= bindparam("last")), shape, table.customer_id, dialect)
    return query.add_columns(customer).group_by(customer)


def _parts(period: Period) -> list[tuple[bool, dt.date, dt.date]]:
    """The period as runs of rollup rows: (monthly, first, last) - the days before its first whole month,
    its whole months, the days after them. A period inside one month is its days."""
    first_whole = period.start if period.start.day == 1 else add_months(month_start(period.start), 1)
    after = period.end + dt.timedelta(days=1)
    end_whole = after if after.day == 1 else month_start(period.end)  # the first day after the whole months
    if first_whole >= end_whole:
        return [(False, period.start, period.end)]
    parts = [(True, first_whole, add_months(end_whole, -1))]
    if period.start < first_whole:
        parts.insert(0, (False, period.start, first_whole - dt.timedelta(days=1)))
    if end_whole <= period.end:
        parts.append((False, end_whole, period.end))
    return parts


ALL_DAYS = 2**31 - 1  # bits 0-30: every day of a month


@functools.cache
def _people_statement(shape: Shape, dialect: str) -> Select[Any]:
    """Distinct participants per customer: people whose day bits in the period's months meet the period's
    days (its first and last month may be partial; the months between are whole)."""
    m = ActivityPersonMonth.__table__.c
    first, last = bindparam("first_month"), bindparam("last_month")
    period_days = case((m.month == first, bindparam("first_mask")), (m.month == last, bindparam("last_mask")),
                       else_=ALL_DAYS)
    query = select(func.count(m.person.distinct())).where(
        m.month >= first, m.month <= last, m.days.op("&")(period_days) != 0
    )
    query, customer = _scoped(query, shape, m.customer_id, dialect)
    return query.add_columns(customer).group_by(customer)


def _day_bits(first: int, last: int) -> int:
    """Bits first-1 .. last-1: days first..last of a month."""
    return (1 << last) - (1 << (first - 1))


def _people_params(period: Period) -> dict[str, Any]:
    first_month, last_month = month_start(period.start), month_start(period.end)
    month_end = add_months(first_month, 1) - dt.timedelta(days=1)
    return {
        "first_month": first_month, "last_month": last_month,
        "first_mask": _day_bits(period.start.day, min(period.end, month_end).day),
        "last_mask": _day_bits(1, period.end.day),
    }  # fmt: skip


@functools.cache
def _last_contact_statement(shape: Shape, dialect: str) -> Select[Any]:
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
        query = select(type_coerce(row.c.date, String()), row.c.type, c.id).select_from(Customer.__table__.join(row, true()))
    else:  # the date as SQLite's text: numpy parses a column of them at once
        query = select(type_coerce(a.date, String()), a.type, c.id).select_from(
            Customer.__table__.join(Activity.__table__, a.id == latest.with_only_columns(x.c.id).scalar_subquery())
        )
    return query.where(*_scope_conditions(shape, c.id, dialect))


def _aligned(rows: Sequence[Any], positions: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (value, ..., customer id) as an object array of those whose customer is in `positions`, and
    each one's position there."""
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=object)
    table = np.array(list(map(tuple, rows)), dtype=object)  # plain tuples: numpy probes a Row for array protocols
    where = np.fromiter(map(positions.get, table[:, -1].tolist(), repeat(-1)), dtype=np.int64, count=len(rows))
    keep = where >= 0
    return where[keep], table[keep]


def period_inputs(
    session: Session, scope: Scope, positions: dict[str, int], period: Period, exact_last_contact: bool = True
) -> PeriodInputs:
    """The period's sums, distinct participants and last contacts of the scope's customers, aligned to
    `positions` (customer id -> row): a GROUP BY per run of rollup rows (`_parts`: days, whole months,
    days), one over the people's months, and an index probe per customer.

    Without `exact_last_contact` the last contact is only its day (midnight, no type), which is all a
    score needs (recency counts whole days): the latest day in the period where there is one, so only
    customers without activity in the period are probed."""
    connection = session.connection()
    dialect = session.get_bind().dialect.name
    count, width = len(positions), len(rollup.NAMES)
    sums = np.full((count, width), np.nan)
    last_day = np.full(count, np.datetime64("NaT"), dtype="datetime64[D]")
    for monthly, first, last in _parts(period):
        params = {**scope.params, "first": first, "last": last}
        where, rows = _aligned(connection.execute(_sums_statement(scope.shape, dialect, monthly), params).all(), positions)
        if not len(rows):
            continue
        # A customer's sums are NaN until a part has rows of theirs (the sums are never NULL: coalesced).
        sums[where] = np.nan_to_num(sums[where]) + rows[:, :width].astype(float)
        last_day[where] = np.fmax(last_day[where], rows[:, width].astype("datetime64[D]"))
    people = np.zeros(count)
    where, rows = _aligned(connection.execute(_people_statement(scope.shape, dialect), {**scope.params, **_people_params(period)}).all(), positions)
    if len(rows):
        people[where] = rows[:, 0].astype(float)
    if exact_last_contact:
        last_date, last_type = last_contacts(session, scope, positions, period.end_exclusive_dt())
    else:
        last_date = last_day.astype("datetime64[us]")
        last_type = np.full(count, None, dtype=object)
        quiet = [cid for cid, row in positions.items() if np.isnat(last_day[row])]
        if quiet:  # one probe each, the quiet ones named in one parameter
            before, _ = last_contacts(session, some_customers(quiet), positions, period.end_exclusive_dt())
            rows = [positions[cid] for cid in quiet]
            last_date[rows] = before[rows].astype("datetime64[D]").astype("datetime64[us]")
    return PeriodInputs(sums, people, last_date, last_type)


def last_contacts(
    session: Session, scope: Scope, positions: dict[str, int], end_exclusive: dt.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Each scope customer's latest activity before `end_exclusive`, aligned to `positions` (which may hold
    more customers than the scope; those stay NaT): dates (NaT if never) and types."""
    count = len(positions)
    last_date = np.full(count, np.datetime64("NaT"), dtype="datetime64[us]")
    last_type = np.full(count, None, dtype=object)
    statement = _last_contact_statement(scope.shape, session.get_bind().dialect.name)
    where, rows = _aligned(session.connection().execute(statement, {**scope.params, "end": end_exclusive}).all(), positions)
    if len(rows):
        last_date[where] = rows[:, 0].astype("datetime64[us]")
        last_type[where] = rows[:, 1]
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
