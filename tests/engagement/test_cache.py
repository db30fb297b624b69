"""Cached portfolio scores stay exactly equal to a full recompute, whoever writes and however."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engagement import snapshots
from engagement.db import read_scope
from engagement.core import Core
from engagement.freshness import current_version
from engagement.scoring import load_scoring_config
from engagement.settings import Settings
from tests.factories import local, Factory
from engagement.activities import log_activity
from engagement.portfolio import portfolio
from engagement.queries import LogActivityQuery, PortfolioQuery


def scores(core: Core, period: str | None = None) -> dict[str, tuple[float, str, float]]:
    answer = portfolio(core, local(core), PortfolioQuery(csm_id="all", period=period, limit=500))
    return {r.customer_id: (r.engagement_score, r.trend, r.change_from_last_period) for r in answer.customers}


def fresh(engine: Engine, settings: Settings) -> Core:
    """A core with an empty cache and no saved snapshot to start from: what a full recompute answers."""
    snapshots.wait_saved()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM score_snapshot"))
    return Core(engine, settings, load_scoring_config())


def version(engine: Engine) -> int:
    with read_scope(engine) as session:
        return current_version(session)


def test_logged_activity_shows_in_the_next_portfolio_answer(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    factory.customer("beta", "Beta Ltd")
    before = scores(core)
    scores(core, "last_30_days")  # a second cached period, patched too

    meeting = {"type": "meeting", "direction": "outbound", "date": "2026-11-24", "duration_minutes": 60}
    log_activity(core, local(core), LogActivityQuery(customer="acme", **meeting))

    after = scores(core)
    # 4 meetings, 150 min, contact today: 7.5 + 12 + 80*.25 + 25*.15 + 11.25 + 10
    assert after["acme"][0] == 64.5
    assert after["acme"] != before["acme"] and after["beta"] == before["beta"]
    assert after == scores(fresh(engine, settings))
    assert scores(core, "last_30_days") == scores(fresh(engine, settings), "last_30_days")


def test_a_logged_activity_that_moves_a_category_moves_the_summary_counts(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    # The patched table must not keep the category codes of the table before the write.
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")  # 56.8, low
    factory.customer("beta", "Beta Ltd")

    def counts(answering: Core) -> dict[str, int]:
        summary = portfolio(answering, local(answering), PortfolioQuery(csm_id="all", limit=500)).summary
        return {row.category: row.count for row in summary.categories}

    assert counts(core)["low"] == 1
    meeting = {"type": "meeting", "direction": "outbound", "date": "2026-11-24", "duration_minutes": 60}
    log_activity(core, local(core), LogActivityQuery(customer="acme", **meeting))  # 64.5, healthy

    assert counts(core) == counts(fresh(engine, settings)) == {"high": 0, "healthy": 1, "low": 0, "at_risk": 1}


def test_a_write_by_anyone_else_refreshes_the_cached_answer(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    factory.customer("acme", "Acme Corp")
    assert scores(core)["acme"][0] == 0.0

    factory.spec_example_one("acme")  # another connection, as another process would

    assert scores(core)["acme"][0] == 56.8
    with engine.begin() as connection:  # raw SQL, bypassing the application entirely
        connection.execute(text("UPDATE customer SET status = 'churned' WHERE id = 'acme'"))
    assert "acme" not in scores(core)
    assert scores(core) == scores(fresh(engine, settings))


def test_every_change_to_a_scored_table_moves_the_version(engine: Engine, factory: Factory) -> None:
    start = version(engine)
    factory.csm("ana", "Ana Ruiz")
    factory.customer("acme", "Acme Corp", csm_id="ana")
    factory.stakeholder("acme", "Sarah Chen", "sarah@acme.test")
    factory.activity("acme", "2026-11-20T10:00:00")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM activity"))

    assert version(engine) >= start + 5


def test_logging_the_same_activity_twice_keeps_the_cache_exact(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    factory.customer("acme", "Acme Corp")
    scores(core)
    call = {"type": "call", "direction": "outbound", "date": "2026-11-20", "external_id": "crm-1"}

    first = log_activity(core, local(core), LogActivityQuery(customer="acme", **call))
    second = log_activity(core, local(core), LogActivityQuery(customer="acme", **call))

    assert (first.created, second.created) == (True, False)
    assert scores(core) == scores(fresh(engine, settings))


@pytest.mark.parametrize("date", ["2026-11-20", "2026-10-01T00:00:00", "2026-09-30T23:59:59", "2026-08-15", "2025-12-01"])
def test_a_logged_activity_of_any_date_keeps_every_cached_period_and_its_trend_exact(
    core: Core, factory: Factory, engine: Engine, settings: Settings, date: str
) -> None:
    # log_activity reuses a cached previous-period score when the touchpoint falls after that period;
    # a touchpoint on or before its end must move it (and the change and trend) instead.
    factory.customer("acme", "Acme Corp")
    factory.spec_example_one("acme")
    periods = ("this_quarter", "last_quarter", "last_30_days", "2026-09")
    for period in periods:
        scores(core, period)

    meeting = {"type": "meeting", "direction": "outbound", "date": date, "duration_minutes": 90}
    log_activity(core, local(core), LogActivityQuery(customer="acme", **meeting))

    # Every cached period is still cached, at the store's version after the write (patched, or left
    # as it was when the touchpoint is after its end): the next answer reads no activity.
    assert len(core.scorer.cache.tables_at(version(engine))) == len(periods)
    for period in periods:
        assert scores(core, period) == scores(fresh(engine, settings), period), period
