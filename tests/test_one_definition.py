"""One definition of each question: a field added to a typed query reaches every edge with no other edit,
the MCP tool's input schema and arguments, the REST parameters and their OpenAPI entries, the command's
options and the page's filters, each checking it by the field's own bounds."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
import typer
from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import Field
from starlette.requests import Request
from typer.testing import CliRunner

from engagement.caller import Caller
from engagement.core import Core
from engagement.portfolio import portfolio
from engagement.queries import PortfolioQuery
from engagement.schemas import PortfolioEngagement
from tests.conftest import AS_OF
from tests.factories import Factory
from tools._common import QuestionTool, register_questions
from web import filters
from web.api import Operation, query_of
from web.openapi import _parameters
from web.pages import PAGING

DESCRIPTION = "Only accounts renewing within this many days, 1-365."


class Wider(PortfolioQuery):
    """The portfolio's query with one more parameter, added the way the README says."""

    renewing_within_days: Annotated[int | None, Field(description=DESCRIPTION, ge=1, le=365)] = None


asked: list[Wider] = []


def answer(core: Core, caller: Caller, q: Wider) -> PortfolioEngagement:
    asked.append(q)
    return portfolio(core, caller, q)


@pytest.fixture(autouse=True)
def fresh() -> None:
    asked.clear()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_mcp_tool_lists_takes_and_bounds_the_new_field(core: Core, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    server = MCPServer("one-definition")
    register_questions(server, core, lambda: Caller(AS_OF), [QuestionTool("get_portfolio_engagement", "Portfolio", answer, Wider)])

    async with Client(server) as client:
        [tool] = (await client.list_tools()).tools
        taken = await client.call_tool("get_portfolio_engagement", {"renewing_within_days": 30})
        refused = await client.call_tool("get_portfolio_engagement", {"renewing_within_days": 400})

    assert tool.input_schema["properties"]["renewing_within_days"] == {
        "anyOf": [{"maximum": 365, "minimum": 1, "type": "integer"}, {"type": "null"}],
        "default": None, "description": DESCRIPTION, "title": "Renewing Within Days",
    }  # fmt: skip
    assert not taken.is_error and [q.renewing_within_days for q in asked] == [30]
    assert refused.is_error and "renewing_within_days\n  Input should be less than or equal to 365" in refused.content[0].text  # type: ignore[union-attr]


def test_the_rest_api_documents_and_reads_the_new_field() -> None:
    operation = Operation("GET", "/api/wider", "wider", "The wider portfolio.", Wider, PortfolioEngagement, (200,), answer)
    request = Request({"type": "http", "method": "GET", "path": "/api/wider", "query_string": b"renewing_within_days=30",
                       "headers": [], "path_params": {}})  # fmt: skip

    documented = {p["name"]: p for p in _parameters(operation)}

    assert documented["renewing_within_days"] == {
        "name": "renewing_within_days", "in": "query", "required": False, "description": DESCRIPTION,
        "schema": {"maximum": 365, "minimum": 1, "type": "integer"},
    }  # fmt: skip
    assert list(documented) == list(Wider.model_fields)
    assert query_of(operation, request) == Wider(renewing_within_days=30)


def test_the_command_has_an_option_for_the_new_field() -> None:
    from cli.common import user_errors
    from cli.options import query_options

    app = typer.Typer()

    @app.command()
    @user_errors
    @query_options(Wider)
    def wider(query: Wider) -> None:
        print(query.model_dump_json())

    runner = CliRunner()
    help_text = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    taken = runner.invoke(app, ["--renewing-within-days", "30", "--csm", "ana"])
    refused = runner.invoke(app, ["--renewing-within-days", "400"])

    assert "--renewing-within-days" in help_text and DESCRIPTION in help_text
    assert json.loads(taken.stdout)["renewing_within_days"] == 30 and json.loads(taken.stdout)["csm_id"] == "ana"
    assert refused.exit_code == 1 and "--renewing-within-days: Input should be less than or equal to 365" in refused.output


def test_the_page_has_a_filter_for_the_new_field() -> None:
    fixed: dict[str, Any] = {"limit": 25, "offset": 0}

    query, values = filters.read(Wider, {"renewing_within_days": "30", "segment": "SMB"}, fixed)
    controls = {c.name: c for c in filters.controls(Wider, values, {}, fixed=PAGING)}

    assert query == Wider(renewing_within_days=30, segment="SMB", limit=25)
    assert controls["renewing_within_days"] == filters.Control(
        "renewing_within_days", "Renewing within days", "30", kind="number", minimum=1, maximum=365, step="1"
    )
    assert list(controls) == ["csm", "period", "segment", "min_score", "max_score", "category", "renewing_within_days"]
