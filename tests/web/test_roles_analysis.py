"""The analysis tools over the team server's MCP endpoint: each user's answers cover only the customers
they may see, and a customer outside their scope is "not found" exactly as in the core tools."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from tests.servers import http_server
from tests.tools.conftest import call, call_error
from tests.web.conftest import Team
from tests.web.test_roles import OUTSIDE_NAMES, PEOPLE


@pytest.fixture
def served(settings: Settings, engine: Engine, team: Team) -> Iterator[str]:
    with http_server(settings) as url:
        yield url


@pytest.mark.anyio
async def test_analysis_answers_cover_only_the_customers_each_user_may_see(served: str, team: Team) -> None:
    for person in PEOPLE:
        mine = team.customers[person]
        outside = sorted({"acme", "apex", "mosaic", "bolt", "orphan"} - mine)
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {team.tokens[person]}"}) as http:
            async with Client(streamable_http_client(served, http_client=http)) as client:
                segments = await call(client, "compare_segments", csm_id="all")
                csms = await call(client, "compare_csms", manager_id="all")
                hours = await call(client, "get_engagement_recommendations", csm_id="all", limit=500)
                outliers = await call(client, "find_engagement_outliers", csm_id="all", limit=500)
                refusals = [await call_error(client, "benchmark_customer", customer=c) for c in outside]
                refusals += [await call_error(client, "get_engagement_recommendations", customer=c) for c in outside]

        assert sum(s["accounts"] for s in segments["segments"]) == len(mine), person
        assert sum(row["accounts"] for row in csms["csms"]) == len(mine), person
        assert {a["customer_id"] for a in hours["accounts"]} == mine, person
        assert {o["customer_id"] for o in outliers["outliers"]} <= mine, person
        assert all("No customer" in r for r in refusals), refusals
        assert not any(name in r for r in refusals for name in OUTSIDE_NAMES), refusals
