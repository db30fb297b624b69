"""On the demo portfolio, every customer's portfolio row and detail view agree, through the MCP tools."""

from __future__ import annotations

import pytest
from mcp import Client
from sqlalchemy.engine import Engine

from engagement.demo import load_demo
from tests.conftest import AS_OF
from tests.tools.conftest import call

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("period", ["this_quarter", "last_quarter", "last_30_days"])
async def test_portfolio_and_detail_scores_agree_for_every_demo_customer(
    client: Client, engine: Engine, period: str
) -> None:
    load_demo(engine, as_of=AS_OF, seed=7)

    portfolio = await call(client, "get_portfolio_engagement", csm_id="all", period=period, limit=500)

    assert portfolio["summary"]["customer_count"] >= 40
    assert len(portfolio["customers"]) == portfolio["summary"]["customer_count"]
    for row in portfolio["customers"]:
        detail = await call(client, "get_customer_engagement", customer=row["customer_id"], period=period)
        score = detail["score"]
        assert (row["engagement_score"], row["category"], row["trend"], row["change_from_last_period"]) == (
            score["engagement_score"],
            score["category"],
            score["trend"],
            score["change_from_last_period"],
        ), row["customer_id"]
        days = None if detail["last_contact"] is None else detail["last_contact"]["days_ago"]
        assert row["days_since_last_contact"] == days
