"""Saved period scores and the change log: a new process starts from what another one scored, rescores only
the customers changed since, and never answers a stale score, whoever wrote and however (a tool, raw SQL,
an import, a rename, a churn, a new customer), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engagement import scorer as scorer_module
from engagement import snapshots
from engagement.activities import log_activity
from engagement.core import Core
from engagement.db import read_scope
from engagement.demo import load_demo
from engagement.freshness import current_version
from engagement.imports import import_csv
from engagement.periods import resolve_period
from engagement.portfolio import portfolio
from engagement.queries import LogActivityQuery, PortfolioQuery
from engagement.scope import EVERYONE
from engagement.scoring import load_scoring_config
from engagement.settings import Settings
from server import create_server
from tests.conftest import AS_OF
from tests.factories import Factory, local
from tests.servers import ROOT, server_env

PERIODS = ("this_quarter", "last_quarter", "last_30_days", "2026-09")
# Process B: a fresh MCP server's first answers, and how many times it scored a whole portfolio.
PROCESS_B = """
import json, sys, anyio
from mcp import Client
from engagement import scorer
from server import create_server

whole = []
score = scorer.Scorer.score
def counted(self, session, scope, *args, **kwargs):
    whole.append(scope.customer_ids is None and scope.customer_id is None)
    return score(self, session, scope, *args, **kwargs)
scorer.Scorer.score = counted

async def main():
    async with Client(create_server()) as client:
        answers = {}
        for period in sys.argv[1:]:
            answer = await client.call_tool("get_portfolio_engagement", {"csm_id": "all", "period": period, "limit": 500})
            answers[period] = answer.structured_content
    print(json.dumps({"answers": answers, "whole_portfolios_scored": sum(whole)}))
