"""The real server process, as Claude starts it: `python server.py` over stdio, `engagement serve` over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from tests.factories import Factory
from tests.tools.conftest import call, call_error

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server_env(settings: Settings) -> dict[str, str]:
    return {
        "ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(),
        "ENGAGEMENT_AS_OF": str(settings.as_of),
    }


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_server(settings: Settings, engine: Engine) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "engagement.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **server_env(settings)}, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while True:  # wait until the port accepts connections (or the process dies)
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start listening within 60 s"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_http_server_serves_the_same_tools(http_server: str, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")

    async with Client(http_server) as client:
        portfolio = await call(client, "get_portfolio_engagement")
        logged = await call(client, "log_activity", customer="acme", type="call", direction="inbound", date="2026-11-23")

    assert portfolio["customers"][0]["engagement_score"] == 56.8
    assert logged["created"] is True
