"""The rollups' one definition (engagement/rollup.py): the triggers migration 0010 released are what it
generates, and on random activities the triggers, the SQLite bulk import's GROUP BYs and the period
reads all agree with SPEC.md's sums worked out in Python, on SQLite and PostgreSQL, through inserts,
an import, updates and deletes."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engagement import rollup, store
from engagement.db import read_scope
from engagement.imports import import_csv
from engagement.metrics import COUNT_COLUMNS, SUM_COLUMNS
from engagement.models import ACTIVITY_TYPES, DIRECTIONS, STAKEHOLDER_LEVELS, Activity, ActivityDay, ActivityMonth, RollupSums
from engagement.periods import Period, resolve_period
from engagement.scope import EVERYONE
from tests.conftest import AS_OF
from tests.engagement.test_rollups import assert_same_rows, expected_rollups, stored_rollups
from tests.factories import Factory

MIGRATION = Path(__file__).parents[2] / "engagement" / "migrations" / "versions" / "0010_score_changes.py"
CUSTOMERS = ("alpha", "beta", "gamma")
PEOPLE = ("ana@x.test", " ANA@x.test", "ben@x.test", "cho@y.test", "")
FIRST, LAST = dt.datetime(2026, 6, 25), dt.datetime(2026, 11, 24, 23, 59, 59)
PERIODS = ("this_quarter", "last_quarter", "this_month", "last_30_days", "last_90_days", "2026-07", "2026-Q3")
numbers = itertools.count()


def released() -> Any:
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_released_triggers_are_what_the_definition_generates() -> None:
    # A change to the definition fails here until a new migration carries its SQL (scripts/rollup_sql.py).
    migration = released()
    assert list(migration.SQLITE_TRIGGERS) == rollup.sqlite_triggers()
    assert list(migration.POSTGRESQL_FUNCTIONS) == rollup.postgresql_functions()
    assert list(migration.POSTGRESQL_TRIGGERS) == rollup.postgresql_triggers()
    assert list(migration.MONTH_FILL) == [rollup.month_fill("sqlite"), rollup.month_fill("postgresql")]
    assert list(migration.SUMS) == rollup.NAMES


def test_the_rollup_tables_and_the_metrics_have_the_definitions_columns() -> None:
    assert {c.name for c in ActivityDay.__table__.columns} == set(rollup.DAY_COLUMNS)  # type: ignore[attr-defined]
    assert {c.name for c in ActivityMonth.__table__.columns} == set(rollup.MONTH_COLUMNS)  # type: ignore[attr-defined]
    assert [name for name in RollupSums.model_fields] == rollup.NAMES
    assert [*COUNT_COLUMNS, *SUM_COLUMNS] == rollup.NAMES


ACTIVITY = st.fixed_dictionaries(
    {
        "customer_id": st.sampled_from(CUSTOMERS),
        "type": st.sampled_from(ACTIVITY_TYPES),
        "direction": st.sampled_from(DIRECTIONS),
        "date": st.datetimes(min_value=FIRST, max_value=LAST).map(lambda d: d.replace(microsecond=0)),
        "duration_minutes": st.one_of(st.none(), st.sampled_from([0.0, 15.0, 30.5, 45.25, 90.0])),
        "participants": st.lists(st.sampled_from(PEOPLE), max_size=3),
        "stakeholder_level": st.one_of(st.none(), st.sampled_from(STAKEHOLDER_LEVELS)),
        "response_received": st.one_of(st.none(), st.booleans()),
        "response_time_hours": st.one_of(st.none(), st.sampled_from([0.1, 0.2, 1.3, 5.3, 24.0])),
    }
)
EDIT = st.tuples(st.integers(0, 10**6), st.sampled_from(["delete", "move", "retype", "recustomer"]))


def expected_months(days: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    months: dict[Any, dict[str, Any]] = {}
    for (customer, day), row in sorted(days.items()):
        month = months.setdefault((customer, day.replace(day=1)), {**dict.fromkeys(rollup.NAMES, 0), "response_hours": None})
        for name in rollup.NAMES:
            if row[name] is not None:
                month[name] = (month[name] or 0) + row[name]
        month["last_day"] = day
    return months


def period_sums(activities: list[Activity], period: Period) -> dict[str, tuple[list[float], int, dt.datetime | None]]:
    """SPEC.md's sums, distinct people and last contact of each customer for `period`, from the activities."""
    out = {}
    end = period.end_exclusive_dt()
    for customer in CUSTOMERS:
        mine = [a for a in activities if a.customer_id == customer]
        inside = [a for a in mine if period.start_dt() <= a.date < end]
        sums = []
        for s in rollup.SUMS:
            chosen = [a for a in inside if all(_holds(a, condition) for condition in s.when)]
            if s.of is None:
                sums.append(float(len(chosen)))
            else:
                sums.append(sum(getattr(a, s.of) or 0.0 for a in chosen))
        people = {p.strip().lower() for a in inside for p in a.participants if p.strip()}
        before = [a.date for a in mine if a.date < end]
        out[customer] = (sums, len(people), max(before) if before else None)
    return out


def _holds(a: Activity, condition: str) -> bool:
    column, _, test = condition.partition(" ")
    got = getattr(a, column)
    if test == "IS TRUE":
        return got is True
    if test == "IS NOT NULL":
        return got is not None
    operator, _, literal = test.partition(" ")
    if operator == "IN":
        return got in {v.strip(" '") for v in literal.strip("()").split(",")}
    return got == literal.strip("'")