anyio.run(main)
"""


def answers_of(settings: Settings) -> dict[str, Any]:
    async def ask() -> dict[str, Any]:
        async with Client(create_server(settings)) as client:
            return {
                period: (await client.call_tool("get_portfolio_engagement", {"csm_id": "all", "period": period, "limit": 500})).structured_content
                for period in PERIODS
            }

    answers = anyio.run(ask)
    snapshots.wait_saved()  # what it scored is saved beside its answers
    return answers


def process_b(settings: Settings) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", PROCESS_B, *PERIODS], cwd=ROOT, capture_output=True, text=True,
                         check=True, env=server_env(settings))  # fmt: skip
    return json.loads(out.stdout)


def recomputed(engine: Engine, settings: Settings) -> dict[str, Any]:
    """The same answers from nothing saved: every period scored whole."""
    snapshots.wait_saved()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM score_snapshot"))
    return answers_of(settings)


def seed(factory: Factory) -> None:
    factory.csm("ana", "Ana Ruiz")
    for n, name in enumerate(["Acme Corp", "Beta Ltd", "Gamma Inc", "Delta AG", "Epsilon SA"]):
        cid = name.split()[0].lower()
        factory.customer(cid, name, csm_id="ana")
        factory.activities(cid, 3 + n, "2026-08-20T10:00:00", participants=[f"p{n}@{cid}.test"])
        factory.activities(cid, 2 * n, "2026-10-05T10:00:00", type="meeting", duration_minutes=30)
        factory.activity(cid, "2026-11-18T09:00:00", type="call")


def test_a_new_process_answers_exactly_after_any_kind_of_write_by_another(
    core: Core, factory: Factory, engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    seed(factory)
    answers_of(settings)  # process A scores every period: the snapshots are saved
    with read_scope(engine) as session:
        saved = session.connection().execute(text("SELECT count(*) FROM score_snapshot")).scalar_one()
    assert saved == len(PERIODS)

    # Writes of every kind after the snapshots: a tool call, raw SQL moving, changing and deleting
    # activities, a rename, a churn, a new customer with a touchpoint, a CSV import.
    log_activity(core, local(core), LogActivityQuery(customer="acme", type="meeting", direction="outbound",
                                                     date="2026-11-20", duration_minutes=60))  # fmt: skip
    with engine.begin() as connection:
        connection.execute(text("UPDATE activity SET date = '2026-11-10 08:00:00' WHERE id = "
                                "(SELECT min(id) FROM activity WHERE customer_id = 'beta')"))  # fmt: skip
        connection.execute(text("UPDATE activity SET type = 'qbr' WHERE id = (SELECT max(id) FROM activity WHERE customer_id = 'gamma')"))
        connection.execute(text("DELETE FROM activity WHERE customer_id = 'delta' AND type = 'meeting'"))
        connection.execute(text("UPDATE customer SET name = 'Aardvark Epsilon', status = 'churned' WHERE id = 'epsilon'"))
    factory.customer("zeta", "Zeta Co", csm_id="ana")
    factory.activity("zeta", "2026-09-15T10:00:00", type="meeting", duration_minutes=45)
    path = tmp_path / "activities.csv"
    path.write_text("customer,type,direction,date,external_id\nbeta,email,outbound,2026-07-02,i1\nzeta,call,inbound,2026-11-23,i2\n")
    assert not import_csv(engine, "activities", path, as_of=AS_OF).rejected

    started = process_b(settings)

    assert started["whole_portfolios_scored"] == 0  # it started from the snapshots
    assert started["answers"] == recomputed(engine, settings)
    names = {row["name"] for row in started["answers"]["this_quarter"]["customers"]}
    assert "Zeta Co" in names and "Epsilon SA" not in names and "Aardvark Epsilon" not in names


def test_a_snapshot_is_caught_up_by_rescoring_only_the_changed_customers(
    core: Core, factory: Factory, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(factory)
    answers_of(settings)
    with engine.begin() as connection:
        connection.execute(text("UPDATE activity SET duration_minutes = 90 WHERE customer_id = 'gamma' AND type = 'meeting'"))
    rescored: list[tuple[str, ...]] = []
    rescore = scorer_module.Scorer._rescored

    def spy(self: Any, session: Any, period: Any, touched: dict[str, Any], cached: Any) -> Any:
        rescored.append(tuple(sorted(touched)))
        return rescore(self, session, period, touched, cached)

    monkeypatch.setattr(scorer_module.Scorer, "_rescored", spy)

    fresh = Core(engine, settings, load_scoring_config())
    answer = portfolio(fresh, local(fresh), PortfolioQuery(csm_id="all", limit=500))

    assert rescored == [("gamma",)]
    with read_scope(engine) as session:
        whole = fresh.scorer.score(session, EVERYONE, resolve_period("this_quarter", AS_OF))
    gamma = next(row for row in answer.customers if row.customer_id == "gamma")
    assert gamma.engagement_score == whole["engagement_score"][whole.positions["gamma"]]
    # A change after a period's end leaves it as saved: last quarter needs no rescoring.
    rescored.clear()
    portfolio(fresh, local(fresh), PortfolioQuery(csm_id="all", period="last_quarter"))
    assert rescored == []


def test_a_pruned_change_log_or_a_truncate_means_scoring_whole_not_a_stale_answer(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    seed(factory)
    answers_of(settings)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM activity WHERE customer_id = 'acme'"))
        # The log lost what it held before now (as pruning would): the snapshots cannot catch up.
        connection.execute(text("DELETE FROM score_change"))
        connection.execute(text("UPDATE store_version SET changes_from = version"))

    started = process_b(settings)

    assert started["whole_portfolios_scored"] == len(PERIODS)
    assert started["answers"] == recomputed(engine, settings)
    if engine.dialect.name == "postgresql":
        answers_of(settings)
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE activity"))
        started = process_b(settings)
        assert started["whole_portfolios_scored"] == len(PERIODS)
        assert started["answers"] == recomputed(engine, settings)


def test_saving_a_snapshot_never_waits_for_a_long_write(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    # An import may hold the store's write lock for minutes; an answer must not wait for it to save.
    seed(factory)
    with engine.connect() as blocker:
        if engine.dialect.name == "sqlite":
            blocker.connection.driver_connection.execute("BEGIN IMMEDIATE")
        else:
            blocker.execute(text("LOCK TABLE score_snapshot IN EXCLUSIVE MODE"))
        answer = portfolio(core, local(core), PortfolioQuery(csm_id="all", limit=500))
        snapshots.wait_saved()  # it gave up (a save waiting for the lock would never end here)
        blocker.rollback()
        if engine.dialect.name == "sqlite":
            blocker.connection.driver_connection.rollback()
    with read_scope(engine) as session:
        assert session.connection().execute(text("SELECT count(*) FROM score_snapshot")).scalar_one() == 0
        version = current_version(session)
    assert {row.customer_id for row in answer.customers} == {"acme", "beta", "delta", "epsilon", "gamma"}
    assert core.scorer.cache.tables_at(version)  # answered, and kept in memory


def test_a_demo_reset_by_another_process_leaves_no_stale_cached_answer(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    # A reset deletes every row but the version and the change log, which the caches trust: a server that
    # cached the portfolio before it catches up with the reset's deletes and the new demo's rows.
    load_demo(engine, as_of=AS_OF, seed=7)
    factory.customer("extra", "Extra Ltd")  # not the demo's: the reset deletes it for good
    before = portfolio(core, local(core), PortfolioQuery(csm_id="all", limit=500))
    load_demo(engine, as_of=AS_OF, seed=8, reset=True)  # another process: this core's cache is not told

    after = portfolio(core, local(core), PortfolioQuery(csm_id="all", limit=500))

    snapshots.wait_saved()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM score_snapshot"))
    whole = Core(engine, settings, load_scoring_config())
    assert after == portfolio(whole, local(whole), PortfolioQuery(csm_id="all", limit=500))
    assert "extra" in {row.customer_id for row in before.customers} - {row.customer_id for row in after.customers}
