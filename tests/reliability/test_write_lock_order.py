"""PostgreSQL: a long write and a concurrent log of the same activity queue instead of deadlocking."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engagement.db import session_scope
from engagement.models import ActivityCreate
from engagement.core import Core
from engagement.writer import NewActivity, write_activities
from tests.conftest import AS_OF
from tests.factories import Factory, local
from engagement.activities import log_activity
from engagement.queries import LogActivityQuery


def fields(external_id: str) -> dict[str, Any]:
    return {
        "type": "call", "direction": "outbound", "date": dt.datetime(2026, 11, 20, 10), "duration_minutes": None,
        "participants": [], "stakeholder_level": None, "response_received": None, "response_time_hours": None,
        "subject": None, "source": "agent", "external_id": external_id,
    }


def wait_until_a_backend_waits_on_a_lock(engine: Engine, deadline: float) -> None:
    with engine.connect() as connection:
        while not connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
        ).scalar():
            assert time.monotonic() < deadline, "the concurrent log never reached the database"
            time.sleep(0.02)


def test_a_long_write_and_a_log_of_the_same_activity_do_not_deadlock(
    engine: Engine, core: Core, factory: Factory
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: no lock order to get wrong")
    factory.customer("acme", "Acme Corp")
    outcome: dict[str, Any] = {}

    def log_it() -> None:
        try:
            call = {**fields("k"), "date": "2026-11-20T10:00:00"}
            outcome["logged"] = log_activity(core, local(core), LogActivityQuery(customer="acme", **call))
        except Exception as exc:  # the failure under test: a deadlock reported to this caller
            outcome["error"] = exc

    with session_scope(engine) as session:  # an import or a sync: several statements, one transaction
        write_activities(session, [NewActivity("acme", ActivityCreate.checked(fields("first"), as_of=AS_OF))])
        writer = threading.Thread(target=log_it)
        writer.start()
        wait_until_a_backend_waits_on_a_lock(engine, time.monotonic() + 30)
        write_activities(session, [NewActivity("acme", ActivityCreate.checked(fields("k"), as_of=AS_OF))])
    writer.join(timeout=60)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["logged"].created is False  # the long write stored it first; the log found it
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM activity WHERE external_id = 'k'")).scalar() == 1
