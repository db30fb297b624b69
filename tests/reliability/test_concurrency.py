"""Many agents at once: concurrent writers of the same touchpoints store each once with no error seen;
readers see a customer before or after an import, never half of it; a busy SQLite store waits."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from engagement import db
from engagement.db import make_engine
from engagement.core import Core
from engagement.imports import import_csv
from engagement.models import Activity
from engagement.scoring import load_scoring_config
from engagement.settings import Settings
from server import create_server
from tests.conftest import AS_OF
from tests.factories import local, Factory
from tests.reliability.conftest import http_server, tool_error_text
from engagement.portfolio import portfolio
from engagement.queries import PortfolioQuery

WRITERS = 8
# The figure is 200; each log_activity answers with a fresh score (~0.1 s of CPU today), so 8 x 200
# calls take minutes on a 2-core runner. Every activity is still written by all 8 writers at any size.
ACTIVITIES = int(os.environ.get("ENGAGEMENT_TEST_CONCURRENT_ACTIVITIES", "50"))
SERVERS = 2  # real processes, so SQLite sees locking between processes as well as between threads


def the_activities() -> list[dict[str, Any]]:
    """The touchpoints every writer logs: the same source and external_id each time."""
    kinds = [("email", "outbound"), ("email", "inbound"), ("meeting", "outbound"), ("call", "inbound")]
    rows = []
    for i in range(ACTIVITIES):
        kind, direction = kinds[i % len(kinds)]
        rows.append(
            {
                "customer": f"cust-{i % 5}",
                "type": kind,
                "direction": direction,
                "date": f"2026-{10 + i % 2}-{1 + i % 23:02d}T{i % 24:02d}:00:00Z",
                "participants": [f"p{i % 7}@acme.test"],
                "response_received": (i % 3 == 0) if kind == "email" and direction == "outbound" else None,
                "duration_minutes": 30 if kind == "meeting" else None,
                "source": "agent",
                "external_id": f"concurrent-{i}",
            }
        )
    return rows


@pytest.mark.anyio
async def test_eight_writers_logging_the_same_activities_store_each_once_and_see_no_error(
    settings: Settings, engine: Engine, factory: Factory
) -> None:
    for i in range(5):
        factory.customer(f"cust-{i}", f"Customer {i}")
    activities = the_activities()
    answers: list[list[tuple[str, Any]]] = [[] for _ in range(WRITERS)]

    async def writer(number: int, url: str) -> None:
        order = list(activities)
        random.Random(number).shuffle(order)  # each writer in its own order, so they collide everywhere
        async with Client(url) as client:
            for arguments in order:
                result = await client.call_tool("log_activity", arguments)
                answers[number].append((arguments["external_id"], result))

    with http_server(settings) as first, http_server(settings) as second:
        urls = [first, second][:SERVERS]
        with anyio.fail_after(240):
            async with anyio.create_task_group() as group:
                for number in range(WRITERS):
                    group.start_soon(writer, number, urls[number % len(urls)])

    errors = [tool_error_text(result) for calls in answers for _, result in calls if result.is_error]
    assert errors == [], f"{len(errors)} callers saw an error, e.g. {errors[:3]}"
    assert all(len(calls) == ACTIVITIES for calls in answers)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Activity)).scalar_one()
        distinct = connection.execute(select(func.count(func.distinct(Activity.external_id)))).scalar_one()
    assert (stored, distinct) == (ACTIVITIES, ACTIVITIES)
    # Each activity was created by exactly one writer; the seven others were told it already existed,
    # and all eight got the same stored row back.
    by_id: dict[str, list[Any]] = {}
    for calls in answers:
        for external_id, result in calls:
            by_id.setdefault(external_id, []).append(result.structured_content)
    for external_id, results in by_id.items():
        assert sum(r["created"] for r in results) == 1, external_id
        assert len({r["activity"]["id"] for r in results}) == 1, external_id


# -- a busy SQLite store ------------------------------------------------------------------------------


def hold_write_lock(settings: Settings) -> sqlite3.Connection:
    """Another process's writer, as SQLite sees it: a connection in the middle of a write transaction."""
    path = settings.resolved_database_url().removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE customer SET arr = arr WHERE id = 'acme'")
    return holder


