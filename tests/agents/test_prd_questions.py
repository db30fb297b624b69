"""PRD §8.2's five questions through `engagement ask`, end to end but for the model.

Real: the command, routing, the anthropic SDK's streaming tool runner, the MCP server in memory and
the store. Scripted: the model (the fake API) calls the fitting tool, then says a fixed sentence. So
each test shows the question reached the right agent (its prompt and only its tools went out), the
tool ran on the real server with those arguments and the user's scope (the answer the model was sent
is the one the tool gives when called directly, and its numbers are the ones worked out by hand from
the portfolio below), and the model's words reach the terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp import Client

from agents.catalog import MONITOR, RESEARCHER, Agent
from engagement.settings import Settings
from server import create_server
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import FakeAnthropic, reply, text, tool_use
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("cli_env")
Answer = dict[str, Any]
SAID = "Here is what the tool found for you."


def categories(answer: Answer) -> dict[str, int]:
    return {c["category"]: c["count"] for c in answer["summary"]["categories"]}


def ids(answer: Answer) -> list[str]:
    return [row["customer_id"] for row in answer["customers"]]


# The portfolio (tests/agents/conftest.py), by SPEC.md as of 2026-11-24, this_quarter: Acme Corp 56.8 (SPEC's
# example 1); Globex one email 53 days before the period's end, 0.15 * 5 = 0.8; Initech never contacted and
# Umbrella silent since 2026-09-25 (60 days), both 0.0.
CASES: list[tuple[str, Agent, str, dict[str, Any], Callable[[Answer], bool]]] = [
    ("Show me engagement metrics for my accounts", MONITOR, "get_portfolio_engagement", {},
     lambda a: a["summary"]["customer_count"] == 4 and a["summary"]["average_score"] == 14.4
     and categories(a) == {"high": 0, "healthy": 0, "low": 1, "at_risk": 3}),
    ("Which customers have I not contacted recently?", MONITOR, "find_uncontacted_customers", {"days": 30},
     lambda a: [(row["customer_id"], row["days_since_last_contact"]) for row in a["customers"]]
     == [("initech", None), ("umbrella", 60), ("globex", 53)]),
    ("What's the engagement score for Acme Corp?", RESEARCHER, "get_customer_engagement", {"customer": "Acme Corp"},
     lambda a: a["customer_id"] == "acme" and a["score"]["engagement_score"] == 56.8 and a["activities"]["meetings_held"] == 3),
    ("Show me low-engaged customers", MONITOR, "find_low_engagement_customers", {},
     lambda a: ids(a) == ["initech", "umbrella", "globex", "acme"]
     and [row["engagement_score"] for row in a["customers"]] == [0.0, 0.0, 0.8, 56.8]),
    ("Compare engagement across my enterprise accounts", RESEARCHER, "get_portfolio_engagement", {"segment": "Enterprise"},
     lambda a: ids(a) == ["globex", "acme"] and a["summary"]["average_score"] == 28.8),
]  # fmt: skip


def asked_directly(settings: Settings, tool: str, arguments: dict[str, Any]) -> Answer:
    """The tool's answer to the same arguments, called straight through the MCP client (no agent)."""

    async def ask() -> Answer:
        async with Client(create_server(settings)) as client:
            result = await client.call_tool(tool, arguments)
        assert not result.is_error and result.structured_content is not None, result.content
        return result.structured_content

    return anyio.run(ask)


@pytest.mark.parametrize(("question", "agent", "tool", "arguments", "fits"), CASES, ids=[c[2] + ":" + c[1].name for c in CASES])
def test_a_prd_question_is_answered_by_its_agent_with_the_tools_answer(
    fake: FakeAnthropic, portfolio: Factory, settings: Settings, question: str, agent: Agent, tool: str,
    arguments: dict[str, Any], fits: Callable[[Answer], bool],
) -> None:  # fmt: skip
    fake.script(reply(text("Checking."), tool_use(tool, **arguments)), reply(text(SAID)))

    result = engagement("ask", question)

    assert result.exit_code == 0, result.output
    first, second = fake.requests
    assert f"## {agent.title}" in first.system_text
    assert all(f"## {other}" not in first.system_text for other in ("Monitor", "Researcher", "Communicator") if other != agent.title)
    assert tool in first.tool_names and set(first.tool_names) <= set(agent.tools)
    [result_block] = second.tool_results()
    assert not result_block.get("is_error"), result_block
    sent = second.tool_answer()
    assert fits(sent), sent
    assert sent == asked_directly(settings, tool, arguments)
    assert SAID in result.stdout
    assert agent.title in result.stderr
    assert "No tool answered" not in result.stderr
