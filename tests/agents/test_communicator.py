"""The Communicator: a sentence becomes one stored activity, the same sentence again none, and it asks
rather than guesses. The model's turns are scripted; what the server stores and refuses is real."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.models import Activity
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import FakeAnthropic, Reply, Request, reply, text, tool_use
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("cli_env")
SAID = "I just had a 30 minute call with Sarah Chen at Acme about the renewal"
CALL = {"customer": "acme", "type": "call", "direction": "outbound", "duration_minutes": 30,
        "participants": ["sarah.chen@acme.test"], "subject": "Renewal"}  # fmt: skip


def agent_activities(engine: Engine, customer: str = "acme") -> list[Activity]:
    """What the agents stored: activities with an id derived from a sentence."""
    with Session(engine) as session:
        stored = session.exec(select(Activity).where(Activity.customer_id == customer, Activity.source == "agent"))
        return [activity for activity in stored if (activity.external_id or "").startswith("said:")]


def say_what_was_stored(request: Request) -> Reply:
    logged = request.tool_answer()
    activity, score = logged["activity"], logged["score"]
    if not logged["created"]:
        return reply(text(f"That call was already logged ({activity['date'][:10]}); nothing new was stored."))
    return reply(text(f"Stored a {activity['duration_minutes']:g} minute {activity['type']} with "
                      f"{', '.join(activity['participants'])} at {activity['customer_id']} on {activity['date'][:10]}. "
                      f"Acme's score this quarter is now {score['engagement_score']}."))  # fmt: skip


def log_the_call(fake: FakeAnthropic) -> None:
    fake.script(
        reply(tool_use("search_customers", query="Acme")),
        reply(tool_use("get_customer_engagement", customer="acme")),
        reply(text("Logging it."), tool_use("log_activity", **CALL)),
        say_what_was_stored,
    )


def test_a_sentence_is_stored_once_and_the_same_sentence_again_stores_nothing(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    log_the_call(fake)
    first = engagement("ask", SAID)
    log_the_call(fake)
    again = engagement("ask", SAID)

    assert first.exit_code == again.exit_code == 0, first.output + again.output
    [stored] = agent_activities(engine)
    assert (stored.type, stored.duration_minutes, stored.participants) == ("call", 30, ["sarah.chen@acme.test"])
    assert stored.external_id is not None and stored.external_id.startswith("said:")
    assert "Stored a 30 minute call with sarah.chen@acme.test at acme on 2026-11-24." in first.stdout
    assert "already logged" in again.stdout and "Stored" not in again.stdout
    answers = [request.tool_answer() for request in fake.requests if request.tool_results() and "created" in request.tool_answer()]
    assert [answer["created"] for answer in answers] == [True, False]
    assert answers[0]["activity"]["external_id"] == answers[1]["activity"]["external_id"] == stored.external_id


def test_the_same_sentence_stores_once_however_the_model_spells_the_customer(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    for spelling in ("Acme Corp", "acme", "ACME CORP"):  # the name, the id, the name in capitals
        fake.script(reply(tool_use("log_activity", **{**CALL, "customer": spelling})), say_what_was_stored)
        result = engagement("ask", SAID)
        assert result.exit_code == 0, result.output

    [stored] = agent_activities(engine)
    answers = [request.tool_answer() for request in fake.requests if request.tool_results()]
    assert [answer["created"] for answer in answers] == [True, False, False]
    assert {answer["activity"]["external_id"] for answer in answers} == {stored.external_id}


def test_a_customer_the_server_cannot_resolve_is_refused_and_nothing_is_stored(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    fake.script(reply(tool_use("log_activity", **{**CALL, "customer": "Acme Industries"})), reply(text("Which Acme?")))

    result = engagement("ask", SAID)

    assert result.exit_code == 0, result.output
    [refusal] = [request for request in fake.requests if request.tool_results()]
    assert refusal.tool_results()[0].get("is_error") is True and "No customer 'Acme Industries'" in str(refusal.tool_results())
    assert agent_activities(engine) == []


def test_the_model_cannot_set_the_external_id_the_sentence_sets_it(fake: FakeAnthropic, portfolio: Factory, engine: Engine) -> None:
    fake.script(reply(tool_use("log_activity", **CALL, external_id="model-made", source="model")), reply(text("Done.")))

    result = engagement("ask", SAID)

    assert result.exit_code == 0, result.output
    log_activity = next(tool for tool in fake.requests[0].body["tools"] if tool["name"] == "log_activity")
    assert "external_id" not in log_activity["input_schema"]["properties"]
    assert "source" not in log_activity["input_schema"]["properties"]
    [stored] = agent_activities(engine)
    assert stored.external_id != "model-made"


def test_two_touchpoints_in_one_sentence_are_two_activities(fake: FakeAnthropic, portfolio: Factory, engine: Engine) -> None:
    email = {**CALL, "type": "email", "duration_minutes": None}
    script = [reply(tool_use("log_activity", **email), tool_use("log_activity", **CALL)), reply(text("Logged both."))]
    fake.script(*script)
    engagement("ask", "I emailed Sarah at Acme and then had a 30 minute call with her")
    fake.script(*script)
    engagement("ask", "I emailed Sarah at Acme and then had a 30 minute call with her")

    assert sorted(activity.type for activity in agent_activities(engine)) == ["call", "email"]


def test_an_ambiguous_customer_makes_it_ask_and_nothing_is_stored(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    portfolio.customer("acme-labs", "Acme Labs", segment="SMB", csm_id="csm-1")

    def ask_which(request: Request) -> Reply:
        matches = request.tool_answer()["matches"]
        assert len(matches) > 1
        names = " or ".join(f"{m['name']} ({m['customer_id']})" for m in matches)
        return reply(text(f"Which Acme do you mean: {names}?"))

    fake.script(reply(tool_use("search_customers", query="Acme")), ask_which)

    result = engagement("ask", SAID)

    assert result.exit_code == 0, result.output
    assert "Which Acme do you mean: Acme Corp (acme) or Acme Labs (acme-labs)?" in result.stdout
    assert agent_activities(engine) == agent_activities(engine, "acme-labs") == []


def test_a_tool_error_goes_back_to_the_model_as_is_error_and_nothing_is_stored(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    portfolio.customer("acme-labs", "Acme Labs", segment="SMB", csm_id="csm-1")
    seen: list[dict[str, Any]] = []

    def read_the_error(request: Request) -> Reply:
        seen.extend(request.tool_results())
        return reply(text("Two customers match Acme: Acme Corp or Acme Labs?"))

    fake.script(reply(tool_use("log_activity", **{**CALL, "customer": "Acme"})), read_the_error)

    result = engagement("ask", SAID, "--verbose")

    assert result.exit_code == 0, result.output
    [error] = seen
    assert error["is_error"] is True
    assert "ambiguous" in error["content"][0]["text"] and "Acme Labs" in error["content"][0]["text"]
    assert "log_activity(" in result.stderr and "error (sent to the model)" in result.stderr
    assert agent_activities(engine) == []


def test_log_and_tell_me_the_new_score_is_one_answer_from_two_agents(
    fake: FakeAnthropic, portfolio: Factory, engine: Engine
) -> None:
    def quote_the_score(request: Request) -> Reply:
        detail = request.tool_answer()
        return reply(text(f"Logged. Acme Corp now scores {detail['score']['engagement_score']} for {detail['period']}."))

    fake.script(
        reply(tool_use("log_activity", **CALL)),
        reply(tool_use("get_customer_engagement", customer="acme")),
        quote_the_score,
    )

    result = engagement("ask", "log my call with Acme and tell me their new score")

    assert result.exit_code == 0, result.output
    first = fake.requests[0]
    assert first.system_text.index("## Communicator") < first.system_text.index("## Researcher")
    assert {"log_activity", "get_customer_engagement", "get_engagement_trends"} <= set(first.tool_names)
    score = fake.requests[-1].tool_answer()["score"]["engagement_score"]
    assert f"Acme Corp now scores {score} for this_quarter." in result.stdout
    assert len(agent_activities(engine)) == 1
    assert "Communicator + Researcher" in result.stderr
