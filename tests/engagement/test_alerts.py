"""The daily check (TC-157.2): history from the one scorer, the four alert rules, idempotence, scope, digests.

Scores are planted with bursts of touchpoints that enter and leave the check's 90-day window, so each
day's score is known by hand (SPEC.md's formula): ten answered emails are 27.5 points, five one-hour
meetings with four people 47.5, and recency adds 10 - 0.3 a day since the last contact.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from engagement.alerts.questions import acknowledge, list_alerts, score_history
from engagement.alerts.check import run_check
from engagement.caller import Caller
from engagement.errors import EngagementError, NotFoundError
from engagement.models import Alert, AlertOutbox, ScoreHistory
from engagement.core import Core
from tests.factories import Factory
from engagement.customer import customer
from engagement.portfolio import portfolio
from engagement.query import parse
from engagement.queries import AcknowledgeQuery, AlertsQuery, CustomerQuery, PortfolioQuery, ScoreHistoryQuery

WEEK_BEFORE = dt.date(2026, 11, 13)
DAY = dt.date(2026, 11, 20)  # 90 days after 2026-08-22: a burst on that day has just left the window
GONE = "2026-08-22"


def everyone(day: dt.date) -> Caller:
    return Caller(as_of=day)


def emails(factory: Factory, customer_id: str, day: str) -> None:
    """Ten answered outbound emails: 27.5 points (email 50 x .15, response 100 x .20)."""
    factory.activities(customer_id, 10, f"{day}T09:00:00", response_received=True, response_time_hours=2.0)


def meetings(factory: Factory, customer_id: str, day: str) -> None:
    """Five one-hour meetings with four people: 47.5 points (meetings 25, quality 7.5, breadth 15)."""
    people = ["a@x.test", "b@x.test", "c@x.test", "d@x.test"]
    for n in range(5):
        factory.activity(customer_id, f"{day}T1{n}:00:00", type="meeting", duration_minutes=60, participants=[people[n % 4]])


def active(engine: Engine, customer_id: str) -> dict[str, Alert]:
    with Session(engine) as session:
        rows = session.exec(select(Alert).where(Alert.customer_id == customer_id, col(Alert.status) != "resolved")).all()
    return {row.kind: row for row in rows}


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_score_falling_below_40_is_flagged_at_risk_and_resolved_when_it_recovers(
    core: Core, factory: Factory, engine: Engine
) -> None:
    factory.csm()
    customer = factory.customer("falling", segment="SMB", csm_id="csm-1")
    emails(factory, customer.id, GONE)
    meetings(factory, customer.id, GONE)

    run_check(core, everyone(WEEK_BEFORE))  # 75.0: the burst is in the window, 83 days ago (no recency)
    assert "at_risk" not in active(engine, customer.id)

    report = run_check(core, everyone(DAY))  # the burst left the window: 0.0

    alert = active(engine, customer.id)["at_risk"]
    assert (alert.number, alert.status, alert.day) == (0.0, "open", DAY)
    assert alert.details == f"Score 0.0 fell below 40 (recorded 75.0 on {WEEK_BEFORE})."
    assert report.raised["at_risk"] == 1

    emails(factory, customer.id, "2026-11-21")
    meetings(factory, customer.id, "2026-11-21")
    report = run_check(core, everyone(DAY + dt.timedelta(days=1)))  # 85.0

    assert "at_risk" not in active(engine, customer.id)
    assert report.resolved["at_risk"] == 1
    with Session(engine) as session:
        resolved = session.get(Alert, alert.id)
    assert resolved is not None and resolved.status == "resolved" and resolved.resolved_at is not None


def test_the_history_holds_the_scores_get_portfolio_engagement_shows_and_is_never_rewritten(
    core: Core, factory: Factory, engine: Engine
) -> None:
    steady = factory.customer("steady", segment="SMB")
    emails(factory, steady.id, "2026-11-18")
    run_check(core, everyone(DAY))
    shown = portfolio(core, everyone(DAY), PortfolioQuery(period="last_90_days")).customers[0]
    components = customer(core, everyone(DAY), CustomerQuery(customer="steady", period="last_90_days")).score.components

    meetings(factory, steady.id, "2026-11-19")  # the score moves, the day's record does not
    run_check(core, everyone(DAY))

    history = score_history(core, everyone(DAY), ScoreHistoryQuery(customer="steady", days=7))
    [point] = history.points
    assert (point.day, point.engagement_score, point.category) == (DAY, shown.engagement_score, shown.category)
    assert point.components == components
    assert shown.engagement_score == 27.5 + 9.4  # two days since the emails


def test_a_second_run_the_same_day_records_and_raises_nothing_new(
    core: Core, factory: Factory, engine: Engine
) -> None:
    factory.csm()
    for n in range(3):
        factory.customer(f"quiet-{n}", segment="Enterprise", csm_id="csm-1")  # never contacted, no executive
    first = run_check(core, everyone(DAY))
    tables = (count(engine, ScoreHistory), count(engine, Alert), count(engine, AlertOutbox))

    second = run_check(core, everyone(DAY))

    assert (first.recorded, sum(first.raised.values()), first.digests_queued) == (3, 6, 1)
    assert (second.recorded, sum(second.raised.values()), sum(second.resolved.values()), second.digests_queued) == (0, 0, 0, 0)
    assert (count(engine, ScoreHistory), count(engine, Alert), count(engine, AlertOutbox)) == tables
    assert second.open_alerts == 6


def test_two_checks_at_once_record_and_raise_each_thing_once(
    core: Core, factory: Factory, engine: Engine
) -> None:
    factory.csm()
    for n in range(20):
        factory.customer(f"quiet-{n}", segment="Enterprise", csm_id="csm-1")
    start = threading.Barrier(2)
    reports: list[Any] = []

    def check() -> None:
        start.wait()
        reports.append(run_check(core, everyone(DAY)))

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(reports) == 2
    assert sorted(r.recorded for r in reports) == [0, 20]
    assert sum(sum(r.raised.values()) for r in reports) == 40
    assert (count(engine, ScoreHistory), count(engine, Alert), count(engine, AlertOutbox)) == (20, 40, 1)


def test_a_drop_of_15_points_against_the_score_of_7_days_before_is_alerted(
    core: Core, factory: Factory, engine: Engine
) -> None:
    dropping = factory.customer("dropping", segment="SMB")
    emails(factory, dropping.id, GONE)  # leaves the window on DAY: -27.5
    meetings(factory, dropping.id, "2026-11-12")
    slipping = factory.customer("slipping", segment="SMB")
    meetings(factory, slipping.id, "2026-11-12")  # recency only: -2.1 in 7 days
    run_check(core, everyone(WEEK_BEFORE))  # dropping 84.7, slipping 57.2

    run_check(core, everyone(DAY))  # dropping 55.1, slipping 55.1

    alerts = active(engine, dropping.id)
    assert set(alerts) == {"score_drop"}  # still 40 or more: not at risk
    assert alerts["score_drop"].number == 29.6
    assert alerts["score_drop"].details == "Score fell 29.6 points in 7 days: 84.7 on 2026-11-13, 55.1 now."
    assert "score_drop" not in active(engine, slipping.id)

    run_check(core, everyone(DAY + dt.timedelta(days=1)))  # nothing recorded 7 days before: the drop clears
    assert "score_drop" not in active(engine, dropping.id)


@pytest.mark.parametrize(
    ("segment", "silent_days", "alerted"),
    [("Enterprise", 14, False), ("Enterprise", 15, True), ("Mid-Market", 21, False), ("Mid-Market", 22, True),
     ("SMB", 30, False), ("SMB", 31, True), ("SMB", None, True)],
)  # fmt: skip
def test_no_contact_for_longer_than_the_segment_allows_is_alerted(
    core: Core, factory: Factory, engine: Engine, segment: str, silent_days: int | None, alerted: bool
) -> None:
    customer = factory.customer("silent", segment=segment)
    if silent_days is not None:
        factory.activity(customer.id, dt.datetime.combine(DAY - dt.timedelta(days=silent_days), dt.time(12)), stakeholder_level="executive")

    run_check(core, everyone(DAY))

    alert = active(engine, customer.id).get("no_contact")
    assert (alert is not None) is alerted
    if alert is not None and silent_days is None:
        assert (alert.number, alert.details) == (None, "Never contacted; SMB accounts allow 30.")
    elif alert is not None:
        assert alert.number == silent_days


def test_an_enterprise_account_without_an_executive_touchpoint_this_quarter_is_alerted_until_it_has_one(
    core: Core, factory: Factory, engine: Engine
) -> None:
    lacking = factory.customer("lacking", segment="Enterprise")
    factory.activity(lacking.id, "2026-09-30T12:00:00", stakeholder_level="executive")  # last quarter's
    factory.activity(lacking.id, "2026-11-19T12:00:00", stakeholder_level="champion")
    covered = factory.customer("covered", segment="Enterprise")
    factory.activity(covered.id, "2026-10-02T12:00:00", stakeholder_level="executive")
    smaller = factory.customer("smaller", segment="Mid-Market")
    factory.activity(smaller.id, "2026-11-19T12:00:00")

    run_check(core, everyone(DAY))

    assert active(engine, lacking.id)["no_executive_touchpoint"].details == (
        "No executive touchpoint this quarter (2026-10-01 to 2026-11-20)."
    )
    assert "no_executive_touchpoint" not in active(engine, covered.id)
    assert "no_executive_touchpoint" not in active(engine, smaller.id)

    factory.activity(lacking.id, "2026-11-21T12:00:00", stakeholder_level="executive")
    run_check(core, everyone(DAY + dt.timedelta(days=1)))
    assert "no_executive_touchpoint" not in active(engine, lacking.id)


def test_a_quarter_starts_with_30_days_of_grace_for_the_executive_touchpoint(
    core: Core, factory: Factory, engine: Engine
) -> None:
    lacking = factory.customer("lacking", segment="Enterprise")
    factory.activity(lacking.id, "2026-08-03T12:00:00", stakeholder_level="champion")

    run_check(core, everyone(dt.date(2026, 9, 30)))  # Q3's last day: no executive all quarter
    assert "no_executive_touchpoint" in active(engine, lacking.id)
    run_check(core, everyone(dt.date(2026, 10, 1)))  # Q4's first day: nothing to act on yet
    assert "no_executive_touchpoint" not in active(engine, lacking.id)
    run_check(core, everyone(dt.date(2026, 10, 30)))  # day 30
    assert "no_executive_touchpoint" not in active(engine, lacking.id)
    run_check(core, everyone(dt.date(2026, 10, 31)))  # day 31: two months left to arrange one
    assert active(engine, lacking.id)["no_executive_touchpoint"].details == (
        "No executive touchpoint this quarter (2026-10-01 to 2026-10-31)."
    )


def test_churned_customers_raise_nothing_and_their_alerts_resolve(
    core: Core, factory: Factory, engine: Engine
) -> None:
    gone = factory.customer("gone", segment="Enterprise")
    run_check(core, everyone(DAY))
    assert set(active(engine, gone.id)) == {"no_contact", "no_executive_touchpoint"}
    with Session(engine) as session:
        row = session.get(type(gone), gone.id)
        assert row is not None
        row.status = "churned"
        session.add(row)
        session.commit()

    run_check(core, everyone(DAY + dt.timedelta(days=1)))

    assert active(engine, gone.id) == {}


def test_each_csm_gets_one_digest_of_their_own_new_alerts(core: Core, factory: Factory, engine: Engine) -> None:
    factory.csm("ana", "Ana")
    factory.csm("ben", "Ben")
    factory.customer("ana-1", "Ana's First", segment="SMB", csm_id="ana")
    factory.customer("ana-2", "Ana's Second", segment="SMB", csm_id="ana")
    factory.customer("ben-1", "Ben's Only", segment="SMB", csm_id="ben")

    report = run_check(core, everyone(DAY))

    with Session(engine) as session:
        digests = {row.csm_id: row.digest for row in session.exec(select(AlertOutbox)).all()}
    assert report.digests_queued == 2 and set(digests) == {"ana", "ben"}
    assert digests["ana"]["text"].splitlines()[0] == f"*Engagement check {DAY}: 2 new alerts for Ana*"
    assert "Ana's First" in digests["ana"]["text"] and "Ben's Only" not in digests["ana"]["text"]
    assert len(digests["ben"]["alert_ids"]) == 1


def test_a_csm_lists_and_acknowledges_only_their_own_customers_alerts(
    core: Core, factory: Factory, engine: Engine
) -> None:
    factory.csm("ana", "Ana")
    factory.csm("ben", "Ben")
    factory.customer("ana-1", segment="SMB", csm_id="ana")
    factory.customer("ben-1", segment="SMB", csm_id="ben")
    run_check(core, everyone(DAY))
    ana = Caller(as_of=DAY, user="ana", visible_csms=frozenset({"ana"}), label="user-1")

    listed = list_alerts(core, ana, AlertsQuery())
    [theirs] = active(engine, "ben-1").values()

    assert [a.customer_id for a in listed.alerts] == ["ana-1"] and listed.page.total == 1
    with pytest.raises(NotFoundError, match=f"No alert {theirs.id} among the alerts you may see"):
        acknowledge(core, ana, AcknowledgeQuery(alert_id=theirs.id))
    with pytest.raises(NotFoundError):
        acknowledge(core, ana, AcknowledgeQuery(alert_id=9999))
    for outside in (0, 2**31, 2**63):  # no id: refused by the query, never a database error
        with pytest.raises(EngagementError, match=r"alert_id: Input should be (greater|less) than or equal to (1|2147483647)\."):
            parse(AcknowledgeQuery, {"alert_id": outside})
    acknowledged = acknowledge(core, ana, AcknowledgeQuery(alert_id=listed.alerts[0].alert_id))
    assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "ana")
    assert active(engine, "ben-1")[theirs.kind].status == "open"
    with pytest.raises(EngagementError, match="only an admin may run it"):
        run_check(core, ana)


def test_an_acknowledged_alert_stays_one_alert_and_resolves_like_an_open_one(
    core: Core, factory: Factory, engine: Engine
) -> None:
    customer = factory.customer("quiet", segment="SMB")
    run_check(core, everyone(DAY))
    [alert] = active(engine, customer.id).values()
    acknowledge(core, everyone(DAY), AcknowledgeQuery(alert_id=alert.id))
    run_check(core, everyone(DAY + dt.timedelta(days=1)))
    assert [a.id for a in active(engine, customer.id).values()] == [alert.id]

    factory.activity(customer.id, "2026-11-22T10:00:00")
    run_check(core, everyone(DAY + dt.timedelta(days=2)))

    assert active(engine, customer.id) == {}
    with pytest.raises(EngagementError, match=f"Alert {alert.id} was resolved at .* only open alerts can be acknowledged"):
        acknowledge(core, everyone(DAY), AcknowledgeQuery(alert_id=alert.id))
    assert list_alerts(core, everyone(DAY), AlertsQuery(status="resolved")).counts["no_contact"] == 1


def test_bad_arguments_say_what_is_accepted(core: Core, factory: Factory) -> None:
    factory.customer("someone", segment="SMB")
    with pytest.raises(EngagementError, match="status: Input should be 'open', 'acknowledged' or 'resolved'"):
        parse(AlertsQuery, {"status": "closed"})
    with pytest.raises(EngagementError, match="days: Input should be less than or equal to 90"):
        parse(ScoreHistoryQuery, {"customer": "someone", "days": 400})


def test_a_weights_file_sets_the_contact_limits(engine: Engine, settings: Any, factory: Factory, tmp_path: Any) -> None:
    from engagement.errors import ConfigError
    from engagement.scoring import load_scoring_config

    path = tmp_path / "weights.toml"
    path.write_text("[contact_limit_days]\nSMB = 7\n")
    strict = Core(engine, settings, load_scoring_config(path))
    customer = factory.customer("week", segment="SMB")
    factory.activity(customer.id, "2026-11-12T12:00:00")

    run_check(strict, everyone(DAY))

    assert active(engine, customer.id)["no_contact"].details == "No contact for 8 days; SMB accounts allow 7."
    path.write_text("[contact_limit_days]\nSMB = 0\n")
    with pytest.raises(ConfigError, match="contact_limit_days.SMB"):
        load_scoring_config(path)
