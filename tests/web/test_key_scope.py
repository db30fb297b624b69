"""An external_id is one customer's: a write with a key another customer's activity holds is refused with
nothing of that activity in the answer (whoever the caller is, whether they may see it or not) and nothing
stored; only the same customer's same key is the idempotent replay. Through every door a caller has: the
REST API (one activity, a list) and log_activity over the MCP SDK's own client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from engagement.models import Activity
from engagement.core import Core
from engagement.settings import Settings
from engagement.users import caller_of, find_user
from server import create_server
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.tools.conftest import call_error
from tests.web.conftest import Team, bearer

HELD = "crm-1001"  # held by Bolt Freight's activity: Blake's customer, another team's (the admin sees it)
SEEN = "crm-2002"  # held by Apex Labs' activity: Avery's customer, whom Avery, Morgan and the admin all see
OWN = {"avery": "acme", "morgan": "mosaic", "ada": "orphan"}  # a CSM, a manager, an admin: who writes for whom
REFUSAL = (
    "external_id '{key}' (source 'crm') is already used by an activity of another customer; "
    "use another external_id for this one, or leave it out."
)


@pytest.fixture
def holders(factory: Factory, team: Team) -> dict[str, Activity]:
    """The activities holding HELD (Bolt's) and SEEN (Apex's)."""
    held = factory.activity(
        "bolt", "2026-11-18T09:30:00", type="meeting", duration_minutes=47, participants=["cfo@bolt.test"],
        stakeholder_level="executive", subject="Bolt renewal: walk-away price", source="crm", external_id=HELD,
    )  # fmt: skip
    seen = factory.activity("apex", "2026-11-17T08:15:00", subject="Apex kickoff", source="crm", external_id=SEEN)
    return {"held": held, "seen": seen}


def hidden_traces(activity: Activity) -> list[str]:
    """What the answer must not hold of the activity behind HELD: its id, customer, subject, people, date."""
    return ["bolt", "Bolt Freight", "walk-away", "cfo@", "2026-11-18", "09:30", "47", "executive", "meeting",
            str(activity.id)]  # fmt: skip


def assert_nothing_of(answer: str, activity: Activity) -> None:
    for trace in hidden_traces(activity):
        pattern = rf"\b{re.escape(trace)}\b" if trace.isdigit() else re.escape(trace)
        assert re.search(pattern, answer, re.IGNORECASE) is None, f"{trace!r} in {answer}"


def snapshot(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [a.model_dump() for a in session.exec(select(Activity).order_by(Activity.id))]


def meeting(customer: str, key: str | None) -> dict[str, Any]:
    return {"customer": customer, "type": "call", "direction": "outbound", "date": "2026-11-23", "source": "crm",
            "external_id": key, "subject": "my own call"}  # fmt: skip


@pytest.mark.parametrize("person", OWN)
def test_a_key_held_by_another_customers_activity_is_refused_over_rest_with_nothing_of_it(
    http: TestClient, team: Team, engine: Engine, holders: dict[str, Activity], person: str
) -> None:
    own = OWN[person]
    before = snapshot(engine)

    single = http.post("/api/activities", json=meeting(own, HELD), headers=bearer(team.tokens[person]))
    batch = http.post(
        "/api/activities", json=[meeting(own, "fresh-1"), meeting(own, HELD)], headers=bearer(team.tokens[person])
    )

    assert single.status_code == 409
    assert single.json() == {"error": "conflict", "message": REFUSAL.format(key=HELD)}
    assert batch.status_code == 409
    assert batch.json() == {"error": "conflict", "message": "activity 2: " + REFUSAL.format(key=HELD)}
    for answer in (single, batch):
        assert_nothing_of(answer.text, holders["held"])
    assert snapshot(engine) == before  # neither her touchpoint nor the list's other row; Bolt's as it was


@pytest.mark.anyio
@pytest.mark.parametrize("person", OWN)
async def test_a_key_held_by_another_customers_activity_is_refused_by_log_activity_with_nothing_of_it(
    settings: Settings, core: Core, engine: Engine, team: Team, holders: dict[str, Activity], person: str
) -> None:
    own = OWN[person]
    with Session(engine) as session:
        caller = caller_of(session, find_user(session, f"{person}@ourco.test"), AS_OF)
    before = snapshot(engine)

    async with Client(create_server(settings, core=core, caller_of=lambda: caller)) as client:
        message = await call_error(client, "log_activity", **meeting(own, HELD))

    assert message == "Error executing tool log_activity: " + REFUSAL.format(key=HELD)  # the SDK's prefix
    assert_nothing_of(message, holders["held"])
    assert snapshot(engine) == before


@pytest.mark.parametrize("person", ["avery", "morgan"])  # Bolt is hidden from both, Apex seen by both
@pytest.mark.usefixtures("holders")
def test_a_hidden_holder_and_a_visible_one_are_refused_alike_by_the_same_statements(
    http: TestClient, team: Team, engine: Engine, person: str
) -> None:
    """Whether the caller may see the customer holding the key changes neither the answer nor the work
    done (the statements run, in order): nothing, not even its time beyond noise, tells them apart."""
    own = OWN[person]

    def refuse(key: str) -> tuple[int, str, list[str]]:
        with statements(engine) as ran:
            answer = http.post("/api/activities", json=meeting(own, key), headers=bearer(team.tokens[person]))
        return answer.status_code, answer.json()["message"].replace(key, "KEY"), ran

    refuse(HELD)  # first use warms what a first request warms (the token's check, statement caches)
    hidden, seen, hidden_again = refuse(HELD), refuse(SEEN), refuse(HELD)

    assert hidden[0] == 409 and hidden[1] == REFUSAL.format(key="KEY")
    assert hidden == seen == hidden_again
    assert any(s.lstrip().upper().startswith("INSERT INTO ACTIVITY") for s in hidden[2])  # it did try to store


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs meanwhile, without their values."""
    ran: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        ran.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_only_the_same_customers_key_again_is_a_replay_answered_with_the_stored_activity(
    http: TestClient, team: Team, engine: Engine
) -> None:
    headers = bearer(team.tokens["avery"])
    first = http.post("/api/activities", json=meeting("acme", "crm-own-1"), headers=headers)
    other = http.post("/api/activities", json=meeting("apex", "crm-own-1"), headers=headers)  # her other customer
    again = http.post("/api/activities", json={**meeting("acme", "crm-own-1"), "subject": "typed again"}, headers=headers)
    twice = http.post("/api/activities", json=[meeting("apex", "crm-own-2"), meeting("apex", "crm-own-2")], headers=headers)

    assert (first.status_code, first.json()["created"]) == (201, True)
    assert other.status_code == 409 and other.json()["message"] == REFUSAL.format(key="crm-own-1")
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert again.json()["activity"] == first.json()["activity"]  # the stored one, not what was sent again
    assert twice.status_code == 201
    results = twice.json()["results"]
    assert [r["created"] for r in results] == [True, False] and results[0]["activity"] == results[1]["activity"]
    with engine.connect() as connection:
        counts = connection.execute(
            text("SELECT customer_id, external_id, count(*) FROM activity WHERE external_id LIKE 'crm-own-%' "
                 "GROUP BY customer_id, external_id")
        ).all()  # fmt: skip
    assert sorted(counts) == [("acme", "crm-own-1", 1), ("apex", "crm-own-2", 1)]


def test_one_key_for_two_customers_in_one_list_refuses_the_later_row_and_stores_none(
    http: TestClient, team: Team, engine: Engine
) -> None:
    before = snapshot(engine)

    answer = http.post(
        "/api/activities",
        json=[meeting("acme", "fresh-2"), meeting("apex", "shared"), meeting("acme", "shared")],
        headers=bearer(team.tokens["avery"]),
    )

    assert answer.status_code == 409
    assert answer.json() == {"error": "conflict", "message": "activity 3: " + REFUSAL.format(key="shared")}
    assert snapshot(engine) == before
