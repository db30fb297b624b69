"""Reading and writing the store: finding customers and CSMs, loading a period's activities, logging."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, true
from sqlmodel import Session, col, or_, select

from engagement.errors import EngagementError, NotFoundError
from engagement.metrics import AGGREGATE_COLUMNS, PeriodInputs
from engagement.models import SEGMENTS, Activity, Csm, Customer, Stakeholder

MAX_NAME_LENGTH = 200


def find_customer(session: Session, ref: str) -> Customer:
    """A customer by id, or by name ignoring case (a unique partial name works too).

    Unknown or ambiguous references raise NotFoundError listing the close matches.
    """
    text = (ref or "").strip()
    if not text:
        raise EngagementError("customer is empty; give a customer id or name (search_customers finds them).")
    if len(text) > MAX_NAME_LENGTH:
        raise EngagementError(f"customer is {len(text)} characters long; ids and names are at most {MAX_NAME_LENGTH}.")
    if by_id := session.get(Customer, text):
        return by_id
    lowered = text.lower()
    exact = session.exec(select(Customer).where(func.lower(Customer.name) == lowered)).all()
    if len(exact) == 1:
        return exact[0]
    partial = exact or session.exec(
        select(Customer).where(func.lower(Customer.name).contains(lowered, autoescape=True)).limit(11)
    ).all()
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(f"{c.name} ({c.id})" for c in partial[:10])
        raise NotFoundError(f"customer '{text}' is ambiguous; it matches {names}. Give the id or the full name.")
    names = session.exec(select(Customer.name)).all()
    close = difflib.get_close_matches(text, names, n=5, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else " search_customers lists customers by name."
    raise NotFoundError(f"No customer '{text}'.{hint}")


def find_csm(session: Session, ref: str) -> Csm:
    """A CSM by id or email (case-insensitive)."""
    text = (ref or "").strip()
    found = session.get(Csm, text) or session.exec(
        select(Csm).where(or_(func.lower(Csm.email) == text.lower(), func.lower(Csm.id) == text.lower()))
    ).first()
    if found is None:
        known = ", ".join(f"{c.id} ({c.email})" for c in session.exec(select(Csm).order_by(Csm.id)).all()[:20])
        raise NotFoundError(f"No CSM '{text}'. Give a CSM id or email: {known or 'none are stored yet'}.")
    return found


def team_of(session: Session, csm: Csm) -> list[str]:
    """The CSM's id and the ids of everyone reporting to them, directly or not."""
    rows = session.exec(select(Csm.id, Csm.manager_id)).all()
    reports: dict[str | None, list[str]] = {}
    for csm_id, manager_id in rows:
        reports.setdefault(manager_id, []).append(csm_id)
    team, queue = [csm.id], [csm.id]
    while queue:
        for member in reports.get(queue.pop(), []):
            if member not in team:
                team.append(member)
                queue.append(member)
    return team


@dataclass(frozen=True)
class Scope:
    """Which customers a portfolio question is about."""

    label: str
    csm_ids: tuple[str, ...] | None = None  # None: every CSM
    segment: str | None = None
    customer_id: str | None = None
    include_churned: bool = False

    @property
    def shape(self) -> tuple[bool, bool, bool, bool]:
        """What the scope's condition tests, not the values: statements are built once per shape."""
        if self.customer_id is not None:
            return (True, True, False, False)
        return (False, self.include_churned, self.csm_ids is not None, self.segment is not None)

    @property
    def params(self) -> dict[str, Any]:
        return {"scope_customer": self.customer_id, "scope_csms": list(self.csm_ids or ()), "scope_segment": self.segment}