def assert_reads_agree(engine: Engine) -> None:
    with Session(engine) as session:
        activities = list(session.exec(select(Activity)).scalars())  # type: ignore[call-overload]
    positions = {cid: i for i, cid in enumerate(CUSTOMERS)}
    for token in PERIODS:
        period = resolve_period(token, AS_OF)
        want = period_sums(activities, period)
        with read_scope(engine) as session:
            got = store.period_inputs(session, EVERYONE, positions, period)
        for customer, row in positions.items():
            sums, people, last = want[customer]
            assert np.nan_to_num(got.sums[row]) == pytest.approx(sums), (token, customer)
            assert got.people[row] == people, (token, customer)
            assert (None if np.isnat(got.last_date[row]) else got.last_date[row].item()) == last, (token, customer)


def assert_logged(engine: Engine, since: int) -> None:
    """Every customer whose activities changed is in the change log after `since`, from the day changed."""
    with engine.connect() as connection:
        logged = {cid for (cid,) in connection.execute(text("SELECT customer_id FROM score_change WHERE version > :v"), {"v": since})}
    assert logged == set(CUSTOMERS)


def check_everything(engine: Engine, since: int) -> None:
    (expected_days, expected_people), (days, people) = expected_rollups(engine), stored_rollups(engine)
    assert people == expected_people
    assert_same_rows(days, expected_days)
    with Session(engine) as session:
        months = {(m.customer_id, m.month): m.model_dump(exclude={"customer_id", "month"}) for m in session.exec(select(ActivityMonth)).scalars()}  # type: ignore[call-overload]
    assert_same_rows(months, expected_months(expected_days))
    assert_reads_agree(engine)
    assert_logged(engine, since)


def reset(engine: Engine) -> int:
    """No activities (the delete triggers empty the rollups), and the version the next writes start after."""
    with engine.begin() as connection:
        connection.execute(delete(Activity))
        return int(connection.execute(text("SELECT version FROM store_version")).scalar_one())


def with_every_customer(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows, and one email for each customer they leave out (so each has a change to log)."""
    missing = [c for c in CUSTOMERS if c not in {r["customer_id"] for r in rows}]
    return rows + [{"customer_id": c, "type": "email", "direction": "outbound", "date": LAST, "duration_minutes": None,
                    "participants": [], "stakeholder_level": None, "response_received": None,
                    "response_time_hours": None} for c in missing]  # fmt: skip


@pytest.fixture
def customers(factory: Factory) -> None:
    for cid in CUSTOMERS:
        factory.customer(cid, cid.title())


SETTINGS = hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(rows=st.lists(ACTIVITY, min_size=1, max_size=25), edits=st.lists(EDIT, max_size=6))
def test_row_inserts_and_edits_keep_the_rollups_and_the_reads_equal_to_the_definition(
    engine: Engine, customers: None, rows: list[dict[str, Any]], edits: list[tuple[int, str]]
) -> None:
    since = reset(engine)
    now = dt.datetime(2026, 11, 24)
    with engine.begin() as connection:  # one statement: per-row triggers on SQLite, one statement trigger on PostgreSQL
        connection.execute(insert(Activity), [r | {"created_at": now, "source": "api", "external_id": None} for r in with_every_customer(rows)])
    with engine.begin() as connection:
        ids = [i for (i,) in connection.execute(select(Activity.id).order_by(Activity.id))]  # type: ignore[call-overload]
        for pick, kind in edits:
            target = ids[pick % len(ids)]
            where = Activity.id == target
            if kind == "delete":
                connection.execute(delete(Activity).where(where))
                ids.remove(target)
                if not ids:
                    break
            elif kind == "move":
                connection.execute(update(Activity).where(where).values(date=FIRST + dt.timedelta(days=pick % 150, hours=pick % 24)))
            elif kind == "retype":
                connection.execute(update(Activity).where(where).values(type=ACTIVITY_TYPES[pick % len(ACTIVITY_TYPES)]))
            else:
                connection.execute(update(Activity).where(where).values(customer_id=CUSTOMERS[pick % len(CUSTOMERS)]))
    check_everything(engine, since)


@SETTINGS
@given(rows=st.lists(ACTIVITY, min_size=1, max_size=25), before=st.lists(ACTIVITY, max_size=5))
def test_an_import_keeps_the_rollups_and_the_reads_equal_to_the_definition(
    engine: Engine, customers: None, tmp_path: Path, rows: list[dict[str, Any]], before: list[dict[str, Any]]
) -> None:
    # Rows stored before the import: its GROUP BYs add to rollup rows that exist.
    since = reset(engine)
    if before:
        with engine.begin() as connection:
            connection.execute(insert(Activity), [r | {"created_at": dt.datetime(2026, 11, 24), "source": "api"} for r in before])
    path = tmp_path / f"activities-{next(numbers)}.csv"
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer", "type", "direction", "date", "duration_minutes", "participants", "stakeholder_level",
                         "response_received", "response_time_hours", "source", "external_id"])  # fmt: skip
        for r in with_every_customer(rows):
            writer.writerow([r["customer_id"], r["type"], r["direction"], r["date"].isoformat(), r["duration_minutes"] if r["duration_minutes"] is not None else "",
                             ";".join(p for p in r["participants"] if p.strip()), r["stakeholder_level"] or "",
                             "" if r["response_received"] is None else str(r["response_received"]).lower(),
                             "" if r["response_time_hours"] is None else r["response_time_hours"], "csv", f"x{next(numbers)}"])  # fmt: skip
    report = import_csv(engine, "activities", path, as_of=AS_OF)
    assert not report.rejected
    check_everything(engine, since)
