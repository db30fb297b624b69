"""`engagement check` and `engagement alerts` as a user (or cron) runs them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli import app
from tests.factories import Factory


def test_check_then_alerts_then_ack(runner: CliRunner, engine: Engine, factory: Factory) -> None:
    factory.csm("ana", "Ana")
    factory.customer("c-1", "[bold]Acme[/bold] & Co", segment="SMB", csm_id="ana")  # markup in data is shown as is

    first = json.loads(runner.invoke(app, ["check", "--json"]).stdout)
    again = runner.invoke(app, ["check"])
    listed = runner.invoke(app, ["alerts", "--status", "open"])
    [alert] = json.loads(runner.invoke(app, ["alerts", "--json"]).stdout)["alerts"]
    acked = runner.invoke(app, ["alerts", "ack", str(alert["alert_id"])])
    missing = runner.invoke(app, ["alerts", "ack", "999"])

    assert (first["recorded"], first["raised"]["no_contact"], first["digests_queued"]) == (1, 1, 1)
    assert again.exit_code == 0 and "0 history rows written; 1 alerts open" in again.output
    assert listed.exit_code == 0 and "[bold]Acme[/bold] & Co" in listed.output and "Never contacted" in listed.output
    assert acked.exit_code == 0 and "is acknowledged" in acked.output and "[bold]Acme[/bold]" in acked.output
    assert missing.exit_code == 1 and "No alert 999" in missing.output


def test_retry_outbox_without_a_webhook_says_so(runner: CliRunner, engine: Engine, factory: Factory) -> None:
    factory.customer("c-1", segment="SMB")
    runner.invoke(app, ["check"])

    result = runner.invoke(app, ["check", "--retry-outbox"])

    assert result.exit_code == 0
    assert "Digests sent: 0; still waiting: 1 (ENGAGEMENT_ALERT_WEBHOOK is not set)." in result.output


def test_with_a_user_set_ack_takes_only_alerts_of_that_users_customers(
    runner: CliRunner, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.csm("lead", "Lena Lead")
    factory.csm("ana", "Ana", manager_id="lead")
    factory.csm("ben", "Ben")
    factory.customer("ana-1", "Ana's Account", segment="SMB", csm_id="ana")
    factory.customer("ben-1", "Ben's Account", segment="SMB", csm_id="ben")
    everything = json.loads(runner.invoke(app, ["check", "--json"]).stdout)
    assert everything["raised"]["no_contact"] == 2
    ids = {a["customer_id"]: a["alert_id"] for a in json.loads(runner.invoke(app, ["alerts", "--csm", "all", "--json"]).stdout)["alerts"]}

    monkeypatch.setenv("ENGAGEMENT_USER", "ana@ourco.test")
    refused = runner.invoke(app, ["alerts", "ack", str(ids["ben-1"])])
    taken = runner.invoke(app, ["alerts", "ack", str(ids["ana-1"])])
    monkeypatch.setenv("ENGAGEMENT_USER", "lead")  # a manager: the team's customers
    by_manager = runner.invoke(app, ["alerts", "ack", str(ids["ben-1"])])
    after = {a["customer_id"]: a["status"] for a in json.loads(runner.invoke(app, ["alerts", "--csm", "all", "--json"]).stdout)["alerts"]}

    assert refused.exit_code == 1 and f"No alert {ids['ben-1']} among the alerts you may see" in refused.output
    assert "Ben" not in refused.output
    assert taken.exit_code == 0 and "is acknowledged" in taken.output
    assert by_manager.exit_code == 1 and "No alert" in by_manager.output
    assert after == {"ana-1": "acknowledged", "ben-1": "open"}
