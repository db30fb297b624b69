"""The `engagement` command: demo, report, customer and import as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from cli import app
from engagement.db import alembic_config


def test_demo_then_report_shows_the_portfolio(runner: CliRunner) -> None:
    loaded = runner.invoke(app, ["demo"])
    report = runner.invoke(app, ["report", "--json", "--limit", "500"])

    assert loaded.exit_code == 0, loaded.output
    assert "48 customers" in loaded.output
    assert "engagement install claude-desktop" in loaded.output
    answer = json.loads(report.stdout)
    assert answer["summary"]["customer_count"] == len(answer["customers"]) >= 40
    table = runner.invoke(app, ["report"])
    assert "Customers needing attention" in table.output and "Never contacted" in table.output


def test_customer_view_matches_its_json(runner: CliRunner) -> None:
    runner.invoke(app, ["demo"])
    detail = json.loads(runner.invoke(app, ["customer", "demo-01", "--json"]).stdout)

    shown = runner.invoke(app, ["customer", detail["name"]])

    assert shown.exit_code == 0, shown.output
    assert f"{detail['score']['engagement_score']:.1f}/100" in shown.output


def test_bad_period_is_a_user_error_with_exit_code_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["report", "--period", "Q5"])

    assert result.exit_code == 1
    assert "Unknown period 'Q5'" in result.output


def test_import_with_bad_rows_names_them_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["demo"])
    csv = tmp_path / "acts.csv"
    csv.write_text("customer,type,direction,date\ndemo-01,email,outbound,2026-11-20\ndemo-01,fax,outbound,2026-11-20\n")

    result = runner.invoke(app, ["import", "activities", str(csv)])

    assert result.exit_code == 1
    assert "1 imported" in result.output and "fax" in result.output


def test_db_upgrade_reports_the_schema_revision(runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "upgrade"])

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert result.exit_code == 0
    assert f"Schema at {head}" in result.output


@pytest.mark.parametrize("period", ["9999-12", "0001-Q1", "1000-01"])
def test_a_period_outside_the_calendar_is_a_user_error_naming_the_range(runner: CliRunner, period: str) -> None:
    result = runner.invoke(app, ["report", "--period", period])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"Period {period} is outside the accepted range 1990-01-01 to 2100-12-31" in result.output


@pytest.mark.parametrize("as_of", ["9999-12-31", "1989-12-31"])
def test_an_as_of_date_outside_the_calendar_is_a_one_line_config_error(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, as_of: str
) -> None:
    monkeypatch.setenv("ENGAGEMENT_AS_OF", as_of)

    result = runner.invoke(app, ["report"])

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: Invalid setting: ENGAGEMENT_AS_OF: the date {as_of} is outside the accepted range "
        "1990-01-01 to 2100-12-31."
    )


def test_files_nested_100000_deep_are_a_clear_error(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    deep = tmp_path / "key.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    weights = tmp_path / "weights.toml"
    weights.write_text("email_volume = " + "[" * 100_000 + "]" * 100_000 + "\n")
    monkeypatch.setenv("ENGAGEMENT_GOOGLE_CREDENTIALS_DIR", str(tmp_path / "google"))

    key = runner.invoke(app, ["auth", "google", "--service-account", str(deep)])
    config = runner.invoke(app, ["install", "claude-desktop", "--config", str(deep)])
    monkeypatch.setenv("ENGAGEMENT_WEIGHTS_FILE", str(weights))
    report = runner.invoke(app, ["report"])

    for result in (key, config, report):
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert "nested too deeply to read" in result.output


def test_a_token_id_past_the_databases_integers_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["token", "revoke", str(2**63)])

    assert result.exit_code == 2 and "9223372036854775807" in result.output and "Internal error" not in result.output
