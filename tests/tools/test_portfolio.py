"""Portfolio, uncontacted, low-engagement and search tools through the MCP client."""

from __future__ import annotations

import pytest
from mcp import Client

from engagement.settings import Settings
from server import create_server
from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio


def small_team(factory: Factory) -> None:
    """A manager with two CSMs; Acme (56.8), Star (contact today), Quiet (never), Gone (churned)."""
    factory.csm("mgr", "Morgan Lee")
    factory.csm("ana", "Ana Ruiz", manager_id="mgr")
    factory.csm("ben", "Ben Okafor", manager_id="mgr")
    factory.customer("acme", "Acme Corp", segment="Enterprise", csm_id="ana")
    factory.spec_example_one("acme")
    factory.customer("star", "Star Inc", segment="SMB", csm_id="ben")
    factory.activities("star", 20, "2026-11-01T09:00:00", response_received=True)
    for day in range(5):
        factory.activity("star", f"2026-11-{10 + day}T09:00:00", type="meeting", duration_minutes=60, participants=[f"p{day}@star.test"])
    factory.activity("star", "2026-11-24T08:00:00", type="call")
    factory.customer("quiet", "Quiet Ltd", segment="SMB", csm_id="ben")
    factory.customer("gone", "Gone Co", segment="SMB", csm_id="ben", status="churned")


async def test_portfolio_lists_worst_first_with_summary(client: Client, factory: Factory) -> None:
    small_team(factory)

    answer = await call(client, "get_portfolio_engagement")

    rows = answer["customers"]
    assert [r["customer_id"] for r in rows] == ["quiet", "acme", "star"]
    scores = [r["engagement_score"] for r in rows]
    assert scores[:2] == [0.0, 56.8]
    summary = answer["summary"]
    assert summary["customer_count"] == 3
    assert summary["average_score"] == round((0.0 + 56.8 + scores[2]) / 3 + 1e-9, 1)
    shares = {c["category"]: (c["count"], c["share"]) for c in summary["categories"]}
    assert shares["at_risk"] == (1, 33.3)
    assert shares["low"] == (1, 33.3)
    assert rows[0]["attention_reason"] == "Never contacted"
    assert rows[0]["days_since_last_contact"] is None
    assert answer["page"] == {"total": 3, "offset": 0, "limit": 20, "has_more": False}


async def test_portfolio_pages_with_limit_and_offset(client: Client, factory: Factory) -> None:
    small_team(factory)

    first = await call(client, "get_portfolio_engagement", limit=2)
    second = await call(client, "get_portfolio_engagement", limit=2, offset=2)

    assert [r["customer_id"] for r in first["customers"]] == ["quiet", "acme"]
    assert first["page"]["has_more"] is True
    assert [r["customer_id"] for r in second["customers"]] == ["star"]
    assert second["summary"] == first["summary"]


async def test_portfolio_filters_by_csm_segment_category_and_score(client: Client, factory: Factory) -> None:
    small_team(factory)

    by_csm = await call(client, "get_portfolio_engagement", csm_id="ben@ourco.test")
    team = await call(client, "get_portfolio_engagement", csm_id="mgr")
    smb = await call(client, "get_portfolio_engagement", segment="smb")
    low = await call(client, "get_portfolio_engagement", category="low")
    banded = await call(client, "get_portfolio_engagement", min_score=1, max_score=60)

    assert {r["customer_id"] for r in by_csm["customers"]} == {"star", "quiet"}
    assert {r["customer_id"] for r in team["customers"]} == {"acme", "star", "quiet"}
    assert "team" in team["scope"]
    assert {r["segment"] for r in smb["customers"]} == {"SMB"}
    assert [r["customer_id"] for r in low["customers"]] == ["acme"]
    assert [r["customer_id"] for r in banded["customers"]] == ["acme"]


async def test_configured_user_sees_their_own_accounts_by_default(settings: Settings, factory: Factory, engine: object) -> None:
    small_team(factory)
    mine = settings.model_copy(update={"user": "ana@ourco.test"})

    async with Client(create_server(mine)) as client:
        default = await call(client, "get_portfolio_engagement")
        everyone = await call(client, "get_portfolio_engagement", csm_id="all")

    assert [r["customer_id"] for r in default["customers"]] == ["acme"]
    assert len(everyone["customers"]) == 3


async def test_uncontacted_lists_never_contacted_customers_first(client: Client, factory: Factory) -> None:
    small_team(factory)
    factory.customer("old", "Old Friend", csm_id="ana")
    factory.activity("old", "2026-09-01T12:00:00", type="call")
    factory.customer("older", "Older Friend", csm_id="ana")
    factory.activity("older", "2026-06-01T12:00:00", type="email")

    answer = await call(client, "find_uncontacted_customers", days=30)

    rows = answer["customers"]
    assert [r["customer_id"] for r in rows] == ["quiet", "older", "old"]
    assert [r["days_since_last_contact"] for r in rows] == [None, 176, 84]
    assert rows[2]["last_contact_type"] == "call"


async def test_uncontacted_respects_the_days_threshold(client: Client, factory: Factory) -> None:
    small_team(factory)

    answer = await call(client, "find_uncontacted_customers", days=4)

    # Acme's last contact was 4 days ago (2026-11-20): silent for at least 4 days.
    assert [r["customer_id"] for r in answer["customers"]] == ["quiet", "acme"]


async def test_low_engagement_lists_scores_below_the_threshold(client: Client, factory: Factory) -> None:
    small_team(factory)

    default = await call(client, "find_low_engagement_customers")
    strict = await call(client, "find_low_engagement_customers", threshold=40)

    assert [r["customer_id"] for r in default["customers"]] == ["quiet", "acme"]
    assert [r["customer_id"] for r in strict["customers"]] == ["quiet"]


async def test_search_finds_customers_by_part_of_name(client: Client, factory: Factory) -> None:
    small_team(factory)

    answer = await call(client, "search_customers", query="CO")

    assert {m["customer_id"] for m in answer["matches"]} == {"acme", "gone"}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"period": "Q5"}, ("Unknown period 'Q5'", "Use this_quarter")),
        ({"segment": "Galactic"}, ("segment 'Galactic'", "Enterprise, Mid-Market, SMB")),
        ({"csm_id": "nobody"}, ("No CSM 'nobody'", "ana, ben, mgr")),
        ({"min_score": 101}, ("min_score", "less than or equal to 100")),
        ({"limit": 0}, ("limit", "greater than or equal to 1")),
        ({"category": "great"}, ("category", "'high', 'healthy', 'low' or 'at_risk'")),
    ],
)
async def test_portfolio_rejects_bad_arguments_with_a_clear_error(
    client: Client, factory: Factory, arguments: dict[str, object], expected: tuple[str, ...]
) -> None:
    small_team(factory)

    message = await call_error(client, "get_portfolio_engagement", **arguments)

    assert all(part in message for part in expected), message  # the argument, and what is accepted


async def test_an_unknown_csm_is_answered_with_csm_ids_and_no_email_address(client: Client, factory: Factory) -> None:
    small_team(factory)

    message = await call_error(client, "get_portfolio_engagement", csm_id="nobody@elsewhere.test")

    assert message.replace("'nobody@elsewhere.test'", "").count("@") == 0, message
    assert "Give a CSM id or email: ana, ben, mgr." in message


async def test_empty_search_is_an_error(client: Client) -> None:
    assert "query is empty" in await call_error(client, "search_customers", query="  ")
