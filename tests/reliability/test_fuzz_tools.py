"""Every MCP tool, fed generated arguments (from its own input schema, plus wrong types, huge and negative
numbers, NaN, unicode, missing and unknown keys): a valid answer, or a tool error that names an argument.
Never a crash ("Error executing tool X" and nothing else), a protocol error, or a write left behind."""

from __future__ import annotations

import math
import re
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, event, given, settings as hypothesis_settings, strategies as st
from mcp import Client
from mcp.server.mcpserver import MCPServer
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from server import create_server
from tests.factories import Factory
from tests.reliability.conftest import table_counts, tool_error_text

EXAMPLES = 30
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=300, max_size=700),  # past every max_length
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
# Periods at and past the calendar's edges (1990-01-01 to 2100-12-31), and digits that are not ASCII.
CALENDAR_EDGES = ["9999-12", "9999-Q4", "0000-01", "0001-01", "0001-Q1", "1000-01", "1989-12", "1990-01", "1990-Q1",
                  "2100-12", "2100-Q4", "2101-01", "٢٠٢٦-Q1", "２０２６-01"]  # fmt: skip
# What a terminal or rich would obey: markup, links, emoji codes, ESC / CSI / OSC, bidirectional overrides.
MARKUP_AND_CONTROLS = ["[/b]", "[/]", "[link=http://evil.example]x[/link]", ":x:", "\x1b[31m", "\x1b]0;t\x07", "\x9b",
                       "\u202e", "\r", "\x08"]  # fmt: skip
# Integers past every bound and past the databases' 64-bit integers.
HUGE_INTEGERS = st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30])
TEXT_LIKE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["acme", "Acme Corp", "ACME", "all", "csm-1", "csm-1@ourco.test", "this_quarter", "2026-Q5", "2026-13",
         "last_30_days", "Enterprise", "smb", "%", "_", "'; DROP TABLE activity; --", "\x00", "e\u0301", "\ud7ff",
         "2026-11-20", "2026-11-20T10:00:00+14:00", "2099-01-01", "1989-12-31", "9999-99-99", "NaN", "-1", "1e309"]
    ),
    st.sampled_from(CALENDAR_EDGES + MARKUP_AND_CONTROLS),
    st.builds("".join, st.lists(st.sampled_from(["Acme", " ", *MARKUP_AND_CONTROLS]), min_size=1, max_size=4)),
)


def value_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value the schema allows (enums, bounds) most of the time, anything at all otherwise."""
    options: list[st.SearchStrategy[Any]] = []
    for branch in schema.get("anyOf", [schema]):
        if "enum" in branch:
            options.append(st.sampled_from(branch["enum"]))
        kind = branch.get("type")
        if kind == "string":
            options.append(TEXT_LIKE)
        elif kind == "integer":
            low, high = branch.get("minimum", -10), branch.get("maximum", 10_000)
            options += [st.integers(min_value=low - 2, max_value=high + 2), HUGE_INTEGERS]
        elif kind == "number":
            low, high = branch.get("minimum", -10), branch.get("maximum", 10_000)
            options.append(st.floats(min_value=low - 1, max_value=high + 1))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            options.append(st.lists(TEXT_LIKE, max_size=4))
        elif kind == "null":
            options.append(st.none())
    return st.one_of(*options, ANYTHING) if options else ANYTHING


def arguments_for(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = schema.get("properties", {})
    return st.fixed_dictionaries(
        {},
        optional={name: value_for(prop) for name, prop in properties.items()} | {"unexpected_argument": ANYTHING},
    )


def names_an_argument(message: str, arguments: dict[str, Any], schema: dict[str, Any]) -> bool:
    """The message names one of the tool's arguments (or its stem: `csm_id` -> `csm`)."""
    lowered = message.lower()
    names = set(arguments) | set(schema.get("required", [])) | set(schema.get("properties", {}))
    stems = names | {name.split("_")[0] for name in names}
    return any(re.search(rf"\b{re.escape(stem.lower())}", lowered) for stem in stems)


@pytest.fixture
def server(settings: Settings, engine: Engine, factory: Factory) -> MCPServer:
    factory.csm("csm-1", "Casey Morgan")
    factory.customer("acme", "Acme Corp", csm_id="csm-1", segment="Enterprise")
    factory.customer("globex", "Globex", csm_id="csm-1")
    factory.stakeholder("acme", "Ana", "ana@acme.test", level="executive")
    factory.spec_example_one("acme")
    return create_server(settings)


async def tool_schemas(server: MCPServer) -> dict[str, dict[str, Any]]:
    async with Client(server) as client:
        return {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}


