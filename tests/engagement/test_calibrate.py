"""`engagement calibrate` recovers weights planted in a store's renewals, and writes a file only when asked."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli import app
from engagement.db import session_scope
from engagement.models import Activity, Customer
from engagement.scoring import COMPONENTS, load_scoring_config
from engagement.settings import Settings

PLANTED = {"email_volume": 0.10, "email_response": 0.35, "meeting_frequency": 0.30, "meeting_quality": 0.0,
           "stakeholder_breadth": 0.25, "recency": 0.0}
ACCOUNTS = 200
QUARTER_END = dt.date(2026, 6, 30)  # renewals in 2026-Q3 are scored on 2026-Q2


def plant(engine: Engine) -> np.ndarray:
    """Accounts whose six components vary independently in 2026-Q2 and who renewed exactly when their
    score under PLANTED weights is above the median; returns the components, worked out by SPEC.md."""
    rng = np.random.default_rng(11)
    extra, answered = rng.integers(0, 17, ACCOUNTS), rng.integers(0, 5, ACCOUNTS)
    meetings, minutes = rng.integers(1, 6, ACCOUNTS), rng.choice([15, 30, 45, 60, 90, 120], ACCOUNTS)
    people, quiet = rng.integers(1, 5, ACCOUNTS), rng.integers(0, 31, ACCOUNTS)
    components = np.column_stack([
        np.minimum(100, 5 * (4 + extra)), answered * 25.0, np.minimum(100, 20 * meetings),
        np.minimum(100, meetings * minutes / 6), np.minimum(100, 25 * people), np.maximum(0, 100 - 3 * quiet),
    ]).astype(float)
    planted = components @ np.array([PLANTED[name] for name in COMPONENTS])
    renewed = planted > np.median(planted)
    customers: list[Any] = []
    rows: list[Any] = []
    for i in range(ACCOUNTS):
        cid = f"c{i:03d}"
        customers.append(Customer(id=cid, name=f"Account {i:03d}", segment="Mid-Market", renewal_date=dt.date(2026, 8, 1),
                                  status="renewed" if renewed[i] else "churned"))
        early = dt.datetime(2026, 4, 6, 9)
        rows += [Activity(customer_id=cid, type="email", direction="outbound", date=early, response_received=j < answered[i])
                 for j in range(4)]
        rows += [Activity(customer_id=cid, type="email", direction="outbound", date=early) for _ in range(extra[i])]
        everyone = [f"p{k}@{cid}.test" for k in range(people[i])]
        rows += [Activity(customer_id=cid, type="meeting", direction="outbound", date=dt.datetime(2026, 4, 20, 9),
                          duration_minutes=float(minutes[i]), participants=everyone) for _ in range(meetings[i])]
        last = dt.datetime.combine(QUARTER_END - dt.timedelta(days=int(quiet[i])), dt.time(9))
        rows.append(Activity(customer_id=cid, type="call", direction="outbound", date=last))
    with session_scope(engine) as session:
        session.add_all(customers)
    with session_scope(engine) as session:
        session.add_all(rows)
    return components, renewed.astype(float)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of the command, apart from the store's file."""
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch, folder: Path) -> CliRunner:
    monkeypatch.setenv("ENGAGEMENT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("ENGAGEMENT_AS_OF", str(settings.as_of))
    return CliRunner()


def test_calibration_recovers_planted_weights_and_writes_nothing_unasked(runner: CliRunner, engine: Engine, folder: Path) -> None:
    components, renewed = plant(engine)
    before = sorted(os.listdir(folder))

    result = runner.invoke(app, ["calibrate", "--outcome", "renewal", "--json"])

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    fitted = answer["fitted_weights"]
    assert max(abs(fitted[name] - PLANTED[name]) for name in COMPONENTS) <= 0.1, fitted
    assert sum(fitted.values()) == pytest.approx(1.0, abs=1e-9) and min(fitted.values()) >= 0
    current = components @ np.array([0.15, 0.20, 0.25, 0.15, 0.15, 0.10])
    assert answer["before"]["r"] == pytest.approx(np.corrcoef(current, renewed)[0, 1], abs=5e-4)
    assert answer["accounts"] == ACCOUNTS and answer["after"]["n"] == ACCOUNTS
    assert answer["after"]["r"] > answer["before"]["r"] + 0.05
    assert answer["after"]["ci_low"] < answer["after"]["r"] < answer["after"]["ci_high"]
    assert answer["written_to"] is None
    assert sorted(os.listdir(folder)) == before  # nothing written

    churn = json.loads(runner.invoke(app, ["calibrate", "--outcome", "churn", "--json"]).stdout)
    assert churn["fitted_weights"] == fitted and churn["after"]["r"] == pytest.approx(-answer["after"]["r"], abs=1e-9)


def test_calibration_writes_a_weights_file_the_product_loads_only_with_write(runner: CliRunner, engine: Engine, folder: Path) -> None:
    plant(engine)

    result = runner.invoke(app, ["calibrate", "--outcome", "renewal", "--write", "fitted.toml"])

    assert result.exit_code == 0, result.output
    assert "Written to fitted.toml" in result.output
    loaded = load_scoring_config(folder / "fitted.toml")
    shown = json.loads(runner.invoke(app, ["calibrate", "--outcome", "renewal", "--json"]).stdout)["fitted_weights"]
    assert loaded.weights.model_dump() == pytest.approx(shown)
    assert loaded.benchmarks == load_scoring_config().benchmarks
    assert sorted(os.listdir(folder)) == ["fitted.toml"]


def test_calibration_without_enough_renewals_says_so_and_exits_1(runner: CliRunner, engine: Engine, folder: Path) -> None:
    with session_scope(engine) as session:
        session.add_all([Customer(id=f"c{i}", name=f"C{i}", segment="SMB", renewal_date=dt.date(2026, 8, 1), status="renewed")
                         for i in range(12)])

    result = runner.invoke(app, ["calibrate", "--outcome", "renewal", "--write", "fitted.toml"])

    assert result.exit_code == 1
    assert "Not enough data to calibrate: 12 accounts" in result.output and "0 churned" in result.output
    assert os.listdir(folder) == []
