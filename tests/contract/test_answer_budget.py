"""Every tool's default answer on the demo portfolio fits an assistant's budget.

"Default answer": the tool called with only its required arguments. A read's `customer` argument is
tried with the demo customers that have the most stakeholders and the most activities, and the
largest answer counts. The size is what the model reads: the
text content (the SDK pretty-prints the JSON there), or the structured JSON if that is larger.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult, TextContent, Tool

from engagement.caller import Caller
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.contract.contract import Contract

pytestmark = pytest.mark.anyio

MAX_ANSWER_CHARS = 40_000  # ≈ 10,000 tokens at ~4 characters a token
PORTFOLIO_DEFAULT_MAX_BYTES = 8 * 1024  # the first answer of the first question asked; keep it light
# The analysis tools answer within the same 8 KB by default (lists are paged, readings are one line).
ANALYSIS_TOOLS = ("compare_segments", "compare_csms", "find_engagement_outliers", "get_engagement_correlation",
                  "benchmark_customer", "get_engagement_recommendations", "list_alerts", "get_score_history",
                  "run_engagement_check")
# A typical value for each required argument a tool may declare; `customer` is filled per demo customer.
# alert_id 1 is the first alert the daily check raises on the demo (run_engagement_check is called first).
SAMPLE_ARGUMENTS: dict[str, Any] = {"query": "e", "type": "email", "direction": "outbound", "alert_id": 1}
# Writes whose answer another write needs: the check raises the alerts acknowledge_alert acknowledges.
FIRST_WRITES = ("run_engagement_check",)


def answer_size(result: CallToolResult) -> int:
    text = "".join(block.text for block in result.content if isinstance(block, TextContent))
    structured = json.dumps(result.structured_content) if result.structured_content is not None else ""
    return max(len(text.encode()), len(structured.encode()))


def default_calls(tool: Tool, customer_ids: list[str]) -> list[dict[str, Any]]:
    properties = tool.input_schema.get("properties", {})
    base: dict[str, Any] = {}
    for name in tool.input_schema.get("required", []):
        if name == "customer":
            continue
        if name in SAMPLE_ARGUMENTS:
            base[name] = SAMPLE_ARGUMENTS[name]
        elif "enum" in properties.get(name, {}):
            base[name] = properties[name]["enum"][0]
        else:
            pytest.fail(f"{tool.name} requires {name!r}: add a typical value to SAMPLE_ARGUMENTS in {__file__}")
    if "customer" in tool.input_schema.get("required", []):
        # One write is enough to measure; more would only add rows.
        readonly = bool(tool.annotations and tool.annotations.read_only_hint)
        return [{**base, "customer": customer} for customer in (customer_ids if readonly else customer_ids[:1])]
    return [base]


async def measure(client: Client, tool: Tool, customer_ids: list[str]) -> tuple[int, dict[str, Any]]:
    """The largest default answer of `tool`, and the arguments that produced it."""
    largest, worst = -1, {}
    for arguments in default_calls(tool, customer_ids):
        result = await client.call_tool(tool.name, arguments)
        # A tool error would make the size check vacuous: the default call must answer.
        assert not result.is_error, f"{tool.name}({arguments}) failed: {result.content}"
        if (size := answer_size(result)) > largest:
            largest, worst = size, arguments
    return largest, worst


async def test_no_default_answer_exceeds_the_budget(
    demo_client: Client, contract: Contract, demo_heaviest_customers: list[str]
) -> None:
    sizes: dict[str, tuple[int, dict[str, Any]]] = {}
    # Reads first, so a write's row cannot change what a read answers; Google tools cannot be reached here.
    ordered = sorted(
        contract.tools,
        key=lambda tool: (not (tool.annotations and tool.annotations.read_only_hint), tool.name not in FIRST_WRITES),
    )
    for tool in ordered:
        if tool.annotations and tool.annotations.open_world_hint:
            continue
        sizes[tool.name] = await measure(demo_client, tool, demo_heaviest_customers)
    print("\ndefault answer sizes on the demo portfolio (bytes, largest call):")
    for name, (size, arguments) in sorted(sizes.items()):
        print(f"  {name:34} {size:>7}  {arguments if len(arguments) < 3 else ''}")
    over = {name: size for name, (size, _) in sizes.items() if size > MAX_ANSWER_CHARS}
    assert not over, f"default answers over {MAX_ANSWER_CHARS} characters (≈10k tokens): {over}; page or trim them"
    assert len(sizes) >= 7


async def test_portfolio_default_answer_is_under_8_kb(demo_client: Client) -> None:
    result = await demo_client.call_tool("get_portfolio_engagement", {})
    assert not result.is_error, result.content
    assert result.structured_content is not None and result.structured_content["customers"], "the demo portfolio came back empty"
    assert answer_size(result) < PORTFOLIO_DEFAULT_MAX_BYTES, f"{answer_size(result)} bytes"


async def test_analysis_default_answers_are_under_8_kb(
    demo_client: Client, contract: Contract, demo_heaviest_customers: list[str]
) -> None:
    tools = contract.by_name()
    for name in ANALYSIS_TOOLS:
        size, arguments = await measure(demo_client, tools[name], demo_heaviest_customers)
        assert size < PORTFOLIO_DEFAULT_MAX_BYTES, f"{name}({arguments}): {size} bytes"


async def test_alert_answers_after_a_month_of_daily_checks_are_under_8_kb(
    demo_client: Client, demo_settings: Settings, demo_heaviest_customers: list[str]
) -> None:
    # On the fresh demo the alert tools answer almost nothing; a month of checks fills the history and alerts.
    from engagement.alerts.check import run_check
    from engagement.app import create_core

    core = create_core(demo_settings)
    for back in range(30, -1, -1):
        run_check(core, Caller(as_of=AS_OF - dt.timedelta(days=back)))
    for status in (None, "resolved"):  # the default (open and acknowledged), and a full page of resolved ones
        listed = await demo_client.call_tool("list_alerts", {"status": status} if status else {})
        assert not listed.is_error and listed.structured_content and listed.structured_content["page"]["total"] >= 10
        assert answer_size(listed) < PORTFOLIO_DEFAULT_MAX_BYTES, f"list_alerts {status}: {answer_size(listed)} bytes"
    for customer in demo_heaviest_customers:
        history = await demo_client.call_tool("get_score_history", {"customer": customer})
        assert not history.is_error and len(history.structured_content["points"]) == 14  # type: ignore[index]
        assert answer_size(history) < PORTFOLIO_DEFAULT_MAX_BYTES, f"get_score_history: {answer_size(history)} bytes"
