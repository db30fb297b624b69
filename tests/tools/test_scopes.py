"""Scopes of an app connected by OAuth, in the tools: every tool reads (engagement:read), and exactly the
tools that change the store (readOnlyHint false) need engagement:write too."""

from __future__ import annotations

import pytest
from mcp import Client
from sqlalchemy.engine import Engine

from engagement.access.grants import READ, WRITE
from engagement.caller import Caller
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.tools.conftest import call, call_error
from tools.server import create_server

pytestmark = pytest.mark.anyio
WRITE_TOOLS = {"log_activity", "acknowledge_alert", "run_engagement_check", "sync_google_workspace", "sync_email_and_calendar"}


async def test_the_tools_that_need_write_are_exactly_those_that_are_not_read_only(settings: Settings, engine: Engine) -> None:
    reader = create_server(settings, caller_of=lambda: Caller(AS_OF, scopes=frozenset({READ})))
    async with Client(reader) as client:
        listed = (await client.list_tools()).tools
        refusals = {
            "log_activity": await call_error(client, "log_activity", customer="x", type="call", direction="inbound"),
            "acknowledge_alert": await call_error(client, "acknowledge_alert", alert_id=1),
            "run_engagement_check": await call_error(client, "run_engagement_check"),
            "sync_google_workspace": await call_error(client, "sync_google_workspace"),
            "sync_email_and_calendar": await call_error(client, "sync_email_and_calendar"),
        }
        answered = await call(client, "search_customers", query="a")

    assert {t.name for t in listed if t.annotations and t.annotations.read_only_hint is False} == WRITE_TOOLS
    assert all(f"needs the {WRITE} scope" in message for message in refusals.values()), refusals
    assert "matches" in answered


async def test_an_app_allowed_to_write_only_cannot_read(settings: Settings, engine: Engine) -> None:
    writer = create_server(settings, caller_of=lambda: Caller(AS_OF, scopes=frozenset({WRITE})))
    async with Client(writer) as client:
        refused = await call_error(client, "get_portfolio_engagement")

    assert f"needs the {READ} scope" in refused and "(it has: engagement:write)" in refused
