"""The real server process, as Claude starts it: `python server.py` over stdio, `engagement serve` over HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.engine import Engine

from web.netloc import is_loopback
from engagement.settings import Settings
from engagement.db import session_scope
from engagement.users import add_user, issue_token, revoke_token
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


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.com"])
def test_serve_refuses_a_network_bind_until_a_token_exists(settings: Settings, engine: Engine, host: str) -> None:
    served = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--host", host, "--port", "8765"],
        cwd=ROOT, env=server_env(settings), capture_output=True, text=True, timeout=60,
    )

    assert served.returncode == 1
    assert f"Refusing to listen on {host}" in served.stderr and "127.0.0.1" in served.stderr
    assert "engagement token create" in served.stderr and "Traceback" not in served.stderr


def test_a_revoked_token_does_not_count_for_a_network_bind(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        add_user(session, "ada@ourco.test", "admin")
        revoke_token(session, issue_token(session, "ada@ourco.test", None).id)

    served = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--host", "0.0.0.0", "--port", "8765"],
        cwd=ROOT, env=server_env(settings), capture_output=True, text=True, timeout=60,
    )

    assert served.returncode == 1 and "no API token exists" in served.stderr


async def test_a_network_bind_with_a_token_serves_mcp_to_that_token_only(
    settings: Settings, engine: Engine, factory: Factory
) -> None:
    factory.customer("acme", "Acme Corp")
    with session_scope(engine) as session:
        add_user(session, "ada@ourco.test", "admin")
        token = issue_token(session, "ada@ourco.test", None).token
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

    with http_server(settings, host="0.0.0.0") as url:
        async with httpx2.AsyncClient() as http:
            refused = await http.post(url, json=ping, headers=headers)
            forged = await http.post(url, json=ping, headers={**headers, "Authorization": "Bearer emt_forged"})
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                found = await call(client, "search_customers", query="acme")

    assert refused.status_code == 401 and forged.status_code == 401
    assert "resource_metadata=" in refused.headers["www-authenticate"]
    assert found["matches"][0]["customer_id"] == "acme"


def test_serve_refuses_a_port_out_of_range_as_a_usage_error(settings: Settings, engine: Engine) -> None:
    served = subprocess.run(
        [sys.executable, "-m", "cli", "serve", "--port", "99999"],
        cwd=ROOT, env=server_env(settings), capture_output=True, text=True, timeout=60,
    )

    assert served.returncode == 2
    assert "65535" in served.stderr and "Traceback" not in served.stderr


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]"])
def test_loopback_names_are_loopback(host: str) -> None:
    assert is_loopback(host)


async def test_http_server_refuses_a_forged_host_and_stores_nothing(served: str, factory: Factory, engine: Engine) -> None:
    factory.customer("acme", "Acme Corp")
    call = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

    async with httpx2.AsyncClient() as http:
        forged = await http.post(served, json=call, headers={**headers, "Host": "evil.example"})
        origin = await http.post(served, json=call, headers={**headers, "Origin": "http://evil.example"})
        honest = await http.post(served, json=call, headers=headers)

    assert forged.status_code == 421 and origin.status_code == 403
    assert honest.status_code == 200
