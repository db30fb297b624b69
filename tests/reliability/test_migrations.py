"""Upgrading the schema keeps every row and every score: a store made at the first migration, filled,
then upgraded to head, on SQLite and PostgreSQL; a server started on an old store upgrades it itself."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mcp import Client
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from engagement.db import alembic_config, current_revision, make_engine, migrate, read_scope, temporary_schema
from engagement.demo import build_demo
from engagement.periods import resolve_period
from engagement.scope import EVERYONE
from engagement.scoring import load_scoring_config
from engagement.core import Core
from engagement.settings import Settings
from server import create_server
from tests.conftest import AS_OF, POSTGRES_URL
from tests.factories import local
from tests.reliability.conftest import CORE_TABLES, head_revision, table_counts
from tests.tools.conftest import call
from engagement.customer import customer
from engagement.queries import CustomerQuery

FIRST = "0001"
PERIODS = ("this_quarter", "last_quarter", "2026-Q1", "2026-07", "last_30_days", "last_90_days")


@pytest.fixture
def head_engine(database_url: str, tmp_path: Path) -> Any:
    """A second store of the same backend, created at head, empty."""
    with ExitStack() as stack:
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / 'at-head.db'}"
        else:
            assert POSTGRES_URL is not None
            url = stack.enter_context(temporary_schema(POSTGRES_URL, prefix="head"))
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def old_engine(settings: Settings) -> Any:
    """A store created at the first migration only, with no rows yet."""
    engine = make_engine(settings.resolved_database_url())
    migrate(engine, FIRST)
    yield engine
    engine.dispose()


def fill_at_first_revision(engine: Engine) -> None:
    """The demo portfolio written through the tables as the first migration made them (reflected, not the
    current models), so this keeps working when later migrations change the models."""
    data = build_demo(7, AS_OF)
    metadata = MetaData()
    metadata.reflect(engine, only=list(CORE_TABLES))
    rows: dict[str, list[dict[str, Any]]] = {
        "csm": [csm.model_dump() for csm in data.csms],
        "customer": [customer.model_dump() for customer in data.customers],
        "stakeholder": data.stakeholders,
        "activity": data.activities,
    }
    with engine.begin() as connection:
        for name in ("csm", "customer", "stakeholder", "activity"):  # parents first (foreign keys)
            table = metadata.tables[name]
            columns = set(table.columns.keys())
            if name == "csm":  # the manager row first: the others point at it
                rows[name].sort(key=lambda row: row["manager_id"] is not None)
            connection.execute(table.insert(), [{k: v for k, v in row.items() if k in columns} for row in rows[name]])


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the first migration's tables, in primary-key order."""
    metadata = MetaData()
    metadata.reflect(engine, only=list(CORE_TABLES))
    with engine.connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for name, table in metadata.tables.items()
        }


def every_answer(engine: Engine, settings: Settings) -> dict[str, Any]:
    """Every customer's scores and metrics for several periods (the engine's one computation, without the
    score cache), and the full detail (counts, components,
    stakeholders, recent activities) of every sixth customer, as plain data."""
    core = Core(engine, settings, load_scoring_config())
    answers: dict[str, Any] = {}
    with read_scope(engine) as session:
        for token in PERIODS:
            table = core.scorer.score(session, EVERYONE, resolve_period(token, local(core).as_of))
            answers[f"scores {token}"] = {
                customer_id: {name: None if value != value else value for name, value in row.items()}  # NaN != NaN
                for customer_id, row in table.rows(np.arange(len(table)), list(table.columns))
            }
    for customer_id in sorted(answers["scores this_quarter"])[::6]:
        answers[customer_id] = customer(core, local(core), CustomerQuery(customer=customer_id)).model_dump()
    return answers


def test_upgrading_from_the_first_migration_keeps_every_row_and_every_score(
    old_engine: Engine, head_engine: Engine, settings: Settings
) -> None:
    # The engine reads tables later migrations add, so the scores to keep are those of the same rows
    # written into a store made at head.
    fill_at_first_revision(old_engine)
    fill_at_first_revision(head_engine)
    rows_before, answers_before = dump(old_engine), every_answer(head_engine, settings)
    assert current_revision(old_engine) == FIRST

    migrate(old_engine)

    assert current_revision(old_engine) == head_revision()
    rows_after = dump(old_engine)
    assert {name: len(rows) for name, rows in rows_after.items()} == {
        name: len(rows) for name, rows in rows_before.items()
    }
    assert len(rows_before["activity"]) > 8000  # the whole demo year went in
    assert rows_after == rows_before
    answers_after = every_answer(old_engine, settings)
    assert answers_after.keys() == answers_before.keys()
    for key, before in answers_before.items():
        assert answers_after[key] == before, f"{key} changed across the upgrade"


@pytest.mark.anyio
async def test_a_server_started_on_an_old_store_upgrades_it_and_answers(
    old_engine: Engine, head_engine: Engine, settings: Settings
) -> None:
    fill_at_first_revision(old_engine)
    fill_at_first_revision(head_engine)
    head = Core(head_engine, settings, load_scoring_config())
    expected = customer(head, local(head), CustomerQuery(customer="demo-01")).score

    server = create_server(settings)

    assert current_revision(old_engine) == head_revision()
    async with Client(server) as client:
        detail = await call(client, "get_customer_engagement", customer="demo-01")
    assert detail["score"] == expected.model_dump()


def test_upgrading_twice_changes_nothing(old_engine: Engine, settings: Settings) -> None:
    fill_at_first_revision(old_engine)
    migrate(old_engine)
    rows = dump(old_engine)

    migrate(old_engine)

    assert current_revision(old_engine) == head_revision()
    assert dump(old_engine) == rows


def test_upgrading_from_0006_keeps_every_row_adds_empty_alert_tables_and_downgrades_cleanly(
    old_engine: Engine, settings: Settings
) -> None:
    # 0007 adds the daily check's tables; a store at 0006 keeps its rows and scores through it and back.
    fill_at_first_revision(old_engine)
    migrate(old_engine, "0006")
    rows = dump(old_engine)

    migrate(old_engine, "0007")

    counts = table_counts(old_engine)
    assert {name: counts[name] for name in ("score_history", "alert", "alert_outbox")} == {
        "score_history": 0, "alert": 0, "alert_outbox": 0,
    }
    assert dump(old_engine) == rows

    from alembic import command

    with old_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0006")
    assert current_revision(old_engine) == "0006"
    assert not {"score_history", "alert", "alert_outbox"} & set(table_counts(old_engine))
    assert dump(old_engine) == rows
