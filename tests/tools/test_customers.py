"""get_customer_engagement and get_engagement_trends through the MCP client: SPEC.md's numbers exactly."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio


async def test_spec_example_one_through_the_tool(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp", segment="Enterprise")
    factory.spec_example_one("acme")

    answer = await call(client, "get_customer_engagement", customer="acme corp")

    assert answer["score"]["engagement_score"] == 56.8
    assert answer["score"]["category"] == "low"
    assert answer["score"]["components"] == {
        "email_volume": 50.0,
        "email_response": 60.0,
        "meeting_frequency": 60.0,
        "meeting_quality": 15.0,
        "stakeholder_breadth": 75.0,
        "recency": 88.0,
    }
    assert answer["activities"]["emails_sent"] == 10
    assert answer["activities"]["meetings_held"] == 3
    assert answer["activities"]["meeting_minutes"] == 90
    assert answer["quality"]["response_rate"] == 0.6
    assert answer["quality"]["stakeholders_engaged"] == 3
    assert answer["last_contact"] == {"date": "2026-11-20T15:00:00Z", "type": "meeting", "days_ago": 4}
    assert (answer["period"], answer["period_start"], answer["period_end"]) == ("this_quarter", "2026-10-01", "2026-11-24")
    assert answer["previous_period"] == {"label": "2026-Q3", "start": "2026-07-01", "end": "2026-08-24"}


async def test_never_contacted_customer_scores_zero_at_risk(client: Client, factory: Factory) -> None:
    factory.customer("quiet", "Quiet Ltd")

    answer = await call(client, "get_customer_engagement", customer="quiet")

    assert answer["score"]["engagement_score"] == 0.0
    assert answer["score"]["category"] == "at_risk"
    assert answer["last_contact"] is None
    assert set(answer["score"]["components"].values()) == {0.0}


async def test_spec_example_three_scores_full_marks(client: Client, factory: Factory) -> None:
    factory.customer("star", "Star Inc")
    factory.activities("star", 30, "2026-10-10T09:00:00", response_received=True)
    people = [f"p{i}@star.test" for i in range(5)]
    for day in range(8):
        factory.activity("star", f"2026-11-{10 + day:02d}T09:00:00", type="meeting", duration_minutes=120, participants=people)
    factory.activity("star", "2026-11-24T08:00:00", type="call")

    answer = await call(client, "get_customer_engagement", customer="Star Inc")

    assert answer["score"]["engagement_score"] == 100.0
    assert answer["score"]["category"] == "high"


async def test_trend_compares_with_the_previous_period_cut_to_the_same_days(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    # Q3 up to 24 August: 2 meetings of 60 min with one person, contact on 2026-08-20.
    factory.activity("acme", "2026-08-10T10:00:00", type="meeting", duration_minutes=60, participants=["ana@acme.test"])
    factory.activity("acme", "2026-08-20T10:00:00", type="meeting", duration_minutes=60, participants=["ana@acme.test"])
    # After 24 August: outside the cut previous period, so it must not count.
    factory.activities("acme", 20, "2026-09-10T10:00:00", response_received=True)

    answer = await call(client, "get_customer_engagement", customer="acme")

    # previous: meeting 40*.25=10, quality min(100,120/60*10)=20*.15=3, breadth 25*.15=3.75,
    # recency (100-4*3)=88*.1=8.8 -> 25.55 -> 25.6 (a half rounds away from zero)
    assert answer["score"]["previous_score"] == 25.6
    assert answer["score"]["change_from_last_period"] == 31.2
    assert answer["score"]["trend"] == "improving"


async def test_stakeholder_coverage_counts_touchpoints_and_last_contact(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.stakeholder("acme", "Sarah Chen", "sarah@acme.test", level="executive", title="VP Operations")
    factory.stakeholder("acme", "Tom Davis", "tom@acme.test", level="user")
    factory.activity("acme", "2026-10-02T10:00:00", type="meeting", participants=["Sarah@Acme.test "])
    factory.activity("acme", "2026-11-02T10:00:00", type="call", participants=["sarah@acme.test", "guest@acme.test"])

    answer = await call(client, "get_customer_engagement", customer="acme")

    people = {p["email"]: p for p in answer["stakeholders"]}
    assert people["sarah@acme.test"]["touchpoints"] == 2
    assert people["sarah@acme.test"]["last_contact"] == "2026-11-02T10:00:00Z"
    assert people["tom@acme.test"]["touchpoints"] == 0
    assert people["tom@acme.test"]["last_contact"] is None
    assert people["guest@acme.test"]["name"] is None
    assert answer["quality"]["stakeholders_engaged"] == 2
    assert [a["date"] for a in answer["recent_activities"]] == ["2026-11-02T10:00:00Z", "2026-10-02T10:00:00Z"]


async def test_trends_return_each_month_scored_like_the_detail_view(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    factory.activity("acme", "2026-07-15T10:00:00", type="call")

    trends = await call(client, "get_engagement_trends", customer="acme", periods=6)

    assert [p["period"] for p in trends["points"]] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert trends["points"][-1]["end"] == "2026-11-24"
    for point in trends["points"]:
        detail = await call(client, "get_customer_engagement", customer="acme", period=point["period"])
        assert point["engagement_score"] == detail["score"]["engagement_score"]
        assert point["change_from_last_period"] == detail["score"]["change_from_last_period"]


async def test_quarterly_trends_label_quarters(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")

    trends = await call(client, "get_engagement_trends", customer="acme", periods=3, granularity="quarter")

    assert [p["period"] for p in trends["points"]] == ["2026-Q2", "2026-Q3", "2026-Q4"]


async def test_unknown_customer_lists_close_matches(client: Client, factory: Factory) -> None:
    factory.customer("acme", "Acme Corp")

    message = await call_error(client, "get_customer_engagement", customer="Acme Crop")

    assert "No customer 'Acme Crop'" in message
    assert "Acme Corp" in message


async def test_ambiguous_customer_lists_every_match(client: Client, factory: Factory) -> None:
    factory.customer("acme-us", "Acme US")
    factory.customer("acme-eu", "Acme EU")

    message = await call_error(client, "get_customer_engagement", customer="acme")

    assert "ambiguous" in message
    assert "Acme US (acme-us)" in message and "Acme EU (acme-eu)" in message


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("Q5", "Unknown period 'Q5'. Use this_quarter"),
        ("2026-13", "Unknown period '2026-13'. Use this_quarter"),
        ("next_quarter", "Unknown period 'next_quarter'. Use this_quarter"),
        ("2027-Q1", "Period 2027-Q1 starts after the as-of date 2026-11-24; choose a period that has begun."),
    ],
)
async def test_invalid_or_future_period_is_a_clear_error(client: Client, factory: Factory, period: str, expected: str) -> None:
    factory.customer("acme", "Acme Corp")

    message = await call_error(client, "get_customer_engagement", customer="acme", period=period)

    assert expected in message


@pytest.mark.parametrize(
    ("period", "people"),
    [
        ("this_month", {"a@acme.test", "b@acme.test", "c@acme.test"}),  # 2026-11-01..24: a month cut short
        ("last_30_days", {"a@acme.test", "b@acme.test", "c@acme.test", "e@acme.test"}),  # 10-26..11-24
        ("2026-10", {"a@acme.test", "d@acme.test", "e@acme.test"}),  # a whole month
        ("this_quarter", {"a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test", "e@acme.test"}),
        ("last_quarter", {"x@acme.test"}),
        ("2026-08", set()),
    ],
)
async def test_a_period_counts_the_participants_of_its_own_days(
    client: Client, factory: Factory, period: str, people: set[str]
) -> None:
    factory.customer("acme", "Acme Corp")
    for when, who in [
        ("2026-09-30T23:59:59", "x@acme.test"),
        ("2026-10-01T00:00:00", "d@acme.test"),
        ("2026-10-25T23:59:59", "d@acme.test"),  # the day before last_30_days begins
        ("2026-10-26T00:00:00", "e@acme.test"),
        ("2026-10-31T10:00:00", "A@acme.test"),
        ("2026-11-17T23:59:59", "a@acme.test"),
        ("2026-11-18T00:00:00", "b@acme.test"),
        ("2026-11-24T23:59:59", "c@acme.test"),
    ]:
        factory.activity("acme", when, type="call", participants=[who])

    answer = await call(client, "get_customer_engagement", customer="acme", period=period)

    assert answer["quality"]["stakeholders_engaged"] == len(people)