@pytest.mark.anyio
async def test_a_busy_sqlite_store_waits_for_the_lock_instead_of_failing(
    settings: Settings, engine: Engine, factory: Factory
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    factory.customer("acme", "Acme Corp")
    arguments = {"customer": "acme", "type": "call", "direction": "outbound", "date": "2026-11-20", "external_id": "b1"}
    async with Client(create_server(settings)) as client:
        holder = hold_write_lock(settings)
        outcome: dict[str, Any] = {}

        async def log() -> None:
            outcome["result"] = await client.call_tool("log_activity", arguments)

        async with anyio.create_task_group() as group:
            group.start_soon(log)
            await anyio.sleep(1.0)  # the lock is held for a second: this wait is the fault being tested
            assert "result" not in outcome, "the write finished while another connection held the lock"
            holder.commit()
            holder.close()

    result = outcome["result"]
    assert not result.is_error, tool_error_text(result)
    assert result.structured_content["created"] is True
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id = 'b1'")).scalar_one() == 1


@pytest.mark.anyio
async def test_a_store_locked_past_the_busy_timeout_is_a_clear_tool_error_and_nothing_is_written(
    settings: Settings, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)  # read at connect time: the server's connections
    factory.customer("acme", "Acme Corp")
    arguments = {"customer": "acme", "type": "call", "direction": "outbound", "date": "2026-11-20", "external_id": "b2"}
    async with Client(create_server(settings)) as client:
        holder = hold_write_lock(settings)
        try:
            result = await client.call_tool("log_activity", arguments)
        finally:
            holder.rollback()
            holder.close()
        message = tool_error_text(result)
        assert result.is_error
        assert "database" in message and "try again" in message, message
        assert message.strip() != "Error executing tool log_activity"
        again = await client.call_tool("log_activity", arguments)  # the lock is gone: it works now

    assert not again.is_error, tool_error_text(again)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id = 'b2'")).scalar_one() == 1


# -- readers during a bulk import ---------------------------------------------------------------------

CUSTOMERS = 12


def seed_portfolio(factory: Factory) -> None:
    for i in range(CUSTOMERS):
        factory.customer(f"c{i:02d}", f"Company {i:02d}")
        factory.activity(f"c{i:02d}", "2026-10-05T09:00:00", response_received=True)  # this quarter
        factory.activity(f"c{i:02d}", "2026-08-03T09:00:00", type="meeting", duration_minutes=30)  # previous


def import_file(tmp_path: Path, per_customer: int = 8) -> Path:
    """Per customer: recent outbound emails (changes volume, response and recency this quarter) and
    meetings in the previous period (changes the previous score, so the trend)."""
    lines = ["customer,type,direction,date,duration_minutes,participants,response_received,external_id"]
    for i in range(CUSTOMERS):
        for n in range(per_customer):
            if n % 2:
                lines.append(f"c{i:02d},email,outbound,2026-11-{10 + n % 12:02d},,a{n}@c{i}.test,false,imp-{i}-{n}")
            else:
                lines.append(f"c{i:02d},meeting,outbound,2026-07-{10 + n % 12:02d},60,b{n}@c{i}.test,,imp-{i}-{n}")
    path = tmp_path / "activities.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def portfolio_rows(core: Core) -> dict[str, dict[str, Any]]:
    answer = portfolio(core, local(core), PortfolioQuery(csm_id="all", limit=500))
    return {row.customer_id: row.model_dump() for row in answer.customers}


def assert_each_customer_whole(seen: dict[str, dict[str, Any]], old: dict[str, Any], new: dict[str, Any]) -> None:
    assert old != new and seen.keys() == old.keys() == new.keys()
    half = {cid: row for cid, row in seen.items() if row not in (old[cid], new[cid])}
    assert not half, f"customers seen half-imported: {half}, old {old[next(iter(half))]}, new {new[next(iter(half))]}"


def test_an_import_is_one_transaction_a_reader_before_its_commit_sees_the_old_portfolio(
    settings: Settings, engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    seed_portfolio(factory)
    reader_engine = make_engine(settings.resolved_database_url())
    reader = Core(reader_engine, settings, load_scoring_config())
    old = portfolio_rows(reader)
    seen_before_commit: list[dict[str, Any]] = []
    rows_before_commit: list[int] = []

    def read_before_commit(connection: Any) -> None:  # the importer's transaction is about to commit
        if not seen_before_commit:
            seen_before_commit.append(portfolio_rows(reader))
            with reader_engine.connect() as other:
                rows_before_commit.append(other.execute(text("SELECT count(*) FROM activity")).scalar_one())

    event.listen(engine, "commit", read_before_commit)
    try:
        report = import_csv(engine, "activities", import_file(tmp_path), as_of=AS_OF)
    finally:
        event.remove(engine, "commit", read_before_commit)
        new = portfolio_rows(reader)
        reader_engine.dispose()

    assert report.imported == CUSTOMERS * 8 and not report.rejected
    assert rows_before_commit == [CUSTOMERS * 2], "another connection saw imported rows before the commit"
    assert seen_before_commit == [old]
    assert new != old


def test_a_connection_reading_during_an_import_sees_the_version_trigger_and_every_index(
    settings: Settings, engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    # On SQLite the import drops the per-row version trigger and (when it at least doubles the table) the
    # secondary indexes inside its transaction: nobody else may see the store without them.
    seed_portfolio(factory)
    query = (
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'activity'" if engine.dialect.name == "sqlite"
        else "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'activity' AND schemaname = current_schema()"
        " UNION ALL SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'activity'::regclass"
    )
    other = make_engine(settings.resolved_database_url())

    def schema() -> list[tuple[Any, ...]]:
        with other.connect() as connection:
            return sorted(map(tuple, connection.exec_driver_sql(query)))

    def read_before_commit(connection: Any) -> None:  # the import's transaction is about to commit
        seen.append(schema())

    before, seen = schema(), []
    event.listen(engine, "commit", read_before_commit)
    try:
        report = import_csv(engine, "activities", import_file(tmp_path, per_customer=50), as_of=AS_OF)
    finally:
        event.remove(engine, "commit", read_before_commit)
        other.dispose()

    assert report.imported == CUSTOMERS * 50
    assert seen == [before] and any("trigger" in str(row).lower() for row in before)


def test_portfolio_reads_racing_a_bulk_import_see_each_customer_old_or_new(
    settings: Settings, engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    seed_portfolio(factory)
    core = Core(engine, settings, load_scoring_config())
    old = portfolio_rows(core)
    path = import_file(tmp_path, per_customer=200)
    done = threading.Event()
    failure: list[BaseException] = []

    def run_import() -> None:
        try:
            import_csv(engine, "activities", path, as_of=AS_OF)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            done.set()

    seen: list[dict[str, Any]] = []
    importer = threading.Thread(target=run_import)
    importer.start()
    while not done.is_set():
        seen.append(portfolio_rows(core))
    importer.join()
    new = portfolio_rows(core)

    assert not failure, failure
    assert seen, "no read overlapped the import"
    for snapshot in seen:
        assert_each_customer_whole(snapshot, old, new)


def test_an_import_committed_between_the_statements_of_one_portfolio_read_is_seen_whole_or_not_at_all(
    settings: Settings, engine: Engine, factory: Factory, tmp_path: Path
) -> None:
    seed_portfolio(factory)
    path = import_file(tmp_path)
    reader_engine = make_engine(settings.resolved_database_url())

    def read() -> dict[str, dict[str, Any]]:  # a new core each time: a cold score cache, so a full read
        return portfolio_rows(Core(reader_engine, settings, load_scoring_config()))

    old = read()
    import_csv(engine, "activities", path, as_of=AS_OF)
    new = read()
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(reader_engine, "before_cursor_execute", count)
    read()
    event.remove(reader_engine, "before_cursor_execute", count)
    half_seen: list[int] = []
    try:
        for moment in range(1, statements):  # commit the import just before each statement of the read
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM activity WHERE external_id LIKE 'imp-%'"))
            executed = 0

            def commit_import_now(*_: Any) -> None:
                nonlocal executed
                executed += 1
                if executed == moment + 1:
                    import_csv(engine, "activities", path, as_of=AS_OF)

            event.listen(reader_engine, "before_cursor_execute", commit_import_now)
            try:
                seen = read()
            finally:
                event.remove(reader_engine, "before_cursor_execute", commit_import_now)
            if any(row not in (old[cid], new[cid]) for cid, row in seen.items()):
                half_seen.append(moment)
    finally:
        reader_engine.dispose()

    assert statements > 1
    assert half_seen == [], f"an import committed before statement(s) {half_seen} of {statements} was seen in part"
