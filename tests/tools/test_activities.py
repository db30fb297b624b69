"""log_activity through the MCP client: stored once, scores fresh, bad input refused with nothing stored."""

from __future__ import annotations

import pytest
from mcp import Client
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from engagement.models import Activity
from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Activity)).one()


async def test_logged_email_appears_and_updates_the_metrics(client: Client, factory: Factory) -> None:
    """TC-157.3: a CSM sends an email; it is tracked and the metrics update."""
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    before = await call(client, "get_customer_engagement", customer="acme")

    logged = await call(
        client,
        "log_activity",
        customer="Acme Corp",
        type="email",
        direction="outbound",
        date="2026-11-24T09:30:00-05:00",
        subject="Renewal discussion",
        participants=["ana@acme.test"],
        response_received=True,
        response_time_hours=2,
    )
    after = await call(client, "get_customer_engagement", customer="acme")

    assert logged["created"] is True
    assert logged["activity"]["date"] == "2026-11-24T14:30:00Z"  # converted to UTC, and says so
    assert logged["activity"]["source"] == "agent"
    assert after["recent_activities"][0]["subject"] == "Renewal discussion"
    assert after["activities"]["emails_sent"] == before["activities"]["emails_sent"] + 1
    # 11 sent -> email 55; 7 of 11 answered; recency 100 (today): 8.25 + 12.7272.. + 15 + 2.25 + 11.25 + 10
    assert after["score"]["engagement_score"] == 59.5
    assert logged["score"] == after["score"]


async def test_same_external_id_twice_stores_once(client: Client, factory: Factory, engine: Engine) -> None:
    factory.customer("acme", "Acme Corp")
    arguments = {"customer": "acme", "type": "call", "direction": "outbound", "date": "2026-11-20", "external_id": "crm-42"}

    first = await call(client, "log_activity", **arguments)
    second = await call(client, "log_activity", **arguments)

    assert (first["created"], second["created"]) == (True, False)
    assert first["activity"]["id"] == second["activity"]["id"]
    assert stored(engine) == 1


async def test_stakeholder_level_defaults_to_the_most_senior_known_participant(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.stakeholder("acme", "Sarah Chen", "sarah@acme.test", level="executive")
    factory.stakeholder("acme", "Tom Davis", "tom@acme.test", level="user")

    logged = await call(
        client, "log_activity", customer="acme", type="meeting", direction="outbound", date="2026-11-20",
        participants=["Tom@acme.test", "SARAH@acme.test"],
    )

    assert logged["activity"]["stakeholder_level"] == "executive"
    assert logged["activity"]["participants"] == ["tom@acme.test", "sarah@acme.test"]
    assert logged["score"]["engagement_score"] > 0


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"type": "fax"}, ("type 'fax' is not valid; use one of email, meeting, call, qbr, message, event.",)),
        ({"direction": "sideways"}, ("direction 'sideways' is not valid; use one of inbound, outbound.",)),
        ({"duration_minutes": -5}, ("duration_minutes -5 is out of range; give minutes from 0 to 1440.",)),
        ({"duration_minutes": 100000}, ("duration_minutes 100000 is out of range; give minutes from 0 to 1440.",)),
        ({"date": "last tuesday"}, ("date", "not an ISO 8601 date", "YYYY-MM-DD")),
        ({"date": "2026-11-25"}, ("date 2026-11-25", "after the as-of date")),
        ({"date": "1970-01-01"}, ("date", "before 1990")),
        ({"customer": ""}, ("customer is empty",)),
        ({"customer": "Nobody Inc"}, ("No customer 'Nobody Inc'",)),
        ({"subject": "x" * 501}, ("subject is 501 characters long; at most 500 are accepted.",)),
        ({"participants": [f"p{i}@acme.test" for i in range(101)]}, ("participants has 101 entries; at most 100 are accepted.",)),
        ({"response_time_hours": -1}, ("response_time_hours -1 is out of range; give hours from 0 to 8784.",)),
        ({"stakeholder_level": "intern"}, ("stakeholder_level 'intern' is not valid; use one of executive, champion, user",)),
    ],
)
async def test_bad_activity_is_refused_and_nothing_is_stored(
    client: Client, factory: Factory, engine: Engine, arguments: dict[str, object], expected: tuple[str, ...]
) -> None:
    factory.customer("acme", "Acme Corp")
    valid = {"customer": "acme", "type": "email", "direction": "outbound", "date": "2026-11-20"}

    message = await call_error(client, "log_activity", **{**valid, **arguments})

    assert all(part in message for part in expected), message  # the argument, and what is accepted
    assert stored(engine) == 0
