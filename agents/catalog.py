"""The three agents as data: a name, what it is for, and the MCP tools it may call.

A tool named here that the server does not list (yet) is left out when the agent runs, so a new tool
is one line in a list; each agent's system prompt is prompts/agents/<name>.md after common.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import prompts


@dataclass(frozen=True)
class Agent:
    name: str
    title: str
    role: str
    tools: tuple[str, ...]


MONITOR = Agent(
    "monitor",
    "Monitor",
    "engagement across the portfolio: low engagement, who has gone quiet, alerts",
    (
        "get_portfolio_engagement",
        "find_low_engagement_customers",
        "find_uncontacted_customers",
        "search_customers",
        "list_alerts",
        "acknowledge_alert",
        "run_engagement_check",
    ),
)
RESEARCHER = Agent(
    "researcher",
    "Researcher",
    "one customer in depth, trends, and comparisons across segments, CSMs and accounts",
    (
        "get_customer_engagement",
        "get_engagement_trends",
        "search_customers",
        "get_portfolio_engagement",
        "compare_segments",
        "compare_csms",
        "find_engagement_outliers",
        "get_engagement_correlation",
        "benchmark_customer",
        "get_engagement_recommendations",
        "get_score_history",
    ),
)
COMMUNICATOR = Agent(
    "communicator",
    "Communicator",
    "logging touchpoints told in a sentence, and mail and calendar capture (Google, Microsoft 365)",
    ("search_customers", "get_customer_engagement", "log_activity", "sync_email_and_calendar", "get_sync_status"),
)

AGENTS: dict[str, Agent] = {agent.name: agent for agent in (MONITOR, RESEARCHER, COMMUNICATOR)}


def system_prompt(agents: Iterable[Agent]) -> str:
    """What every agent follows, then each agent's own part, the first one leading."""
    return "\n\n".join([prompts.load("agents/common"), *(prompts.load(f"agents/{agent.name}") for agent in agents)])


def tool_names(agents: Iterable[Agent]) -> list[str]:
    """The tools of all `agents`, each once, in the order the agents list them."""
    return list(dict.fromkeys(name for agent in agents for name in agent.tools))
