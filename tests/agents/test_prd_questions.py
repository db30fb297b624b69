"""PRD §8.2's five questions through `engagement ask`, end to end but for the model.

Real: the command, routing, the anthropic SDK's streaming tool runner, the MCP server in memory and
the store. Scripted: the model (the fake API) calls the fitting tool, then answers from the tool
result the SDK sent it. So each test shows the question reached the right agent (its prompt and only
its tools went out), the tool ran on the real server with those arguments, and the numbers of its
answer are what the user sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agents.catalog import MONITOR, RESEARCHER, Agent
from tests.agents.conftest import engagement
from tests.agents.fake_anthropic import FakeAnthropic, Request, reply, text, tool_use
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("cli_env")
Answer = dict[str, Any]


def portfolio_summary(answer: Answer) -> str:
    summary, period = answer["summary"], answer["period"]
    counts = ", ".join(f"{c['count']} {c['category']}" for c in summary["categories"])
    return (f"Your {summary['customer_count']} accounts average {summary['average_score']} "
            f"({period['label']}, {period['start']} to {period['end']}): {counts}.")  # fmt: skip


def silent_customers(answer: Answer) -> str:
    return "; ".join(
        f"{row['name']} ({row['customer_id']}): "
        + ("never contacted" if row["days_since_last_contact"] is None else f"{row['days_since_last_contact']} days")
        for row in answer["customers"]
    )


def one_customer(answer: Answer) -> str:
    score = answer["score"]
    return (f"{answer['name']} ({answer['customer_id']}) scores {score['engagement_score']} ({score['category']}, "
            f"{score['trend']} from {score['previous_score']}) for {answer['period']}.")  # fmt: skip


def scored_rows(answer: Answer) -> str:
    return "; ".join(f"{row['name']}: {row['engagement_score']} ({row['category']})" for row in answer["customers"])


def segment_comparison(answer: Answer) -> str:
    return f"Enterprise average {answer['summary']['average_score']}. " + scored_rows(answer)


CASES: list[tuple[str, Agent, str, dict[str, Any], Callable[[Answer], str], Callable[[Answer], bool]]] = [
    ("Show me engagement metrics for my accounts", MONITOR, "get_portfolio_engagement", {},
     portfolio_summary, lambda a: a["summary"]["customer_count"] == 4),
    ("Which customers have I not contacted recently?", MONITOR, "find_uncontacted_customers", {"days": 30},
     silent_customers, lambda a: [row["customer_id"] for row in a["customers"]] == ["initech", "umbrella", "globex"]),
    ("What's the engagement score for Acme Corp?", RESEARCHER, "get_customer_engagement", {"customer": "Acme Corp"},
     one_customer, lambda a: a["customer_id"] == "acme" and a["activities"]["meetings_held"] == 3),
    ("Show me low-engaged customers", MONITOR, "find_low_engagement_customers", {},
     scored_rows, lambda a: a["customers"] and all(row["engagement_score"] < 60 for row in a["customers"])),
    ("Compare engagement across my enterprise accounts", RESEARCHER, "get_portfolio_engagement", {"segment": "Enterprise"},
     segment_comparison, lambda a: {row["customer_id"] for row in a["customers"]} == {"acme", "globex"}),
]  # fmt: skip


def numbers(answer: Answer) -> list[str]:
    """Every number in a tool answer, as the model would quote it."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(str(value))

    walk(answer)
    return found


@pytest.mark.parametrize(("question", "agent", "tool", "arguments", "say", "fits"), CASES, ids=[c[2] + ":" + c[1].name for c in CASES])
def test_a_prd_question_is_answered_by_its_agent_with_the_tools_numbers(
    fake: FakeAnthropic, portfolio: Factory, question: str, agent: Agent, tool: str, arguments: dict[str, Any],
    say: Callable[[Answer], str], fits: Callable[[Answer], bool],
) -> None:  # fmt: skip
    def answer_from_the_tool(request: Request) -> Any:
        return reply(text(say(request.tool_answer())))

    fake.script(reply(text("Checking."), tool_use(tool, **arguments)), answer_from_the_tool)

    result = engagement("ask", question)

    assert result.exit_code == 0, result.output
    first, second = fake.requests
    assert f"## {agent.title}" in first.system_text
    assert all(f"## {other}" not in first.system_text for other in ("Monitor", "Researcher", "Communicator") if other != agent.title)
    assert tool in first.tool_names and set(first.tool_names) <= set(agent.tools)
    [result_block] = second.tool_results()
    assert not result_block.get("is_error"), result_block
    tool_answer = second.tool_answer()
    assert fits(tool_answer), tool_answer
    said = say(tool_answer)
    assert said in result.stdout
    assert any(number in said for number in numbers(tool_answer))
    assert agent.title in result.stderr
    assert "No tool answered" not in result.stderr
