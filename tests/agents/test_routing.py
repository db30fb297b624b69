"""Which agent a question goes to: PRD §8.2's questions and the CSM's own ways of saying things."""

from __future__ import annotations

import pytest

from agents.catalog import AGENTS, COMMUNICATOR, MONITOR, RESEARCHER, system_prompt
from agents.routing import route

PRD_QUESTIONS = [
    ("Show me engagement metrics for my accounts", MONITOR),
    ("Which customers have I not contacted recently?", MONITOR),
    ("What's the engagement score for Acme Corp?", RESEARCHER),
    ("Show me low-engaged customers", MONITOR),
    ("Compare engagement across my enterprise accounts", RESEARCHER),
]


@pytest.mark.parametrize(("question", "agent"), PRD_QUESTIONS)
def test_each_prd_question_goes_to_its_agent_alone(question: str, agent: object) -> None:
    assert route(question).agents == (agent,)


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("I just had a 30 minute call with Sarah Chen at Acme about the renewal", COMMUNICATOR),
        ("I emailed Bob at Initech yesterday about pricing", COMMUNICATOR),
        ("We met with the Acme CFO today for 45 minutes", COMMUNICATOR),
        ("Sync my Gmail", COMMUNICATOR),
        ("Who haven't I talked to in a while?", MONITOR),
        ("Which customers have I not been in touch with?", MONITOR),
        ("Any alerts this week?", MONITOR),
        ("How is Globex doing?", RESEARCHER),
        ("Show me Acme's trend over the last 6 months", RESEARCHER),
        ("Prepare a QBR brief for Initech", RESEARCHER),
    ],
)
def test_a_csms_own_words_reach_the_fitting_agent(question: str, lead: object) -> None:
    assert route(question).lead == lead


def test_a_question_for_two_agents_gets_both_the_writer_leading() -> None:
    chosen = route("log my call with Acme and tell me their new score")

    assert chosen.agents == (COMMUNICATOR, RESEARCHER)
    assert {"log_activity", "get_customer_engagement", "get_engagement_trends"} <= set(chosen.tools)
    assert len(chosen.tools) == len(set(chosen.tools))


def test_the_agent_with_more_matching_phrases_leads() -> None:
    assert route("Why is Acme's score low?").agents == (RESEARCHER, MONITOR)


def test_a_question_that_matches_nothing_goes_to_the_monitor() -> None:
    assert route("hello").agents == (MONITOR,)


def test_only_the_communicator_may_write() -> None:
    writers = {name for name, agent in AGENTS.items() if {"log_activity", "sync_email_and_calendar", "sync_google_workspace"} & set(agent.tools)}

    assert writers == {"communicator"}


def test_a_combined_system_prompt_has_the_common_rules_once_and_the_lead_first() -> None:
    text = system_prompt((COMMUNICATOR, RESEARCHER))

    assert text.count("Never state a score") == 1
    assert text.index("## Communicator") < text.index("## Researcher")
