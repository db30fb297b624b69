"""What `POST /api/activities` takes, on both databases: JSON in UTF-8 whose values are of their JSON types,
refused (422) in the words the log_activity tool uses for the same value, and nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.settings import Settings
from server import create_server
from tests.tools.conftest import call_error
from tests.web.conftest import Team, bearer

pytestmark = pytest.mark.anyio
ACTIVITIES = "/api/activities"
GOOD = {"customer": "acme", "type": "call", "direction": "outbound", "date": "2026-11-20"}
BEFORE = 3  # the team's own (tests/web/conftest.py make_team)
INTERNALS = ("function-after", "validation error", "Input should", "pydantic", "[type=", "ActivityIn", "union")


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM activity")).scalar_one())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration_minutes": True}, "duration_minutes must be a number, not a boolean (true); give minutes from 0 to 1440."),
        ({"duration_minutes": "30"}, "duration_minutes must be a number, not text ('30'); give minutes from 0 to 1440."),
        ({"response_time_hours": False}, "response_time_hours must be a number, not a boolean (false); give hours from 0 to 8784."),
        ({"response_received": "yes"}, "response_received must be true or false, not text ('yes'); leave it out when unknown."),
        ({"response_received": 1}, "response_received must be true or false, not a number (1); leave it out when unknown."),
        ({"date": "2026-W47"}, "date '2026-W47' is not an ISO 8601 date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]."),
        ({"date": "20261120"}, "date '20261120' is not an ISO 8601 date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]."),
        ({"date": 20261120}, "date must be text, not a number (2.02611e+07); use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]."),
        ({"source": "  "}, "source is blank; give text of at most 32 characters, or leave it out."),
        ({"subject": " "}, "subject is blank; give text of at most 500 characters, or leave it out."),
        ({"external_id": ""}, "external_id is blank; give text of at most 512 characters, or leave it out."),
        ({"subject": 42}, "subject must be text, not a number (42); give at most 500 characters."),
        ({"participants": "ceo@acme.test"}, "participants must be a list of texts (email addresses preferred), not text ('ceo@acme.test')."),
        ({"type": "Call"}, "type 'Call' is not valid; use one of email, meeting, call, qbr, message, event."),
        ({"stakeholder_level": "ceo"}, "stakeholder_level 'ceo' is not valid; use one of executive, champion, user or leave it out."),
        ({"duration_minutes": 1441}, "duration_minutes 1441 is out of range; give minutes from 0 to 1440."),
    ],
)  # fmt: skip
async def test_a_value_of_the_wrong_kind_is_refused_in_the_tools_words_on_both_doors(
    http: TestClient, team: Team, settings: Settings, engine: Engine, change: dict[str, Any], message: str
) -> None:
    rest = http.post(ACTIVITIES, json={**GOOD, **change}, headers=bearer(team.tokens["ada"]))
    async with Client(create_server(settings)) as client:
        tool = await call_error(client, "log_activity", **{**GOOD, **change})

    assert rest.status_code == 422
    assert rest.json() == {"error": "invalid_request", "message": message}
    assert tool.endswith(message)  # after the SDK's "Error executing tool log_activity: "
    assert stored(engine) == BEFORE


def test_a_bad_row_in_a_list_is_named_and_nothing_is_stored(http: TestClient, team: Team, engine: Engine) -> None:
    rows = [GOOD, {**GOOD, "date": "2026-11-21"}, {**GOOD, "duration_minutes": True, "extra": 1}]

    answer = http.post(ACTIVITIES, json=rows, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 422
    assert answer.json()["message"] == (
        "activity 3: duration_minutes must be a number, not a boolean (true); give minutes from 0 to 1440."
    )
    assert stored(engine) == BEFORE


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**GOOD, "when": "today"}, "when is not a field of an activity; the fields are customer, type, direction, date, "
         "duration_minutes, participants, stakeholder_level, response_received, response_time_hours, subject, source, external_id."),
        ({"type": "call", "direction": "outbound"}, "customer is required."),
        ({**GOOD, "customer": 7}, "customer must be text, not a number (7); give at most 200 characters."),
        ({**GOOD, "customer": "x" * 201}, "customer is 201 characters long; at most 200 are accepted."),
        ({key: value for key, value in GOOD.items() if key != "type"}, "type is required; use one of email, meeting, call, qbr, message, event."),
        ([], "The body must be one activity (a JSON object) or a list of 1-500 of them."),
        ("call acme", "The body must be one activity (a JSON object) or a list of 1-500 of them."),
        ([GOOD, "acme"], "activity 2: An activity must be a JSON object with customer, type and direction (and the other fields log_activity takes)."),
    ],
)  # fmt: skip
def test_a_body_of_the_wrong_shape_is_refused_in_plain_words(http: TestClient, team: Team, engine: Engine, body: Any, message: str) -> None:
    answer = http.post(ACTIVITIES, json=body, headers=bearer(team.tokens["ada"]))

    assert answer.status_code == 422
    assert answer.json()["message"] == message
    assert not any(word in answer.text for word in INTERNALS)
    assert stored(engine) == BEFORE


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (json.dumps(GOOD).encode("utf-16"), "application/json"),
        (json.dumps(GOOD).encode("utf-32"), "application/json"),
        (json.dumps({**GOOD, "subject": "Café"}, ensure_ascii=False).encode("latin-1"), "application/json"),
        (json.dumps(GOOD).encode(), "application/json; charset=latin-1"),
        (json.dumps(GOOD).encode("utf-16"), "application/json; charset=utf-16"),
    ],
)
def test_a_body_that_is_not_utf_8_is_415_and_nothing_is_stored(
    http: TestClient, team: Team, engine: Engine, content: bytes, content_type: str
) -> None:
    answer = http.post(ACTIVITIES, content=content, headers={**bearer(team.tokens["ada"]), "Content-Type": content_type})

    assert answer.status_code == 415
    assert answer.json()["message"] == "Send the body as JSON in UTF-8 (Content-Type: application/json)."
    assert stored(engine) == BEFORE


def test_utf_8_with_its_charset_named_is_taken(http: TestClient, team: Team, engine: Engine) -> None:
    body = json.dumps({**GOOD, "subject": "Café"}, ensure_ascii=False).encode()

    answer = http.post(ACTIVITIES, content=body, headers={**bearer(team.tokens["ada"]), "Content-Type": "application/json; charset=UTF-8"})

    assert answer.status_code == 201 and answer.json()["activity"]["subject"] == "Café"
    assert stored(engine) == BEFORE + 1
