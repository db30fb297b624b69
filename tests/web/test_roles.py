"""Every role boundary of the team server: a CSM, a manager and an admin each see exactly their customers,
in the REST API and in the MCP tools over HTTP, and nothing outside their scope leaks, not even a name."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import text
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from engagement.settings import Settings
from tests.servers import http_server
from tests.tools.conftest import call, call_error
from tests.web.conftest import Team, bearer
from tests.web.oauth_steps import connect

PORTFOLIO = "/api/reports/engagement-metrics"
PEOPLE = ("avery", "morgan", "blake", "ada")
OUTSIDE_NAMES = {"Acme Corp", "Apex Labs", "Mosaic Health", "Bolt Freight", "Orphan Inc"}


def visible_ids(answer: dict) -> set[str]:
    return {row["customer_id"] for row in answer["customers"]}


@pytest.mark.parametrize("person", PEOPLE)
def test_each_user_lists_exactly_their_customers(http: TestClient, team: Team, person: str) -> None:
    answer = http.get(f"{PORTFOLIO}?limit=500", headers=bearer(team.tokens[person]))
    everyone = http.get(f"{PORTFOLIO}?csm_id=all&limit=500", headers=bearer(team.tokens[person]))

    assert answer.status_code == 200 and everyone.status_code == 200
    assert visible_ids(answer.json()) == team.customers[person]
    assert visible_ids(everyone.json()) == team.customers[person]  # "all" is all they may see, no more


@pytest.mark.parametrize("person", PEOPLE)
def test_a_customer_outside_the_scope_is_404_exactly_like_one_that_does_not_exist(
    http: TestClient, team: Team, person: str
) -> None:
    headers = bearer(team.tokens[person])
    unknown = http.get(f"{PORTFOLIO}/no-such-customer", headers=headers)
    for customer in {"acme", "apex", "mosaic", "bolt", "orphan"} - team.customers[person]:
        for path in (f"{PORTFOLIO}/{customer}", f"{PORTFOLIO}/{customer}/trends"):
            answer = http.get(path, headers=headers)
            assert answer.status_code == 404, path
            # Word for word what a customer that does not exist gets, but for the name typed.
            assert answer.json()["message"] == unknown.json()["message"].replace("no-such-customer", customer)
            assert not any(name in answer.text for name in OUTSIDE_NAMES)
    for customer in team.customers[person]:
        assert http.get(f"{PORTFOLIO}/{customer}", headers=headers).status_code == 200


def test_a_customer_outside_the_scope_is_not_found_by_its_name_either(http: TestClient, team: Team) -> None:
    unknown = http.get(f"{PORTFOLIO}/no-such-customer", headers=bearer(team.tokens["avery"]))
    by_name = http.get(f"{PORTFOLIO}/Bolt%20Freight", headers=bearer(team.tokens["avery"]))
    by_part = http.get(f"{PORTFOLIO}/Bolt", headers=bearer(team.tokens["avery"]))

    assert by_name.status_code == by_part.status_code == 404
    assert by_name.json()["message"] == unknown.json()["message"].replace("no-such-customer", "Bolt Freight")
    assert by_part.json()["message"] == unknown.json()["message"].replace("no-such-customer", "Bolt")


@pytest.mark.parametrize(("person", "csm_id"), [("avery", "morgan"), ("avery", "blake"), ("blake", "avery@ourco.test"),
                                                ("morgan", "blake")])  # fmt: skip
def test_a_csm_id_outside_the_scope_cannot_widen_it(http: TestClient, team: Team, person: str, csm_id: str) -> None:
    answer = http.get(f"{PORTFOLIO}?csm_id={csm_id}", headers=bearer(team.tokens[person]))

    assert answer.status_code == 404
    said = answer.json()["message"].replace(f"'{csm_id}'", "")  # what was typed may be echoed, nothing else
    others = {"avery", "morgan", "blake"} - ({"avery", "morgan"} if person == "morgan" else {person})
    assert not any(name in said.lower() for name in others) and "@" not in said


def test_a_manager_may_narrow_to_one_of_their_team(http: TestClient, team: Team) -> None:
    answer = http.get(f"{PORTFOLIO}?csm_id=avery", headers=bearer(team.tokens["morgan"]))

    assert answer.status_code == 200 and visible_ids(answer.json()) == {"acme", "apex"}


def _activity(customer: str, external_id: str) -> dict[str, str]:
    return {"customer": customer, "type": "call", "direction": "outbound", "date": "2026-11-23", "external_id": external_id}


def _stored(engine: Engine, external_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM activity WHERE external_id = :e"), {"e": external_id}).scalar_one()


def test_a_csm_logs_for_their_own_customers_only_and_an_admin_for_any(http: TestClient, team: Team, engine: Engine) -> None:
    own = http.post("/api/activities", json=_activity("acme", "own"), headers=bearer(team.tokens["avery"]))
    other = http.post("/api/activities", json=_activity("bolt", "other"), headers=bearer(team.tokens["avery"]))
    mixed = http.post(
        "/api/activities", json=[_activity("apex", "mixed-1"), _activity("bolt", "mixed-2")], headers=bearer(team.tokens["avery"])
    )
    admin = http.post("/api/activities", json=_activity("orphan", "admin"), headers=bearer(team.tokens["ada"]))

    assert own.status_code == 201 and own.json()["activity"]["customer_id"] == "acme"
    assert other.status_code == 404 and "Bolt" not in other.text
    assert mixed.status_code == 404  # one row outside the scope: nothing of the request is stored
    assert admin.status_code == 201
    assert [_stored(engine, e) for e in ("own", "other", "mixed-1", "mixed-2", "admin")] == [1, 0, 0, 0, 1]


def test_a_list_is_one_write_a_bad_row_stores_none_of_it_and_is_named(http: TestClient, team: Team, engine: Engine) -> None:
    bad = {**_activity("apex", "late"), "date": "2026-11-25"}  # after the as-of day
    refused = http.post("/api/activities", json=[_activity("acme", "list-1"), bad], headers=bearer(team.tokens["avery"]))
    twice = http.post("/api/activities", json=[_activity("acme", "list-2"), _activity("apex", "list-2")],
                      headers=bearer(team.tokens["avery"]))  # fmt: skip

    assert refused.status_code == 400 and refused.json()["message"].startswith("activity 2: date 2026-11-25")
    # One key for two customers: the second row is a conflict (not "already stored"), and refuses the list.
    assert twice.status_code == 409 and twice.json()["message"].startswith("activity 2: external_id 'list-2'")
    assert [_stored(engine, e) for e in ("list-1", "late", "list-2")] == [0, 0, 0]


# -- the MCP tools over HTTP: a real `engagement serve`, the SDK's client with each user's token ----------


@pytest.fixture
def served(settings: Settings, engine: Engine, team: Team) -> Iterator[str]:
    with http_server(settings) as url:
        yield url


@pytest.mark.anyio
async def test_each_user_sees_exactly_their_customers_through_the_mcp_tools(served: str, team: Team, engine: Engine) -> None:
    for person in PEOPLE:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {team.tokens[person]}"}) as http:
            async with Client(streamable_http_client(served, http_client=http)) as client:
                portfolio = await call(client, "get_portfolio_engagement", limit=500)
                widened = await call(client, "get_portfolio_engagement", csm_id="all", limit=500)
                found = await call(client, "search_customers", query="e")
                silent = await call(client, "find_uncontacted_customers", days=1, limit=500)
                low = await call(client, "find_low_engagement_customers", threshold=100, limit=500)
                outside = sorted({"acme", "apex", "mosaic", "bolt", "orphan"} - team.customers[person])
                refusals = [await call_error(client, "get_customer_engagement", customer=c) for c in outside]
                refusals += [await call_error(client, "get_engagement_trends", customer=c) for c in outside]
                refusals += [await call_error(client, "log_activity", customer=c, type="call", direction="inbound",
                                              date="2026-11-23", external_id=f"mcp-{person}-{c}") for c in outside]  # fmt: skip
                no_csm = await call_error(client, "get_portfolio_engagement", csm_id="nobody")

        mine = team.customers[person]
        assert visible_ids(portfolio) == visible_ids(widened) == mine, person
        # Every name but Orphan Inc has an "e"; everyone was contacted 4 days ago or never; no score reaches 100.
        assert {m["customer_id"] for m in found["matches"]} == mine - {"orphan"}, person
        assert visible_ids(silent) == mine and visible_ids(low) == mine, person
        assert all("No customer" in r or "not found" in r.lower() for r in refusals), refusals
        assert not any(name in r for r in refusals for name in OUTSIDE_NAMES), refusals
        # An unknown CSM lists the ids of the CSMs this user may see, never an email address.
        seen = {"avery": {"avery"}, "morgan": {"avery", "morgan"}, "blake": {"blake"}, "ada": {"avery", "morgan", "blake"}}
        assert "No CSM 'nobody'" in no_csm and "@" not in no_csm, no_csm
        assert {c for c in ("avery", "morgan", "blake") if c in no_csm} == seen[person], no_csm
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id LIKE 'mcp-%'")).scalar_one() == 0


@pytest.mark.anyio
async def test_each_users_oauth_connection_sees_exactly_what_the_user_sees(served: str, team: Team, engine: Engine) -> None:
    for person in PEOPLE:
        with httpx.Client(base_url=served.removesuffix("/mcp"), trust_env=False) as browser:
            _, tokens = connect(browser, team.tokens[person])
            api = browser.get(PORTFOLIO, headers={"Authorization": f"Bearer {tokens['access_token']}"})
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {tokens['access_token']}"}) as http:
            async with Client(streamable_http_client(served, http_client=http)) as client:
                portfolio = await call(client, "get_portfolio_engagement", csm_id="all", limit=500)
                outside = sorted({"acme", "apex", "mosaic", "bolt", "orphan"} - team.customers[person])
                refusals = [await call_error(client, "log_activity", customer=c, type="call", direction="inbound",
                                             date="2026-11-23", external_id=f"oauth-{person}-{c}") for c in outside]  # fmt: skip

        assert visible_ids(portfolio) == team.customers[person], person
        assert not any(name in r for r in refusals for name in OUTSIDE_NAMES), refusals
        assert api.status_code == 401  # an OAuth token is for /mcp, not the REST API
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id LIKE 'oauth-%'")).scalar_one() == 0
