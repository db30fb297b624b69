"""The one way an activity is written: ActivityCreate holds it to the rules, write_activities stores many
rows in order, each (source, external_id) once, with the stakeholder level defaulted from known people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.db import session_scope
from engagement.errors import EngagementError
from engagement.imports import import_csv
from engagement.models import DATE_REQUIRED, Activity, ActivityCreate
from engagement.core import Core
from engagement.writer import NewActivity, Written, write_activities
from tests.conftest import AS_OF
from tests.factories import Factory, local
from engagement.activities import log_activity
from engagement.queries import LogActivityQuery
from engagement.query import parse

CALL = {"type": "call", "direction": "outbound", "date": "2026-11-20T10:00:00"}


def row(customer_id: str = "acme", **fields: Any) -> NewActivity:
    return NewActivity(customer_id, ActivityCreate.checked({**CALL, **fields}, as_of=AS_OF))


def write(engine: Engine, rows: list[NewActivity], **options: Any) -> list[Written]:
    with session_scope(engine) as session:
        return write_activities(session, rows, **options)


def stored(engine: Engine) -> list[Activity]:
    with Session(engine) as session:
        return list(session.exec(select(Activity).order_by(Activity.id)).all())


def test_many_rows_are_stored_in_order_and_each_source_and_external_id_once(engine: Engine, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    [before] = write(engine, [row(external_id="k1", subject="first")])

    written = write(engine, [
        row(external_id="k2", subject="a"),
        row(subject="b"),
        row(external_id="k1", subject="again"),
        row(external_id="k2", subject="c"),
        row(subject="d", source="csv"),
    ])  # fmt: skip

    assert [w.created for w in written] == [True, True, False, False, True]
    assert written[2].activity == before.activity  # the stored one, not what was sent again
    assert written[3].activity == written[0].activity
    assert [a.subject for a in stored(engine)] == ["first", "a", "b", "d"]  # ids follow the rows' order
    assert [w.activity.id for w in written if w.created] == [a.id for a in stored(engine)[1:]]


def test_a_missing_stakeholder_level_is_the_most_senior_known_participants(engine: Engine, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("bolt", "Bolt Ltd")
    factory.stakeholder("acme", "Ana", "ana@acme.test", level="executive")
    factory.stakeholder("acme", "Tom", "tom@acme.test", level="user")
    factory.stakeholder("bolt", "Bo", "bo@bolt.test", level="champion")

    written = write(engine, [
        row(participants=["Tom@acme.test", "ana@acme.test"]),
        row(participants=["ana@acme.test"], stakeholder_level="user"),  # given: kept
        row(participants=["zed@acme.test"]),
        row("bolt", participants=["bo@bolt.test", "ana@acme.test"]),  # Ana is Acme's, not Bolt's
    ])  # fmt: skip

    assert [w.activity.stakeholder_level for w in written] == ["executive", "user", None, "champion"]
    assert [a.stakeholder_level for a in stored(engine)] == ["executive", "user", None, "champion"]


def test_backdated_rows_are_recorded_at_their_own_date(engine: Engine, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")

    write(engine, [row(date="2026-03-01T09:30:00", external_id="h1")], backdated=True)

    [activity] = stored(engine)
    assert activity.created_at == activity.date == dt.datetime(2026, 3, 1, 9, 30)


def test_activity_create_checks_against_the_as_of_date_it_is_given() -> None:
    with pytest.raises(TypeError, match="as-of date"):
        ActivityCreate.model_validate(CALL)  # no context: the rules cannot tell the future from the past
    with pytest.raises(ValidationError, match="type 'fax' is not valid; use one of email, meeting"):
        ActivityCreate.model_validate({**CALL, "type": "fax"}, context={"as_of": AS_OF})
    with pytest.raises(EngagementError) as refused:
        ActivityCreate.checked({**CALL, "date": "2026-11-25"}, as_of=AS_OF)
    assert str(refused.value) == (
        "date 2026-11-25T00:00:00 lies after the as-of date 2026-11-24; log activities once they have happened."
    )
    # No as-of bound (a calendar's meetings ahead): a later date is taken, and a date is required.
    assert ActivityCreate.checked({**CALL, "date": "2027-01-05"}, as_of=None).date == dt.datetime(2027, 1, 5)
    with pytest.raises(EngagementError) as refused:
        ActivityCreate.checked({**CALL, "date": None}, as_of=None)
    assert str(refused.value) == DATE_REQUIRED


def test_a_logged_activity_and_a_csv_row_are_refused_in_the_same_words(
    engine: Engine, factory: Factory, core: Core, tmp_path: Path
) -> None:
    factory.customer("acme", "Acme Corp")
    path = tmp_path / "activities.csv"
    path.write_text(
        "customer,type,direction,date,participants,external_id\n"
        "acme,email,outbound,last tuesday,,x-1\n"
        "acme,email,outbound,2026-11-20," + ";".join(f"p{i}@acme.test" for i in range(101)) + ",x-2\n",
        encoding="utf-8",
    )

    report = import_csv(engine, "activities", path, as_of=AS_OF)

    refused = []
    for fields in ({"date": "last tuesday"}, {"participants": [f"p{i}@acme.test" for i in range(101)]}):
        with pytest.raises(EngagementError) as error:
            sent = {"customer": "acme", "type": "email", "direction": "outbound", "date": "2026-11-20", **fields}
            log_activity(core, local(core), parse(LogActivityQuery, sent))  # as log_activity and the API take it
        refused.append(str(error.value))
    assert [(r.row, r.reason) for r in report.rejected] == [(2, refused[0]), (3, refused[1])]  # one rule, one wording
    assert refused[1] == "participants has 101 entries; at most 100 are accepted."
    assert stored(engine) == []


def test_a_key_held_by_another_customers_activity_is_a_conflict_and_only_the_same_customers_a_replay(
    engine: Engine, factory: Factory
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.customer("bolt", "Bolt Ltd")
    [held] = write(engine, [row("bolt", external_id="k1", subject="Bolt's renewal")])

    written = write(engine, [
        row(external_id="k1", subject="mine"),  # Bolt's key: a conflict, not Bolt's activity
        row("bolt", external_id="k1"),  # Bolt's own key again: the replay
        row(external_id="k2"),
        row(external_id="k2"),  # the same customer's key twice in one write: a replay of the first
        row("bolt", external_id="k2"),  # a key an earlier row of this write took for another customer
    ])  # fmt: skip

    assert [w.outcome for w in written] == ["conflict", "replayed", "created", "replayed", "conflict"]
    assert written[1].activity == held.activity and written[3].activity == written[2].activity
    for conflict in (written[0], written[4]):
        with pytest.raises(RuntimeError, match="no activity to show"):
            _ = conflict.activity
    assert [(a.customer_id, a.external_id, a.subject) for a in stored(engine)] == [
        ("bolt", "k1", "Bolt's renewal"), ("acme", "k2", None)
    ]  # the caller refuses a conflict (rolls back); the writer itself stored nothing for those rows
