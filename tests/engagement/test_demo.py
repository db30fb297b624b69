"""The demo portfolio: deterministic, loadable twice, and realistic enough that every report has a story to show."""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy.engine import Engine
from typer.testing import CliRunner
from sqlmodel import SQLModel, col, select

from cli import app
from engagement.db import create_tables, make_engine, session_scope, temporary_schema
from engagement.demo import DemoSummary, load_demo
from engagement.core import Core
from engagement.errors import ConflictError, EngagementError
from engagement.models import Activity, Csm, Customer, Stakeholder
from engagement.scoring import CATEGORIES, load_scoring_config
from engagement.settings import Settings
from tests.factories import local
from tests.conftest import AS_OF, BACKENDS, POSTGRES_URL
from engagement.customer import customer
from engagement.portfolio import portfolio
from engagement.queries import CustomerQuery, PortfolioQuery, UncontactedQuery
from engagement.uncontacted import uncontacted

ORDER: list[tuple[type[SQLModel], tuple[Any, ...]]] = [
    (Csm, (Csm.id,)),
    (Customer, (Customer.id,)),
    (Stakeholder, (Stakeholder.customer_id, Stakeholder.email)),
    (Activity, (Activity.source, Activity.external_id)),
]


@contextmanager
def fresh_store(backend: str, folder: Path) -> Iterator[tuple[str, Engine]]:
    """An empty store like conftest's: an SQLite file, or a private schema in the test PostgreSQL."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
        engine = make_engine(url)
        create_tables(engine)
        yield url, engine
        engine.dispose()
        return
    assert POSTGRES_URL is not None
    with temporary_schema(POSTGRES_URL) as url:
        engine = make_engine(url)
        try:
            create_tables(engine)
            yield url, engine
        finally:
            engine.dispose()


@dataclass
class Demo:
    backend: str
    engine: Engine
    core: Core
    summary: DemoSummary


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The seed-7 demo, loaded once per backend for the whole module (tests here must not change it)."""
    with fresh_store(request.param, tmp_path_factory.mktemp("demo")) as (url, engine):
        summary = load_demo(engine, as_of=AS_OF, seed=7)
        core = Core(engine, Settings(database_url=url, as_of=AS_OF, user=None), load_scoring_config())
        yield Demo(request.param, engine, core, summary)


