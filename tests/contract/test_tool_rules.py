"""Every tool the server lists follows the connector directory's rules (tests/contract/rules.py), so a new
tool cannot break them; and each rule is shown to catch a tool that does."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from engagement.db import make_engine
from engagement.settings import Settings
from engagement.snapshots import WRITTEN_BY_READS
from tests.contract import rules
from tests.contract.contract import Contract, fetch_contract

pytestmark = pytest.mark.anyio

@pytest.mark.parametrize("rule", sorted(rules.CHECKS))
async def test_every_tool_follows_the_rule(contract: Contract, rule: str) -> None:
    found = rules.violations(rules.CHECKS[rule], contract.tools, {})
    assert not found, "\n".join(found)



async def test_list_tools_are_recognised(contract: Contract) -> None:
    # Keeps is_list_tool honest: the portfolio views are lists, one customer's detail and a write are not.
    tools = contract.by_name()
    assert rules.is_list_tool(tools["get_portfolio_engagement"])
    assert rules.is_list_tool(tools["find_low_engagement_customers"])
    assert not rules.is_list_tool(tools["get_customer_engagement"])
    assert not rules.is_list_tool(tools["get_engagement_trends"])
    assert not rules.is_list_tool(tools["log_activity"])
    assert rules.is_list_tool(tools["find_engagement_outliers"])
    assert not rules.is_list_tool(tools["benchmark_customer"])


class Row(BaseModel):
    customer_id: str


class Rows(BaseModel):
    customers: list[Row]


def careless_server() -> MCPServer:
    """Tools that break every rule once: what a hurried new tool might look like."""
    server = MCPServer("careless")

    @server.tool(name="list_everything_" + "x" * 60, description="Lists things.")
    def everything() -> Rows:
        return Rows(customers=[])

    @server.tool(
        name="get_days",
        title="get_days",
        description="Days. Use it when asked about days; it returns how many there are, with nothing else to say "
        'about them at all. Example: `{"days": "many"}`',
        annotations=ToolAnnotations(read_only_hint=False, open_world_hint=False),
    )
    def get_days(days: int = 1) -> int:
        return days

    @server.tool(
        name="sync_google_calendar",
        title="Sync Google Calendar",
        description="Pulls meetings. Use it when the user asks to refresh meetings from Google Calendar; it returns "
        "how many were stored. Example: `{}`",
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False),
    )
    def sync() -> int:
        return 0

    return server


async def test_each_rule_catches_a_tool_that_breaks_it() -> None:
    async with Client(careless_server()) as client:
        careless = await fetch_contract(client)
    caught: dict[str, list[str]] = {rule: rules.violations(check, careless.tools) for rule, check in rules.CHECKS.items()}
    assert all(caught.values()), {rule: found for rule, found in caught.items() if not found}
    annotations = "\n".join(caught["annotations"])
    assert "get_days: reads (get_), so readOnlyHint must be true" in annotations
    assert "sync_google_calendar: writes (sync_), so readOnlyHint must be false" in annotations
    assert "sync_google_calendar: openWorldHint must be true" in annotations


def row_counts(settings: Settings) -> dict[str, int]:
    engine = make_engine(settings.resolved_database_url())
    try:
        with Session(engine) as session:
            return {
                table.name: session.exec(select(func.count()).select_from(table)).one()
                for table in SQLModel.metadata.sorted_tables
                if table.name not in WRITTEN_BY_READS  # the scores a read computed, saved for other processes
            }
    finally:
        engine.dispose()


async def test_read_only_tools_change_nothing(
    demo_client: Client, contract: Contract, demo_settings: Settings, demo_customer_ids: list[str]
) -> None:
    # readOnlyHint is a promise clients act on (no confirmation asked), so check it by calling every read.
    before = row_counts(demo_settings)
    calls = 0
    for tool in contract.tools:
        hints = tool.annotations
        if hints is None or not hints.read_only_hint or hints.open_world_hint:
            continue
        default: dict[str, Any] = {"customer": demo_customer_ids[0]} if "customer" in tool.input_schema.get("required", []) else {}
        for arguments in [*rules.examples(tool), default]:
            await demo_client.call_tool(tool.name, arguments)
            calls += 1
    assert calls >= 12, "too few reads were exercised for this check to mean anything"
    assert row_counts(demo_settings) == before
