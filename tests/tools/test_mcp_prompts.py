"""The MCP prompts as a client sees them: listed with their arguments, rendered with them, refused without."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

import prompts
from engagement import external_ids

pytestmark = pytest.mark.anyio


async def test_the_three_prompts_are_listed_with_their_arguments(client: Client) -> None:
    listed = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}

    assert sorted(listed) == ["log_call_notes", "pre_qbr_brief", "weekly_portfolio_review"]
    assert listed["weekly_portfolio_review"].arguments == []
    [customer] = listed["pre_qbr_brief"].arguments or []
    [notes] = listed["log_call_notes"].arguments or []
    assert (customer.name, customer.required, notes.name, notes.required) == ("customer", True, "notes", True)
    assert all(prompt.title and prompt.description for prompt in listed.values())


async def test_the_brief_renders_for_the_customer_with_the_researchers_guidance(client: Client) -> None:
    rendered = await client.get_prompt("pre_qbr_brief", {"customer": "Acme Corp"})

    [message] = rendered.messages
    text = message.content.text  # type: ignore[union-attr]
    assert message.role == "user"
    assert "quarterly business review with Acme Corp." in text
    assert "get_customer_engagement" in text and "get_engagement_trends" in text
    assert prompts.load("agents/researcher") in text and prompts.load("agents/common") in text
    assert "$customer" not in text


async def test_the_weekly_review_asks_for_the_monitors_tools(client: Client) -> None:
    rendered = await client.get_prompt("weekly_portfolio_review", {})

    text = rendered.messages[0].content.text  # type: ignore[union-attr]
    for tool in ("get_portfolio_engagement", "find_low_engagement_customers", "find_uncontacted_customers"):
        assert tool in text
    assert prompts.load("agents/monitor") in text


async def test_call_notes_render_with_an_external_id_of_the_notes_themselves(client: Client) -> None:
    notes = "30 min call with Sarah Chen at Acme about the renewal; she wants a pricing review."

    first = (await client.get_prompt("log_call_notes", {"notes": notes})).messages[0].content.text  # type: ignore[union-attr]
    again = (await client.get_prompt("log_call_notes", {"notes": f"  {notes.upper()}  "})).messages[0].content.text  # type: ignore[union-attr]
    other = (await client.get_prompt("log_call_notes", {"notes": "Emailed Bob at Globex."})).messages[0].content.text  # type: ignore[union-attr]

    assert f"<notes>\n{notes}\n</notes>" in first
    assert f"`{external_ids.from_sentence(notes)}-<activity date" in first
    assert external_ids.from_sentence(notes) in again  # the same notes, differently typed: the same ids
    assert external_ids.from_sentence(notes) not in other
    assert prompts.load("agents/communicator") in first


@pytest.mark.parametrize(
    ("name", "arguments", "says"),
    [
        ("pre_qbr_brief", {}, "needs customer (customer: The customer's name or id"),
        ("pre_qbr_brief", {"customer": "   "}, "needs customer"),
        ("pre_qbr_brief", {"customer": "x" * 201}, "customer: String should have at most 200 characters"),
        ("log_call_notes", {}, "needs notes"),
    ],
)
async def test_a_missing_or_bad_argument_is_invalid_params_saying_what_is_needed(
    client: Client, name: str, arguments: dict[str, str], says: str
) -> None:
    with pytest.raises(MCPError) as refused:
        await client.get_prompt(name, arguments)

    assert refused.value.code == INVALID_PARAMS
    assert says in refused.value.message
