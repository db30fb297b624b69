"""The daily check's tools through the MCP client: run it, list, acknowledge, read the history, in the caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client
from sqlalchemy.engine import Engine

from engagement.caller import Caller
from engagement.settings import Settings
from server import create_server
from tests.conftest import AS_OF
from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio


@pytest.fixture
def two_csms(factory: Factory) -> None:
    factory.csm("ana", "Ana")
    factory.csm("ben", "Ben")
    factory.customer("ana-1", "Ana's Account", segment="SMB", csm_id="ana")  # never contacted
    factory.customer("ben-1", "Ben's Account", segment="Enterprise", csm_id="ben")  # and no executive


@pytest.fixture
async def as_ana(settings: Settings, engine: Engine) -> AsyncIterator[Client]:
    ana = Caller(as_of=AS_OF, user="ana", visible_csms=frozenset({"ana"}), label="user-1")
    async with Client(create_server(settings, caller_of=lambda: ana)) as connected:
        yield connected


async def test_the_check_records_raises_and_a_rerun_adds_nothing(client: Client, two_csms: None) -> None:
    first = await call(client, "run_engagement_check")
    again = await call(client, "run_engagement_check")

    assert first["day"] == AS_OF.isoformat() and first["period"]["label"] == "last_90_days"
    assert (first["customers_scored"], first["recorded"]) == (2, 2)
    assert first["raised"] == {"at_risk": 0, "score_drop": 0, "no_contact": 2, "no_executive_touchpoint": 1}
    assert (first["digests_queued"], first["webhook"]) == (2, False)
    assert (again["recorded"], sum(again["raised"].values()), again["open_alerts"]) == (0, 0, 3)

    listed = await call(client, "list_alerts")
    assert listed["page"]["total"] == 3 and listed["counts"]["no_contact"] == 2
    row = next(a for a in listed["alerts"] if a["customer_id"] == "ben-1" and a["kind"] == "no_executive_touchpoint")
    assert row["name"] == "Ben's Account" and row["opened_at"].endswith("Z")
    assert row["details"] == "No executive touchpoint this quarter (2026-10-01 to 2026-11-24)."

    acknowledged = await call(client, "acknowledge_alert", alert_id=row["alert_id"])
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledged_at"].endswith("Z")
    assert (await call(client, "list_alerts", status="open"))["page"]["total"] == 2

    history = await call(client, "get_score_history", customer="Ana's Account", days=7)
    assert [(p["day"], p["engagement_score"], p["category"]) for p in history["points"]] == [(AS_OF.isoformat(), 0.0, "at_risk")]


async def test_a_csm_sees_and_acknowledges_only_their_own_alerts(client: Client, as_ana: Client, two_csms: None) -> None:
    await call(client, "run_engagement_check")
    bens = (await call(client, "list_alerts", csm_id="ben"))["alerts"]

    mine = await call(as_ana, "list_alerts")
    assert {a["customer_id"] for a in mine["alerts"]} == {"ana-1"}
    assert "No CSM 'ben'. Give a CSM id or email: ana." in await call_error(as_ana, "list_alerts", csm_id="ben")
    for alert in bens:
        assert f"No alert {alert['alert_id']} among the alerts you may see" in await call_error(
            as_ana, "acknowledge_alert", alert_id=alert["alert_id"]
        )
    assert "only an admin may run it" in await call_error(as_ana, "run_engagement_check")
    assert "No customer 'ben-1'" in await call_error(as_ana, "get_score_history", customer="ben-1")


async def test_bad_arguments_are_tool_errors_that_say_what_is_accepted(client: Client, two_csms: None) -> None:
    assert "No alert 42 among the alerts you may see" in await call_error(client, "acknowledge_alert", alert_id=42)
    assert "days\n  Input should be less than or equal to 90" in await call_error(client, "get_score_history", customer="ana-1", days=91)
    assert "status\n  Input should be 'open', 'acknowledged' or 'resolved'" in await call_error(client, "list_alerts", status="closed")


async def test_over_stdio_with_a_user_set_acknowledge_alert_takes_only_that_users_alerts(
    settings: Settings, engine: Engine, two_csms: None
) -> None:
    async with Client(create_server(settings)) as everyone:
        await call(everyone, "run_engagement_check")
        ids = {a["customer_id"]: a["alert_id"] for a in (await call(everyone, "list_alerts", csm_id="all"))["alerts"]}
    async with Client(create_server(settings.model_copy(update={"user": "ana"}))) as ana:
        refused = await call_error(ana, "acknowledge_alert", alert_id=ids["ben-1"])
        taken = await call(ana, "acknowledge_alert", alert_id=ids["ana-1"])

    assert f"No alert {ids['ben-1']} among the alerts you may see" in refused and "Ben" not in refused
    assert taken["status"] == "acknowledged" and taken["customer_id"] == "ana-1"
