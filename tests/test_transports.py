"""The real server process, as Claude starts it: `python server.py` over stdio, `engagement serve` over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from tests.factories import Factory
from tests.servers import http_server, server_env
from tests.tools.conftest import call, call_error

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_stdio_server_answers_tools_and_keeps_stdout_for_the_protocol(
    settings: Settings, engine: Engine, factory: Factory
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    params = StdioServerParameters(
        command=sys.executable, args=[str(ROOT / "server.py")], env={**server_env(settings), "ENGAGEMENT_LOG_LEVEL": "INFO"}, cwd=ROOT
    )

    async with Client(params) as client:
        tools = await client.list_tools()
        detail = await call(client, "get_customer_engagement", customer="Acme Corp")
        # INFO logs this failure; had it gone to stdout, the protocol stream would break.
        message = await call_error(client, "get_customer_engagement", customer="Nope")
        again = await call(client, "search_customers", query="acme")

    assert "log_activity" in {tool.name for tool in tools.tools}
    assert detail["score"]["engagement_score"] == 56.8
    assert "No customer 'Nope'" in message
    assert again["matches"][0]["customer_id"] == "acme"


@pytest.fixture
def served(settings: Settings, engine: Engine) -> Iterator[str]:
    with http_server(settings) as url:
        yield url


async def test_http_server_serves_the_same_tools(served: str, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")

    async with Client(served) as client:
        portfolio = await call(client, "get_portfolio_engagement")
        logged = await call(client, "log_activity", customer="acme", type="call", direction="inbound", date="2026-11-23")

    assert portfolio["customers"][0]["engagement_score"] == 56.8
    assert logged["created"] is True
