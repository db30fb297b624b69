"""sync_google_workspace and get_sync_status through the MCP client, then the scores that follow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

import tools
from engagement.caller import Caller
from engagement.core import Core
from tests.google import google_fakes as g
from tests.google.conftest import Harness
from tests.google.test_gmail import ANA, CASEY, first_sync
from tests.tools.conftest import call, call_error
from tools import capture as capture_tools

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(core: Core, google: Harness) -> AsyncIterator[Client]:
    server = MCPServer("test")
    local = lambda: Caller.local(core.settings)  # noqa: E731
    for module in (tools.portfolio, tools.customers, tools.activities):
        module.register(server, core, local)
    capture_tools.register(server, core, local, sync_of=lambda: google.sync)
    async with Client(server) as connected:
        yield connected


async def test_sync_tool_captures_mail_and_the_score_follows(client: Client, google: Harness) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",)),
               g.message("m2", "t1", ANA, CASEY, "2026-11-20T11:00:00", reply_to_id="m1"))  # fmt: skip
    before = await call(client, "get_customer_engagement", customer="acme")

    report = await call(client, "sync_google_workspace", csm="casey@ourco.test")
    after = await call(client, "get_customer_engagement", customer="acme")
    status = await call(client, "get_sync_status")

    assert report["new"] == 2 and report["failed_sources"] == 0
    assert before["score"]["engagement_score"] == 0.0
    # 1 sent (email 5), answered (response 100), 1 contact (breadth 25), contact 4 days ago (recency 88)
    assert after["activities"]["emails_sent"] == 1 and after["quality"]["response_rate"] == 1.0
    assert after["score"]["engagement_score"] == round(0.15 * 5 + 0.20 * 100 + 0.15 * 25 + 0.10 * 88, 1)
    gmail = next(s for s in status["sources"] if s["kind"] == "gmail")
    assert gmail["csm_id"] == "casey" and gmail["last_counts"]["new"] == 2 and gmail["last_error"] is None
    assert status["not_connected"] == []


async def test_sync_tools_are_annotated_and_an_unknown_csm_is_a_tool_error(client: Client) -> None:
    listed = {tool.name: tool for tool in (await client.list_tools()).tools}

    sync_tool, status_tool = listed["sync_google_workspace"], listed["get_sync_status"]
    assert sync_tool.annotations is not None and status_tool.annotations is not None
    assert (sync_tool.annotations.read_only_hint, sync_tool.annotations.idempotent_hint) == (False, True)
    assert sync_tool.annotations.open_world_hint is True
    assert status_tool.annotations.read_only_hint is True
    assert "No CSM 'nobody'" in await call_error(client, "sync_google_workspace", csm="nobody")