async def call_once(server: MCPServer, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


def count_rows(engine: Engine, tables: list[str]) -> list[int]:
    with engine.connect() as connection:
        return [connection.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() for name in tables]


def is_finite_json(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(is_finite_json(v) for v in value.values())
    if isinstance(value, list):
        return all(is_finite_json(v) for v in value)
    return True


def test_every_tool_is_fuzzed(server: MCPServer) -> None:
    """The parametrised fuzz below covers every registered tool; a new tool fails here until listed."""
    assert set(anyio.run(tool_schemas, server)) == set(TOOLS)


TOOLS = (
    "get_portfolio_engagement",
    "get_customer_engagement",
    "get_engagement_trends",
    "find_uncontacted_customers",
    "find_low_engagement_customers",
    "search_customers",
    "log_activity",
    "sync_email_and_calendar",
    "sync_google_workspace",
    "get_sync_status",
    "compare_segments",
    "compare_csms",
    "find_engagement_outliers",
    "get_engagement_correlation",
    "benchmark_customer",
    "get_engagement_recommendations",
    "run_engagement_check",
    "list_alerts",
    "acknowledge_alert",
    "get_score_history",
)


@pytest.mark.parametrize("tool", TOOLS)
def test_generated_arguments_end_in_an_answer_or_an_error_naming_an_argument(
    server: MCPServer, engine: Engine, tool: str
) -> None:
    schema = anyio.run(tool_schemas, server)[tool]
    tables = list(table_counts(engine))

    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(arguments=arguments_for(schema))
    def check(arguments: dict[str, Any]) -> None:
        before = count_rows(engine, tables)
        result = anyio.run(call_once, server, tool, arguments)  # a protocol error raises here and fails
        event("error" if result.is_error else "answer")
        if not result.is_error:
            assert result.structured_content is not None, result.content
            assert is_finite_json(result.structured_content)
            return
        message = tool_error_text(result)
        assert message.strip() != f"Error executing tool {tool}", f"crash on {arguments!r}"
        assert names_an_argument(message, arguments, schema), f"{message!r} names no argument of {arguments!r}"
        assert count_rows(engine, tables) == before, f"an error left a write behind: {arguments!r}"

    check()


PLAIN_CALLS = {
    "get_portfolio_engagement": {},
    "get_customer_engagement": {"customer": "acme"},
    "get_engagement_trends": {"customer": "Acme Corp"},
    "find_uncontacted_customers": {"days": 1},
    "find_low_engagement_customers": {"threshold": 100},
    "search_customers": {"query": "a"},
    "log_activity": {"customer": "acme", "type": "email", "direction": "outbound", "date": "2026-11-20"},
    "sync_email_and_calendar": {},
    "sync_google_workspace": {},
    "get_sync_status": {},
    "compare_segments": {},
    "compare_csms": {"manager_id": "csm-1"},
    "find_engagement_outliers": {"segment": "Enterprise"},
    "get_engagement_correlation": {"outcome": "health"},
    "benchmark_customer": {"customer": "acme"},
    "get_engagement_recommendations": {"customer": "Acme Corp"},
    "run_engagement_check": {},
    "list_alerts": {"status": "open"},
    "acknowledge_alert": {"alert_id": 1},  # raised by the check FIRST runs
    "get_score_history": {"customer": "acme"},
}
FIRST = {"acknowledge_alert": ("run_engagement_check", {})}  # what a plain call needs done before it


@pytest.mark.parametrize("tool", TOOLS)
def test_a_plain_valid_call_of_every_tool_answers(server: MCPServer, tool: str) -> None:
    """The fuzz's baseline: each tool answers an ordinary call, rows found (a crash here once hid in
    search_customers: rows read in a snapshot session were expired by its rollback)."""
    if tool in FIRST:
        anyio.run(call_once, server, *FIRST[tool])
    result = anyio.run(call_once, server, tool, PLAIN_CALLS[tool])

    assert not result.is_error, tool_error_text(result)


@pytest.mark.parametrize("tool", TOOLS)
def test_a_nul_character_in_any_text_argument_is_a_tool_error_naming_it(
    server: MCPServer, engine: Engine, tool: str
) -> None:
    """PostgreSQL cannot store or even compare text holding NUL; found by the fuzz above on PostgreSQL."""
    schema = anyio.run(tool_schemas, server)[tool]
    text_arguments = [
        name for name, prop in schema.get("properties", {}).items()
        if any(branch.get("type") in ("string", "array") and "enum" not in branch for branch in prop.get("anyOf", [prop]))
    ]
    tables = list(table_counts(engine))
    for name in text_arguments:
        value: Any = ["a\x00b@acme.test"] if name == "participants" else "ac\x00me"
        before = count_rows(engine, tables)

        result = anyio.run(call_once, server, tool, {**PLAIN_CALLS[tool], name: value})

        assert result.is_error and name in tool_error_text(result), (name, tool_error_text(result))
        assert count_rows(engine, tables) == before


@pytest.mark.parametrize("tool", TOOLS)
def test_calendar_edges_and_huge_integers_in_every_argument_are_refused_by_name(
    server: MCPServer, engine: Engine, tool: str
) -> None:
    """Every period argument at and past the calendar's edges, every integer argument past 64 bits: an
    answer inside the calendar, else an error naming the argument and what is accepted; nothing written."""
    properties = anyio.run(tool_schemas, server)[tool].get("properties", {})
    integers = [name for name, prop in properties.items() if any(b.get("type") == "integer" for b in prop.get("anyOf", [prop]))]
    tables = list(table_counts(engine))
    before = count_rows(engine, tables)
    for name, value in [("period", edge) for edge in CALENDAR_EDGES if "period" in properties] + [
        (name, huge) for name in integers for huge in (2**63, -(2**63) - 1, 10**30)
    ]:
        result = anyio.run(call_once, server, tool, {**PLAIN_CALLS[tool], name: value})

        message = tool_error_text(result) if result.is_error else ""
        inside = name == "period" and str(value).startswith("1990")  # 2100 lies after the test's as-of date
        assert result.is_error != inside, (name, value, message)
        if result.is_error:
            assert name in message.lower() and re.search(r"accepted range|less than|greater than|Unknown period|after the as-of", message), message
    assert count_rows(engine, tables) == before