def normalize_segment(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    for segment in SEGMENTS:
        if value.strip().lower() == segment.lower():
            return segment
    raise EngagementError(f"segment '{value}' is not valid; use one of {', '.join(SEGMENTS)}.")


def resolve_scope(session: Session, csm_ref: str | None, default_user: str | None, segment: str | None) -> Scope:
    """The customers of `csm_ref` (or of the default user), their team's if a manager; `all` means everyone."""
    ref = csm_ref if csm_ref not in (None, "") else default_user
    seg = normalize_segment(segment)
    if ref is None or ref.strip().lower() == "all":
        label = "all customers"
        return Scope(label + (f", {seg}" if seg else ""), None, seg)
    csm = find_csm(session, ref)
    team = team_of(session, csm)
    label = f"{csm.name}'s customers" if len(team) == 1 else f"{csm.name}'s team ({len(team)} CSMs)"
    return Scope(label + (f", {seg}" if seg else ""), tuple(team), seg)


def _scope_conditions(shape: tuple[bool, bool, bool, bool], customer_column: Any) -> list[ColumnElement[bool]]:
    """The scope's test as bound parameters (Scope.params), over the customer table joined on `customer_column`."""
    one, include_churned, csms, segment = shape
    if one:
        return [customer_column == bindparam("scope_customer")]
    c = Customer.__table__.c
    parts = [] if include_churned else [c.status != "churned"]
    if csms:
        parts.append(c.csm_id.in_(bindparam("scope_csms", expanding=True)))
    if segment:
        parts.append(c.segment == bindparam("scope_segment"))
    return parts


def _scoped(query: Select[Any], shape: tuple[bool, bool, bool, bool], customer_column: Any) -> Select[Any]:
    """`query` over activities limited to the scope's customers; one customer needs no join."""
    if not shape[0]:
        query = query.join(Customer.__table__, Customer.__table__.c.id == customer_column)
    return query.where(*_scope_conditions(shape, customer_column))


@functools.cache
def _customers_statement(shape: tuple[bool, bool, bool, bool]) -> Select[Any]:
    c = Customer.__table__.c
    return select(c.id, c.name, c.segment, c.csm_id, c.status).where(*_scope_conditions(shape, c.id)).order_by(c.id)


CUSTOMER_COLUMNS = ("customer_id", "name", "segment", "csm_id", "status")


def customer_columns(session: Session, scope: Scope) -> dict[str, np.ndarray]:
    """The scope's customers ordered by id, as object arrays (CUSTOMER_COLUMNS)."""
    rows = session.connection().execute(_customers_statement(scope.shape), scope.params).all()
    columns = list(zip(*rows)) if rows else [()] * len(CUSTOMER_COLUMNS)
    return {name: _objects(values) for name, values in zip(CUSTOMER_COLUMNS, columns)}


def customer_columns_of(customer: Customer) -> dict[str, np.ndarray]:
    """`customer_columns` of one customer already read."""
    values = (customer.id, customer.name, customer.segment, customer.csm_id, customer.status)
    return {name: _objects([value]) for name, value in zip(CUSTOMER_COLUMNS, values)}


def _objects(values: Sequence[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _is(column: Any, *values: str) -> ColumnElement[bool]:
    return column.in_(values) if len(values) > 1 else column == values[0]


@functools.cache
def _aggregate_columns() -> tuple[Any, ...]:
    """The labelled sums of `period_sums`, built once: constructing them costs more than running them."""
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


def _in_period(a: Any) -> ColumnElement[bool]:
    return and_(a.date >= bindparam("start"), a.date < bindparam("end"))


@functools.cache
def _sums_statement(shape: tuple[bool, bool, bool, bool]) -> Select[Any]:
    a = Activity.__table__.c
    query = select(a.customer_id, *_aggregate_columns()).select_from(Activity.__table__).where(_in_period(a))
    return _scoped(query, shape, a.customer_id).group_by(a.customer_id)


@functools.cache
def _people_statement(shape: tuple[bool, bool, bool, bool], dialect: str) -> Select[Any]:
    a = Activity.__table__.c
    if dialect == "postgresql":
        people = func.json_array_elements_text(a.participants).table_valued("value")
    else:
        people = func.json_each(a.participants).table_valued("value")
    person = func.lower(func.trim(people.c.value))
    query = (
        select(a.customer_id, func.count(person.distinct()))
        .select_from(Activity.__table__)
        .join(people, true())
        .where(_in_period(a), person != "")
    )
    return _scoped(query, shape, a.customer_id).group_by(a.customer_id)


@functools.cache
def _last_contact_statement(shape: tuple[bool, bool, bool, bool]) -> Select[Any]:
    """Each scope customer's latest activity before :end (the one stored last among equal dates):
    one probe of the (customer_id, date) index per customer, instead of grouping all their history."""
    a, c = Activity.__table__.c, Customer.__table__.c
    x = Activity.__table__.alias("x")
    latest = (
        select(x.c.id)
        .where(x.c.customer_id == c.id, x.c.date < bindparam("end"))
        .order_by(x.c.date.desc(), x.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(c.id, a.date, a.type)
        .select_from(Customer.__table__.join(Activity.__table__, a.id == latest))
        .where(*_scope_conditions(shape, c.id))
    )


def period_inputs(
    session: Session, scope: Scope, positions: dict[str, int], start: dt.datetime, end_exclusive: dt.datetime
) -> PeriodInputs:
    """The period's sums, distinct participants and last contacts of the scope's customers, aligned to
    `positions` (customer id -> row). Three queries, each one GROUP BY over the period's activities."""
    connection = session.connection()
    params = {**scope.params, "start": start, "end": end_exclusive}
    count = len(positions)
    sums = np.full((count, len(AGGREGATE_COLUMNS) - 1), np.nan)
    for cid, *values in connection.execute(_sums_statement(scope.shape), params):
        sums[positions[cid]] = values
    people = np.zeros(count)
    dialect = session.get_bind().dialect.name
    for cid, number in connection.execute(_people_statement(scope.shape, dialect), params):
        people[positions[cid]] = number
    last_date, last_type = last_contacts(session, scope, positions, end_exclusive)
    return PeriodInputs(sums, people, last_date, last_type)


def last_contacts(
    session: Session, scope: Scope, positions: dict[str, int], end_exclusive: dt.datetime
) -> tuple[np.ndarray, np.ndarray]:
    """Each scope customer's latest activity before `end_exclusive`: dates (NaT if never) and types."""
    connection = session.connection()
    count = len(positions)
    last_date = np.full(count, np.datetime64("NaT"), dtype="datetime64[us]")
    last_type = np.full(count, None, dtype=object)
    params = {**scope.params, "end": end_exclusive}
    for cid, when, kind in connection.execute(_last_contact_statement(scope.shape), params):
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


def _insert_ignoring_duplicates(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"The store supports SQLite and PostgreSQL, not {dialect}.")
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # imported only for PostgreSQL: not part of an SQLite server's start
        from sqlalchemy.dialects.postgresql import insert
    return insert(Activity.__table__).on_conflict_do_nothing(index_elements=["source", "external_id"])


def insert_activity(session: Session, customer_id: str, fields: dict[str, Any]) -> tuple[Activity, bool]:
    """Store one activity; with an external_id already stored for its source, return that one instead.

    Uses the database's own ON CONFLICT DO NOTHING, so concurrent writers of the same activity
    store it once and none of them sees an error.
    """
    values = {"customer_id": customer_id, **fields, "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    if fields.get("external_id") is not None:
        statement = _insert_ignoring_duplicates(session).values(**values).returning(*Activity.__table__.c)
        stored = session.execute(statement).one_or_none()
        if stored is None:
            existing = session.exec(
                select(Activity).where(
                    Activity.source == fields["source"], Activity.external_id == fields["external_id"]
                )
            ).one()
            return existing, False
        return Activity(**stored._mapping), True
    activity = Activity(**values)
    session.add(activity)
    session.flush()
    return activity, True
