"""The whole OAuth flow with the MCP SDK's own client against `engagement serve` on 127.0.0.1: discovery,
registration, PKCE, sign-in and consent, tokens, tools in the user's scope, refresh, revocation, then 401."""

from __future__ import annotations

import time

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from tests.servers import http_server
from tests.tools.conftest import call, call_error
from tests.web.conftest import Team
from tests.web.oauth_browser import MemoryStorage, Person
from tests.web.oauth_steps import connect

pytestmark = pytest.mark.anyio
CALLBACK = "http://127.0.0.1:9/callback"  # the app's loopback redirect; nothing needs to listen there


def app_metadata() -> OAuthClientMetadata:
    return OAuthClientMetadata(client_name="Test desktop app", redirect_uris=[CALLBACK],  # type: ignore[list-item]
                               grant_types=["authorization_code", "refresh_token"], response_types=["code"])  # fmt: skip


async def test_the_sdk_client_connects_reads_in_the_users_scope_refreshes_and_is_cut_off_by_revocation(
    settings: Settings, engine: Engine, team: Team
) -> None:
    storage, avery = MemoryStorage(), Person(team.tokens["avery"])
    with http_server(settings) as url:
        base = url.removesuffix("/mcp")
        auth = OAuthClientProvider(url, app_metadata(), storage, avery.redirect_handler, avery.callback_handler)
        async with httpx2.AsyncClient(auth=auth) as http, Client(streamable_http_client(url, http_client=http)) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            portfolio = await call(client, "get_portfolio_engagement", limit=500)
            first = storage.tokens
            assert first is not None and first.refresh_token is not None
            auth.context.token_expiry_time = time.time() - 1  # the hour is up: the next call refreshes first
            again = await call(client, "search_customers", query="a")
            second = storage.tokens
        assert second is not None and second.access_token != first.access_token
        assert second.refresh_token != first.refresh_token

        async with httpx.AsyncClient(trust_env=False) as raw:
            info = storage.client_info
            assert info is not None
            before = await raw.post(url, headers=_mcp_headers(second.access_token), json=_ping())
            revoked = await raw.post(f"{base}/revoke", data={"token": second.refresh_token, "client_id": info.client_id,
                                                            "client_secret": info.client_secret or ""})  # fmt: skip
            after = await raw.post(url, headers=_mcp_headers(second.access_token), json=_ping())
            reuse = await raw.post(f"{base}/token", data={"grant_type": "refresh_token", "refresh_token": second.refresh_token,
                                                         "client_id": info.client_id, "client_secret": info.client_secret or ""})  # fmt: skip

    assert len(avery.locations) == 1 and avery.locations[0].startswith(CALLBACK + "?code=emc_")
    assert {"get_portfolio_engagement", "log_activity", "acknowledge_alert"} <= tools
    assert {row["customer_id"] for row in portfolio["customers"]} == team.customers["avery"]
    assert {m["customer_id"] for m in again["matches"]} <= team.customers["avery"]
    assert before.status_code == 200 and revoked.status_code == 200
    assert after.status_code == 401 and 'error="invalid_token"' in after.headers["www-authenticate"]
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    with engine.connect() as connection:
        grants = connection.execute(text("SELECT scopes, revoked_at FROM oauth_grant")).all()
        stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM oauth_token")) for v in row)
    assert len(grants) == 1 and grants[0][0] == "engagement:read engagement:write" and grants[0][1] is not None
    assert first.access_token not in stored and second.refresh_token not in stored  # hashes only


def _mcp_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _ping() -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}  # fmt: skip


async def test_an_app_allowed_to_read_only_is_refused_every_write_with_the_scope_it_lacks(
    settings: Settings, engine: Engine, team: Team
) -> None:
    with http_server(settings) as url:
        with httpx.Client(base_url=url.removesuffix("/mcp"), trust_env=False) as browser:
            _, tokens = connect(browser, team.tokens["ada"], scope="engagement:read")
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with httpx2.AsyncClient(headers=headers) as http, Client(streamable_http_client(url, http_client=http)) as client:
            portfolio = await call(client, "get_portfolio_engagement", limit=500)
            refusals = [
                await call_error(client, "log_activity", customer="acme", type="call", direction="inbound", external_id="ro-1"),
                await call_error(client, "acknowledge_alert", alert_id=1),
                await call_error(client, "run_engagement_check"),
                await call_error(client, "sync_google_workspace"),
                await call_error(client, "sync_email_and_calendar"),
            ]

    assert tokens["scope"] == "engagement:read"
    assert {row["customer_id"] for row in portfolio["customers"]} == team.customers["ada"]
    assert all("needs the engagement:write scope" in r and "(it has: engagement:read)" in r for r in refusals), refusals
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id = 'ro-1'")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM score_history")).scalar_one() == 0


async def test_a_csms_oauth_connection_sees_no_more_than_the_csm_and_admin_only_tools_stay_admin_only(
    settings: Settings, team: Team
) -> None:
    with http_server(settings) as url:
        with httpx.Client(base_url=url.removesuffix("/mcp"), trust_env=False) as browser:
            _, tokens = connect(browser, team.tokens["blake"])
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        async with httpx2.AsyncClient(headers=headers) as http, Client(streamable_http_client(url, http_client=http)) as client:
            portfolio = await call(client, "get_portfolio_engagement", csm_id="all", limit=500)
            outside = await call_error(client, "get_customer_engagement", customer="acme")
            check = await call_error(client, "run_engagement_check")

    assert {row["customer_id"] for row in portfolio["customers"]} == team.customers["blake"]
    assert "Acme" not in outside and "only an admin may run it" in check
