"""The analysis tools over the team server's MCP endpoint: each user's answers cover only the customers
they may see, and a customer outside their scope is "not found" exactly as in the core tools."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy.engine import Engine

from starlette.testclient import TestClient

from engagement.settings import Settings
from tests.factories import Factory
from tests.servers import http_server
from tests.tools.conftest import call, call_error
from tests.web.conftest import Team, bearer, plant_outcomes
from tests.web.test_roles import OUTSIDE_NAMES, PEOPLE

CORRELATION = "/api/reports/engagement-metrics/correlation"


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
        assert sum(b["accounts"] for b in outliers["baselines"]) == len(mine), person  # the peers are theirs, all of them
        assert all("No customer" in r for r in refusals), refusals
        assert not any(name in r for r in refusals for name in OUTSIDE_NAMES), refusals


@pytest.mark.anyio
async def test_correlation_over_rest_is_the_tools_answer_over_each_users_customers(
    settings: Settings, http: TestClient, team: Team, factory: Factory
) -> None:
    plant_outcomes(factory)  # 12 accounts per outcome for Avery (so Morgan's team) and for Blake
    planted = {"avery": 12, "morgan": 12, "blake": 12, "ada": 24}
    with http_server(settings) as served:
        for person in PEOPLE:
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {team.tokens[person]}"}) as mcp_http:
                async with Client(streamable_http_client(served, http_client=mcp_http)) as client:
                    for query in ({"outcome": "health"}, {"outcome": "churn", "period": "2026-Q3"},
                                  {"outcome": "renewal", "segment": "Enterprise"}):  # fmt: skip
                        tool = await call(client, "get_engagement_correlation", **query)
                        rest = http.get(CORRELATION, params=query, headers=bearer(team.tokens[person]))

                        assert rest.status_code == 200 and rest.json() == tool, (person, query)
                        assert tool["accounts"] == planted[person] and tool["enough_data"], (person, query)
