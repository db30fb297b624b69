"""Logging many touchpoints at once: one write transaction, all or nothing, each row answered as
log_activity answers it, and the cached scores patched exactly."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from engagement import snapshots
from engagement.caller import Caller
from engagement.errors import EngagementError, NotFoundError
from engagement.core import Core
from engagement.settings import Settings
from tests.conftest import AS_OF
from tests.engagement.test_cache import fresh, scores, version
from tests.factories import Factory, local
from engagement.activities import log_activities, log_activity
from engagement.customer import customer
from engagement.queries import CustomerQuery, LogActivityQuery


def call(when: str = "2026-11-20", **fields: Any) -> dict[str, Any]:
    return {"type": "call", "direction": "outbound", "date": when, "duration_minutes": 30, **fields}


def touchpoints(rows: list[tuple[str, dict[str, Any]]]) -> list[LogActivityQuery]:
    """log_activity's queries for (customer, fields) rows."""
    return [LogActivityQuery(customer=customer, **fields) for customer, fields in rows]


def stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM activity")).scalar_one()


@pytest.fixture
def book(factory: Factory) -> None:
    factory.csm("ana", "Ana Ruiz")
    factory.csm("bo", "Bo Birch")
    factory.customer("acme", "Acme Corp", csm_id="ana")
    factory.spec_example_one("acme")
    factory.customer("globex", "Globex", csm_id="ana")
    factory.customer("initech", "Initech", csm_id="bo")


@pytest.mark.usefixtures("book")
def test_each_row_is_answered_with_its_customers_score_after_the_whole_write(
    core: Core, engine: Engine, settings: Settings
) -> None:
    scores(core)
    scores(core, "last_quarter")  # a second cached period: patched as well
    rows = [("acme", call(external_id="a-1")), ("Globex", call("2026-11-21")), ("acme", call("2026-09-30", external_id="a-2"))]

    logged = log_activities(core, local(core), touchpoints(rows))

    assert [(row.activity.customer_id, row.created) for row in logged] == [("acme", True), ("globex", True), ("acme", True)]
    assert [row.activity.external_id for row in logged] == ["a-1", None, "a-2"]
    whole = fresh(engine, settings)
    for row in logged:
        assert row.score == customer(whole, local(whole), CustomerQuery(customer=row.activity.customer_id)).score
    assert logged[0].score == logged[2].score  # both acme rows: the score after both
    # The cache was patched in place (not dropped) and equals a full recompute, for every cached period.
    assert {p.label for p in core.scorer.cache.tables_at(version(engine))} == {"this_quarter", "last_quarter"}
    assert scores(core) == scores(whole) and scores(core, "last_quarter") == scores(whole, "last_quarter")


@pytest.mark.usefixtures("book")
def test_a_key_sent_twice_or_stored_before_is_stored_once(core: Core, engine: Engine) -> None:
    first = log_activity(core, local(core), LogActivityQuery(customer="acme", **call(external_id="crm-1")))
    before = stored(engine)

    rows = [("acme", call(external_id="crm-1")), ("globex", call(external_id="crm-2")), ("globex", call(external_id="crm-2"))]
    logged = log_activities(core, local(core), touchpoints(rows))

    assert [row.created for row in logged] == [False, True, False]
    assert logged[0].activity == first.activity and logged[1].activity == logged[2].activity
    assert stored(engine) == before + 1


@pytest.mark.usefixtures("book")
def test_a_bad_row_stores_nothing_of_the_request_and_says_which_row(core: Core, engine: Engine) -> None:
    before = stored(engine)
    rows = [("acme", call()), ("globex", call("2026-11-25")), ("acme", call())]  # the second is after the as-of day

    with pytest.raises(EngagementError, match=r"^activity 2: date 2026-11-25T00:00:00 lies after the as-of date") as refused:
        log_activities(core, local(core), touchpoints(rows))

    assert not isinstance(refused.value, NotFoundError)
    assert stored(engine) == before


@pytest.mark.usefixtures("book")
def test_a_row_for_a_customer_outside_the_callers_scope_stores_nothing(core: Core, engine: Engine) -> None:
    ana = Caller(AS_OF, user="ana", visible_csms=frozenset({"ana"}))
    before = stored(engine)

    with pytest.raises(NotFoundError, match=r"^activity 3: No customer 'initech'"):
        log_activities(core, ana, touchpoints([("acme", call()), ("globex", call()), ("initech", call())]))

    assert stored(engine) == before
    assert log_activities(core, ana, touchpoints([("acme", call()), ("globex", call())]))[1].created  # its own: stored


@pytest.mark.usefixtures("book")
def test_a_failure_after_the_rows_were_written_keeps_none_of_them(
    core: Core, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(engine)

    def fails(*args: Any, **kwargs: Any) -> None:
        assert stored_in_transaction(args[0]) == before + 2  # both rows were written in this transaction
        raise RuntimeError("the database went away")

    def stored_in_transaction(session: Any) -> int:
        return session.connection().execute(text("SELECT count(*) FROM activity")).scalar_one()

    monkeypatch.setattr(core.scorer, "rescore_written", fails)

    with pytest.raises(RuntimeError):
        log_activities(core, local(core), touchpoints([("acme", call()), ("globex", call())]))

    assert stored(engine) == before


@pytest.mark.usefixtures("book")
def test_one_row_is_refused_in_log_activitys_own_words(core: Core) -> None:
    with pytest.raises(NotFoundError, match=r"^No customer 'nobody'"):
        log_activity(core, local(core), LogActivityQuery(customer="nobody", **call()))
    with pytest.raises(EngagementError, match=r"^No activities to log"):
        log_activities(core, local(core), touchpoints([]))


def test_a_batch_costs_the_same_statements_whatever_its_size(
    core: Core, factory: Factory, engine: Engine, settings: Settings
) -> None:
    # A batch (a REST request, a Gmail page) rescores all its customers in one pass per cached period,
    # instead of one pass per customer: its statements do not grow with its rows or customers.
    for n in range(40):
        factory.customer(f"k{n:02d}", f"Customer {n:02d}")
    scores(core)
    scores(core, "last_quarter")
    snapshots.wait_saved()  # their snapshots' writes are not the batch's

    def statements(count: int, first: int) -> int:
        seen: list[str] = []
        listen = lambda *args: seen.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            rows = [(f"k{n:02d}", call("2026-09-20", external_id=f"x{first + n}")) for n in range(count)]
            logged = log_activities(core, local(core), touchpoints(rows))
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert [row.created for row in logged] == [True] * count
        return len(seen)

    assert statements(4, 0) == statements(40, 100)
    whole = fresh(engine, settings)
    assert scores(core) == scores(whole) and scores(core, "last_quarter") == scores(whole, "last_quarter")
