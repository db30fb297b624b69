"""The per-day and per-month rollups the engine reads (migration 0004) always equal what the activity
table says, whatever wrote to it: the ORM, log_activity, a bulk import, updates, deletes, raw SQL.
(tests/tools/test_customers.py checks that a period cutting a month counts its own days' people.)"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.core import Core
from engagement.imports import import_csv
from engagement.models import Activity, ActivityDay, ActivityPersonMonth
from tests.conftest import AS_OF
from tests.factories import local, Factory
from engagement.activities import log_activity
from engagement.queries import LogActivityQuery

FLOATS = ("meeting_minutes", "response_hours")


def expected_rollups(engine: Engine) -> tuple[dict[Any, dict[str, Any]], dict[Any, int]]:
    """The rollups computed in Python from every stored activity, as SPEC.md defines the sums."""
    days: dict[Any, dict[str, Any]] = {}
    people: dict[Any, int] = defaultdict(int)
    with Session(engine) as session:
        activities = session.exec(select(Activity)).all()
    for a in activities:
        email_out = a.type == "email" and a.direction == "outbound"
        answered = email_out and a.response_received is True
        meeting = a.type in ("meeting", "qbr")
        row = days.setdefault((a.customer_id, a.date.date()), defaultdict(int, response_hours=None))
        for name, counted in {
            "emails_sent": email_out,
            "emails_received": a.type == "email" and a.direction == "inbound",
            "meetings_held": meeting,
            "qbrs_completed": a.type == "qbr",
            "calls_made": a.type == "call" and a.direction == "outbound",
            "calls_received": a.type == "call" and a.direction == "inbound",
            "messages_sent": a.type == "message" and a.direction == "outbound",
            "messages_received": a.type == "message" and a.direction == "inbound",
            "executive_touchpoints": a.stakeholder_level == "executive",
            "responses_known": email_out and a.response_received is not None,
            "responses_answered": answered,
            "response_times": answered and a.response_time_hours is not None,
        }.items():
            row[name] += int(counted)
        row["meeting_minutes"] += (a.duration_minutes or 0.0) if meeting else 0.0
        if answered and a.response_time_hours is not None:
            row["response_hours"] = (row["response_hours"] or 0.0) + a.response_time_hours
        for person in a.participants:
            if person.strip():
                people[(a.customer_id, a.date.date().replace(day=1), person.strip().lower())] |= 1 << (a.date.day - 1)
    return {key: dict(row) for key, row in days.items()}, dict(people)


def stored_rollups(engine: Engine) -> tuple[dict[Any, dict[str, Any]], dict[Any, int]]:
    with Session(engine) as session:
        days = {
            (row.customer_id, row.day): row.model_dump(exclude={"customer_id", "day"})
            for row in session.exec(select(ActivityDay)).all()
        }
        people = {(p.customer_id, p.month, p.person): p.days for p in session.exec(select(ActivityPersonMonth)).all()}
    return days, people


def assert_rollups_match(engine: Engine) -> None:
    (expected_days, expected_people), (days, people) = expected_rollups(engine), stored_rollups(engine)
    assert people == expected_people
    assert_same_rows(days, expected_days)


def assert_same_rows(stored: dict[Any, dict[str, Any]], expected: dict[Any, dict[str, Any]]) -> None:
    """Rollup rows equal to the expected ones, by key; sums of floats to float precision."""
    assert stored.keys() == expected.keys()
    for key, row in stored.items():
        want = expected[key]
        assert {k: v for k, v in row.items() if k not in FLOATS} == {k: v for k, v in want.items() if k not in FLOATS}
        for name in FLOATS:  # sums of floats: the database may add them in another order
            assert row[name] == (None if want[name] is None else pytest.approx(want[name])), (key, name)


def write_csv(path: Path, rows: list[str]) -> Path:
    header = "customer,type,direction,date,participants,response_received,response_time_hours,duration_minutes,external_id"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_rollups_follow_every_kind_of_write(
    engine: Engine, factory: Factory, core: Core, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("beta", "Beta Ltd")
    # Month and day edges, people written in several spellings, every kind of response.
    factory.activity("acme", "2026-10-31T23:59:59.999999", participants=["Ana@Acme.test ", "ben@acme.test"],
                     response_received=True, response_time_hours=2.5)
    factory.activity("acme", "2026-11-01T00:00:00", type="meeting", duration_minutes=45, participants=["ana@acme.test"])
    factory.activity("acme", "2026-11-01T09:00:00", type="qbr", participants=["cho@acme.test", " "],
                     stakeholder_level="executive")
    factory.activity("acme", "2026-11-01T10:00:00", response_received=True, response_time_hours=None)
    factory.activity("acme", "2026-11-01T11:00:00", response_received=False)
    factory.activity("acme", "2026-11-03T08:00:00", type="meeting", participants=["hal@acme.test"])  # deleted below;
    # an imported call names hal the same day, so their day bit must stay
    factory.activity("beta", "2026-10-01T00:00:00", type="call", direction="inbound", participants=["dee@beta.test"])
    factory.activity("beta", "2026-10-31T12:00:00", type="message", participants=["DEE@beta.test"])
    assert_rollups_match(engine)

    mail = {"type": "email", "direction": "inbound", "date": "2026-10-31T18:00:00", "participants": ["eve@beta.test"]}
    log_activity(core, local(core), LogActivityQuery(customer="beta", **mail))
    assert_rollups_match(engine)

    report = import_csv(engine, "activities", write_csv(tmp_path / "a.csv", [
        "acme,email,outbound,2026-11-01T12:00:00,ana@acme.test;fay@acme.test,true,0.1,,x-1",
        "acme,meeting,outbound,2026-11-02T12:00:00,fay@acme.test,,,30,x-2",
        "beta,email,outbound,2026-09-30T23:00:00,gus@beta.test,true,1.2,,x-3",
        "beta,email,outbound,2026-10-31T08:00:00,,true,0.7,,x-4",
    ]), as_of=AS_OF)
    assert report.imported == 4
    again = import_csv(engine, "activities", write_csv(tmp_path / "b.csv", [
        "acme,email,outbound,2026-11-01T12:00:00,ana@acme.test,true,0.1,,x-1",  # already stored: skipped
        "acme,call,outbound,2026-11-03T12:00:00,hal@acme.test,,,,x-5",
    ]), as_of=AS_OF)
    assert again.imported == 1
    assert_rollups_match(engine)

    with Session(engine) as session:
        rows = session.exec(select(Activity).order_by(Activity.id)).all()  # type: ignore[arg-type]
        rows[0].date = dt.datetime(2026, 9, 15, 8, 0)  # to another month
        rows[1].participants = ["ivy@acme.test"]
        rows[2].type = "call"
        rows[6].customer_id = "acme"  # to another customer
        session.add_all([rows[0], rows[1], rows[2], rows[6]])
        session.commit()
    assert_rollups_match(engine)

    with Session(engine) as session:
        for row in session.exec(select(Activity).where(Activity.customer_id == "beta")).all():
            session.delete(row)  # every activity of some days: their rows go
        session.commit()
    assert_rollups_match(engine)

    with engine.begin() as connection:  # statements touching many rows at once, as another tool might
        connection.execute(text("UPDATE activity SET direction = 'inbound' WHERE type = 'email'"))
        connection.execute(text("DELETE FROM activity WHERE type = 'meeting'"))
    assert_rollups_match(engine)