@pytest.fixture
def other_store(demo: Demo, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty store on the demo's backend."""
    with fresh_store(demo.backend, tmp_path) as (_, engine):
        yield engine


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in a stable order."""
    with engine.connect() as conn:
        return {
            model.__name__: [dict(row) for row in conn.execute(select(model.__table__).order_by(*key)).mappings()]
            for model, key in ORDER
        }


def test_same_seed_and_date_give_identical_rows(demo: Demo, other_store: Engine) -> None:
    summary = load_demo(other_store, as_of=AS_OF, seed=7)

    assert summary == demo.summary
    assert dump(other_store) == dump(demo.engine)


def test_another_seed_gives_another_portfolio(demo: Demo, other_store: Engine) -> None:
    load_demo(other_store, as_of=AS_OF, seed=8)

    ours, theirs = dump(demo.engine), dump(other_store)
    assert {c["name"] for c in ours["Customer"]} != {c["name"] for c in theirs["Customer"]}
    assert ours["Activity"] != theirs["Activity"]
    assert len(theirs["Customer"]) == len(ours["Customer"]) == 48


def test_loading_again_adds_nothing(demo: Demo) -> None:
    before = dump(demo.engine)

    again = load_demo(demo.engine, as_of=AS_OF, seed=7)

    assert again.new_activities == 0
    assert dump(demo.engine) == before


def test_loading_another_demo_over_one_is_refused_and_changes_nothing(demo: Demo) -> None:
    before = dump(demo.engine)

    with pytest.raises(EngagementError, match="--reset"):
        load_demo(demo.engine, as_of=AS_OF, seed=8)

    assert dump(demo.engine) == before


def test_a_demo_key_another_customers_activity_holds_refuses_the_load_and_loads_nothing(
    demo: Demo, other_store: Engine
) -> None:
    with demo.engine.connect() as connection:  # a key the seed-7 demo writes, for one of its customers
        key = connection.execute(select(Activity.external_id).where(Activity.source == "demo").limit(1)).scalar_one()
    with session_scope(other_store) as session:
        session.add(Customer(id="legacy", name="Legacy Ltd", segment="SMB"))
        session.flush()
        session.add(Activity(customer_id="legacy", type="call", direction="outbound", date=dt.datetime(2026, 11, 1),
                             source="demo", external_id=key))  # fmt: skip
    before = dump(other_store)

    with pytest.raises(ConflictError, match=rf"^1 of the demo's activities .* external_id '{key}'.*--reset"):
        load_demo(other_store, as_of=AS_OF, seed=7)

    assert dump(other_store) == before


def test_reset_deletes_every_row_first(other_store: Engine) -> None:
    with session_scope(other_store) as session:
        session.add(Csm(id="boss", name="Old Boss", email="boss@old.test"))
        session.flush()
        session.add(Csm(id="rep", name="Old Rep", email="rep@old.test", manager_id="boss"))
        session.add(Customer(id="legacy", name="Legacy Ltd", segment="SMB", csm_id="rep"))
        session.flush()
        session.add(Stakeholder(customer_id="legacy", name="Lee Gacy", email="lee@legacy.test"))
        session.add(Activity(customer_id="legacy", type="call", direction="outbound", date=dt.datetime(2026, 11, 1)))

    summary = load_demo(other_store, as_of=AS_OF, seed=7, reset=True)

    rows = dump(other_store)
    assert "legacy" not in {c["id"] for c in rows["Customer"]}
    assert {"boss", "rep"}.isdisjoint(c["id"] for c in rows["Csm"])
    counts = (len(rows["Csm"]), len(rows["Customer"]), len(rows["Stakeholder"]), len(rows["Activity"]))
    assert counts == (summary.csms, summary.customers, summary.stakeholders, summary.activities)
    assert summary.new_activities == summary.activities


def test_portfolio_is_a_team_of_four_csms_and_a_manager_with_48_customers(demo: Demo) -> None:
    rows = dump(demo.engine)
    customers, csms = rows["Customer"], rows["Csm"]

    managers = [c for c in csms if c["manager_id"] is None]
    assert len(customers) == demo.summary.customers == 48
    assert {c["segment"] for c in customers} == {"Enterprise", "Mid-Market", "SMB"}
    assert len({c["name"] for c in customers}) == 48
    assert len(managers) == 1 and len(csms) == 5
    assert all(c["manager_id"] == managers[0]["id"] for c in csms if c is not managers[0])
    assert len({c["email"].split("@")[1] for c in csms}) == 1
    assert {c["csm_id"] for c in customers} == {c["id"] for c in csms} - {managers[0]["id"]}
    assert {c["status"] for c in customers} == {"active", "renewed", "churned"}
    team = portfolio(demo.core, local(demo.core), PortfolioQuery(csm_id=managers[0]["id"], limit=500))
    assert team.page.total == sum(c["status"] != "churned" for c in customers)


def test_every_category_is_present_this_quarter_and_each_csm_has_a_mix(demo: Demo) -> None:
    everyone = portfolio(demo.core, local(demo.core), PortfolioQuery(limit=500))

    assert all(count.count > 0 for count in everyone.summary.categories)
    assert {c.category for c in everyone.customers} == set(CATEGORIES)
    for csm_id in {c.csm_id for c in everyone.customers}:
        own = portfolio(demo.core, local(demo.core), PortfolioQuery(csm_id=csm_id, limit=500))
        assert len({c.category for c in own.customers}) >= 3, csm_id
    assert {"improving", "declining"} <= {c.trend for c in everyone.customers}


def test_never_contacted_customers_score_zero_and_come_first_in_uncontacted(demo: Demo) -> None:
    with session_scope(demo.engine) as session:
        contacted = set(session.exec(select(Activity.customer_id).distinct()).all())
        never = {c for c in session.exec(select(Customer.id)).all() if c not in contacted}

    silent = uncontacted(demo.core, local(demo.core), UncontactedQuery(limit=500)).customers
    scores = {c.customer_id: c.engagement_score for c in portfolio(demo.core, local(demo.core), PortfolioQuery(limit=500)).customers}

    assert 2 <= len(never) <= 3
    assert {c.customer_id for c in silent[: len(never)]} == never
    assert all(c.last_contact is None for c in silent[: len(never)])
    assert all(scores[c] == 0.0 for c in never)


def test_no_activity_is_dated_after_the_as_of_date(demo: Demo) -> None:
    with session_scope(demo.engine) as session:
        latest = session.exec(select(Activity.date).order_by(col(Activity.date).desc()).limit(1)).one()
        sources = set(session.exec(select(Activity.source).distinct()).all())

    assert latest < dt.datetime.combine(AS_OF + dt.timedelta(days=1), dt.time())
    assert latest.date() == AS_OF  # the demo runs up to today
    assert sources == {"demo"}


def test_activities_involve_the_customers_own_stakeholders(demo: Demo) -> None:
    rows = dump(demo.engine)
    people: dict[str, dict[str, str]] = {}
    for s in rows["Stakeholder"]:
        people.setdefault(s["customer_id"], {})[s["email"]] = s["level"]
    rank = {"executive": 0, "champion": 1, "user": 2}

    assert all(2 <= len(p) <= 6 for p in people.values()) and len(people) == 48
    assert {s["level"] for s in rows["Stakeholder"]} == {"executive", "champion", "user"}
    assert all(s["title"] and " " in s["name"] for s in rows["Stakeholder"])
    for a in rows["Activity"]:
        known = people[a["customer_id"]]
        assert a["participants"] and set(a["participants"]) <= known.keys()
        assert a["stakeholder_level"] == min((known[p] for p in a["participants"]), key=rank.__getitem__)
        assert a["subject"]
        if a["type"] == "email" and a["direction"] == "outbound":
            assert (a["response_time_hours"] is not None) == (a["response_received"] is True)
        if a["type"] in ("meeting", "qbr"):
            assert a["duration_minutes"] and a["duration_minutes"] > 0
    assert {a["type"] for a in rows["Activity"]} == {"email", "meeting", "call", "qbr", "message"}


def test_health_scores_follow_engagement(demo: Demo) -> None:
    rows = portfolio(demo.core, local(demo.core), PortfolioQuery(limit=500)).customers
    health = {c["id"]: c["health_score"] for c in dump(demo.engine)["Customer"]}

    engagement = [c.engagement_score for c in rows]
    assert statistics.correlation(engagement, [health[c.customer_id] for c in rows]) > 0.5


def test_churned_customers_were_less_engaged_before_renewal_than_renewed_ones(demo: Demo) -> None:
    customers = dump(demo.engine)["Customer"]
    before: dict[str, list[float]] = {"churned": [], "renewed": []}
    for c in customers:
        if c["status"] in before:
            month = c["renewal_date"].replace(day=1) - dt.timedelta(days=1)
            score = customer(demo.core, local(demo.core), CustomerQuery(customer=c["id"], period=f"{month:%Y-%m}")).score.engagement_score
            before[c["status"]].append(score)

    assert len(before["churned"]) >= 3 and len(before["renewed"]) >= 3
    assert all(c["renewal_date"] < AS_OF for c in customers if c["status"] != "active")
    assert statistics.mean(before["churned"]) + 15 < statistics.mean(before["renewed"])


def test_reset_after_a_daily_check_replaces_everything_in_one_go(runner: CliRunner, engine: Engine) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    checked = runner.invoke(app, ["check"])  # score history, alerts and digests in the outbox
    assert checked.exit_code == 0, checked.output
    csm = "priya.raman@northwind-cs.example"  # a CSM of the demo: her user points at her CSM row
    assert runner.invoke(app, ["user", "add", csm, "--role", "csm"]).exit_code == 0
    assert runner.invoke(app, ["token", "create", "--user", csm]).exit_code == 0
    assert runner.invoke(app, ["domain", "add", "driftwood.test", "Driftwood Software"]).exit_code == 0
    before = row_counts(engine)
    assert all(before[table] for table in ("score_history", "alert", "alert_outbox", "app_user", "api_token", "customer_domain"))

    reset = runner.invoke(app, ["demo", "--reset"])

    assert reset.exit_code == 0, reset.output
    after = row_counts(engine)
    assert {table for table, count in after.items() if count} == {
        "csm", "customer", "stakeholder", "activity", "activity_day", "activity_month", "activity_person_month",
        "store_version", "score_change",  # the version and its change log only ever grow (caches trust them)
    }
    assert {table: after[table] for table in ("csm", "customer", "activity")} == {
        table: before[table] for table in ("csm", "customer", "activity")
    }  # the same demo again, whole
    assert runner.invoke(app, ["check"]).exit_code == 0  # and the day's check runs on it afresh
    assert row_counts(engine)["score_history"] == before["score_history"]


def test_a_reset_that_fails_half_way_keeps_everything(
    runner: CliRunner, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    assert runner.invoke(app, ["check"]).exit_code == 0
    before = row_counts(engine)

    def power_cut(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr("engagement.demo.write_activities", power_cut)  # after every row was deleted
    failed = runner.invoke(app, ["demo", "--reset"])

    assert failed.exit_code == 1 and "Internal error" in failed.output
    assert row_counts(engine) == before


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the store, as the database lists them."""
    with engine.connect() as conn:
        names = [n for n in sqlalchemy.inspect(conn).get_table_names() if n != "alembic_version"]
        return {name: conn.execute(sqlalchemy.text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
