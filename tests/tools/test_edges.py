"""Arguments at the edges, through the MCP client on both databases: periods outside the calendar
(1990-01-01 to 2100-12-31) and integers past what a page or a database holds get an error naming the
accepted range, never the bare "Error executing tool"."""

from __future__ import annotations

import datetime as dt

import pytest
from mcp import Client

from engagement.settings import Settings
from server import create_server
from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio
PERIOD_TOOLS = [
    ("get_portfolio_engagement", {}),
    ("get_customer_engagement", {"customer": "acme"}),
    ("find_low_engagement_customers", {}),
]


@pytest.fixture
def acme(factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.activity("acme", "2026-11-20T10:00:00")


@pytest.mark.usefixtures("acme")
@pytest.mark.parametrize("period", ["9999-12", "9999-Q4", "0000-01", "0001-01", "0001-Q1", "1000-01"])
@pytest.mark.parametrize(("tool", "arguments"), PERIOD_TOOLS)
async def test_a_period_outside_the_calendar_is_refused_with_the_range(
    client: Client, tool: str, arguments: dict[str, str], period: str
) -> None:
    message = await call_error(client, tool, **arguments, period=period)

    assert f"Period {period} is outside the accepted range 1990-01-01 to 2100-12-31" in message


@pytest.mark.usefixtures("acme")
async def test_period_digits_are_ascii_only(client: Client) -> None:
    message = await call_error(client, "get_portfolio_engagement", period="٢٠٢٦-Q1")

    assert "Unknown period '٢٠٢٦-Q1'" in message and "YYYY-Qn" in message


async def test_relative_periods_at_the_calendars_start(settings: Settings, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.activity("acme", "1990-01-02T10:00:00")
    early = settings.model_copy(update={"as_of": dt.date(1990, 2, 10)})
    async with Client(create_server(early)) as client:
        refused = await call_error(client, "get_portfolio_engagement", period="last_90_days")
        month = await call(client, "get_customer_engagement", customer="acme", period="last_month")
        trend = await call(client, "get_engagement_trends", customer="acme", periods=24, granularity="month")

    assert "would start on 1989-11-13, outside the accepted range 1990-01-01 to 2100-12-31" in refused
    assert month["period_start"] == "1990-01-01" and month["activities"]["emails_sent"] == 1
    assert month["previous_period"]["label"] == "1989-12"  # before the calendar: nothing in it
    assert [point["period"] for point in trend["points"]] == ["1990-01", "1990-02"]


@pytest.mark.parametrize("offset", [2**63, 2**31, 1_000_000_001])
async def test_an_offset_past_the_limit_names_the_limit(client: Client, factory: Factory, offset: int) -> None:
    factory.customer("acme", "Acme Corp")

    message = await call_error(client, "search_customers", query="acme", offset=offset)

    assert "offset\n  Input should be less than or equal to 1000000000" in message


async def test_the_largest_offset_answers_an_empty_page(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")

    answer = await call(client, "search_customers", query="acme", offset=1_000_000_000)

    assert answer["matches"] == [] and answer["page"]["total"] == 1
