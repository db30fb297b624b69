"""The analysis tools through the MCP client, on planted portfolios whose answers are worked out here
by hand or with numpy, on every backend."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pytest
from mcp import Client
from scipy import stats
from sqlalchemy.engine import Engine

from engagement.db import session_scope
from engagement.models import Activity, Csm, Customer
from engagement.scoring import round1
from tests.factories import Factory
from tests.tools.conftest import call, call_error

pytestmark = pytest.mark.anyio
QUARTER_END = dt.date(2026, 11, 24)  # this_quarter, as of AS_OF: 2026-10-01 .. 2026-11-24 (55 days)


def save(engine: Engine, *rows: Any) -> None:
    with session_scope(engine) as session:
        session.add_all(rows)


def emails(customer_id: str, count: int, when: dt.datetime, **fields: Any) -> list[Activity]:
    return [Activity(customer_id=customer_id, type="email", direction="outbound", date=when, **fields) for _ in range(count)]


def email_score(count: int, days_ago: int) -> float:
    """SPEC.md's score of an account whose only touchpoints are `count` outbound emails of unknown outcome."""
    return 0.15 * min(100, count * 5) + 0.10 * max(0, 100 - 3 * days_ago)


def fisher(r: float, n: int) -> tuple[float, float]:
    z, half = math.atanh(r), 1.959964 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)


# -- correlation --------------------------------------------------------------------------------------
async def test_health_correlation_finds_the_planted_relation_with_its_size_and_interval(
    client: Client, factory: Factory, engine: Engine
) -> None:
    rng = np.random.default_rng(5)
    counts = [1 + (i * 7) % 20 for i in range(30)]
    health = [round(30 + 2.5 * c + float(rng.normal(0, 8)), 1) for c in counts]
    rows: list[Any] = []
    for i, (count, h) in enumerate(zip(counts, health)):
        save(engine, Customer(id=f"h{i:02d}", name=f"Health {i:02d}", segment="Mid-Market", health_score=h))
        rows += emails(f"h{i:02d}", count, dt.datetime(2026, 11, 14, 9))
    factory.customer("nohealth", "No Health Score")  # unknown health: left out
    save(engine, *rows)
    scores = np.array([round1(email_score(c, 10)) for c in counts])

    answer = await call(client, "get_engagement_correlation", outcome="health")

    pearson = float(np.corrcoef(scores, health)[0, 1])
    assert answer["enough_data"] and answer["accounts"] == 30
    by_method = {c["method"]: c for c in answer["correlations"]}
    assert by_method["pearson"]["r"] == pytest.approx(pearson, abs=5e-4) and pearson > 0.8
    assert by_method["pearson"]["n"] == 30
    low, high = fisher(pearson, 30)
    assert (by_method["pearson"]["ci_low"], by_method["pearson"]["ci_high"]) == pytest.approx((low, high), abs=1e-3)
    assert by_method["pearson"]["p_value"] == pytest.approx(stats.pearsonr(scores, health).pvalue, rel=1e-2)
    spearman = np.corrcoef(*_average_ranks(scores, np.array(health)))[0, 1]
    assert by_method["spearman"]["r"] == pytest.approx(spearman, abs=5e-4)
    assert by_method["spearman"]["p_value"] == pytest.approx(stats.spearmanr(scores, health).pvalue, rel=1e-2)
    components = {c["component"]: c["r"] for c in answer["components"]}
    assert answer["components"][0]["component"] == "email_volume"
    assert components["email_volume"] == pytest.approx(np.corrcoef(np.minimum(100, np.array(counts) * 5), health)[0, 1], abs=5e-4)
    assert components["meeting_frequency"] is None  # nobody met: it does not vary
    assert "strong positive" in answer["reading"] and "n = 30" in answer["reading"]


def _average_ranks(*columns: np.ndarray) -> list[np.ndarray]:
    """Ranks with ties averaged, worked out the plain way."""
    ranked = []
    for values in columns:
        ranked.append(np.array([np.mean([j + 1 for j, w in enumerate(sorted(values)) if w == v]) for v in values]))
    return ranked


def plant_renewals(engine: Engine, count: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """`count` accounts past renewal, renewing in 2026-Q2 or Q3 and scored on the quarter before; more emails
    go with renewal (with exceptions). Plus accounts the answer must leave out. Returns (scores, renewed)."""
    customers, rows, scores, renewed = [], [], [], []
    for i in range(count):
        q3 = i % 2 == 0
        renewal = dt.date(2026, 8, 10) if q3 else dt.date(2026, 5, 12)
        last_day = dt.date(2026, 6, 30) if q3 else dt.date(2026, 3, 31)
        sent = dt.datetime.combine(last_day - dt.timedelta(days=6), dt.time(10))
        sent_count = 2 + i % 12
        won = sent_count >= 6 if i not in (3, 8) else sent_count < 6  # two accounts go against the grain
        customers.append(Customer(id=f"r{i:02d}", name=f"Renewal {i:02d}", segment="Enterprise", renewal_date=renewal,
                                  status="renewed" if won else "churned"))
        rows += emails(f"r{i:02d}", sent_count, sent)
        rows += emails(f"r{i:02d}", 3, dt.datetime.combine(renewal, dt.time(9)))  # in the renewal quarter: not scored
        scores.append(round1(email_score(sent_count, 6)))
        renewed.append(won)
    customers += [
        Customer(id="future", name="Renews Later", segment="Enterprise", renewal_date=dt.date(2027, 3, 1), status="active"),
        Customer(id="unknown", name="Past But Active", segment="Enterprise", renewal_date=dt.date(2026, 9, 1), status="active"),
        Customer(id="old", name="Renewed Long Ago", segment="Enterprise", renewal_date=dt.date(2025, 6, 1), status="renewed"),
    ]
    save(engine, *customers)
    save(engine, *rows)
    return np.array(scores), np.array(renewed, dtype=float)


async def test_renewal_correlation_scores_each_account_on_the_quarter_before_its_renewal(client: Client, engine: Engine) -> None:
    scores, renewed = plant_renewals(engine)

    answer = await call(client, "get_engagement_correlation", outcome="renewal")

    expected = float(np.corrcoef(scores, renewed)[0, 1])
    (found,) = answer["correlations"]
    assert found["method"] == "point_biserial" and found["n"] == 24 == answer["accounts"]
    assert found["r"] == pytest.approx(expected, abs=5e-4) and expected > 0.5
    assert (found["ci_low"], found["ci_high"]) == pytest.approx(fisher(expected, 24), abs=1e-3)
    cohorts = {c["renewal_quarter"]: c for c in answer["cohorts"]}
    assert {q: c["scored_on"] for q, c in cohorts.items()} == {"2026-Q2": "2026-Q1", "2026-Q3": "2026-Q2"}
    assert sum(c["renewed"] for c in cohorts.values()) == int(renewed.sum())
    assert answer["left_out"] is not None and answer["left_out"].startswith("1 account past")
    assert answer["reading"].startswith("Accounts that renewed were more engaged")


async def test_churn_correlation_is_the_same_size_with_the_opposite_sign(client: Client, engine: Engine) -> None:
    scores, renewed = plant_renewals(engine)

    answer = await call(client, "get_engagement_correlation", outcome="churn")

    (found,) = answer["correlations"]
    assert found["r"] == pytest.approx(float(np.corrcoef(scores, 1 - renewed)[0, 1]), abs=5e-4) and found["r"] < -0.5
    assert answer["reading"].startswith("Accounts that churned were less engaged")


async def test_fewer_than_ten_accounts_is_not_enough_data_not_a_number(client: Client, engine: Engine) -> None:
    plant_renewals(engine, count=9)

    answer = await call(client, "get_engagement_correlation", outcome="renewal")

    assert answer["enough_data"] is False and answer["correlations"] == [] and answer["components"] == []
    assert answer["accounts"] == 9 and answer["reading"].startswith("Not enough data: 9 accounts")
    health = await call(client, "get_engagement_correlation", outcome="health")
    assert health["enough_data"] is False and health["reading"].startswith("Not enough data: 0 accounts")


async def test_a_bad_outcome_is_refused_naming_the_accepted_ones(client: Client) -> None:
    message = await call_error(client, "get_engagement_correlation", outcome="revenue")

    assert "outcome\n  Input should be 'health', 'renewal' or 'churn'" in message


# -- outliers -----------------------------------------------------------------------------------------
async def test_planted_outliers_are_found_within_their_segment_and_a_normal_account_is_not(
    client: Client, factory: Factory, engine: Engine
) -> None:
    rows: list[Any] = []
    counts = {f"e{i:02d}": 8 + i % 4 for i in range(12)}  # Enterprise accounts alike: 8-11 emails
    for cid, count in counts.items():
        factory.customer(cid, f"Ent {cid}", segment="Enterprise")
        rows += emails(cid, count, dt.datetime(2026, 11, 20, 9))
    factory.customer("silent", "Silent Corp", segment="Enterprise")  # nothing: score 0
    factory.customer("star", "Star Corp", segment="Enterprise")
    rows += emails("star", 20, dt.datetime(2026, 11, 24, 9), response_received=True)
    rows += [Activity(customer_id="star", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 2 + i, 9),
                      duration_minutes=90, participants=[f"p{i}@star.test"]) for i in range(6)]
    for i in range(10):  # SMB: a little effort each; one account far above the benchmark for little score
        factory.customer(f"s{i:02d}", f"Small {i:02d}", segment="SMB")
        rows += emails(f"s{i:02d}", 2 + i, dt.datetime(2026, 11, 20, 9))
        rows.append(Activity(customer_id=f"s{i:02d}", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 18, 9),
                             duration_minutes=30, participants=["a@small.test"]))
    factory.customer("busy", "Busy Small", segment="SMB")
    rows += emails("busy", 40, dt.datetime(2026, 11, 20, 9), response_received=False)
    save(engine, *rows)

    answer = await call(client, "find_engagement_outliers")

    found = {o["customer_id"]: o for o in answer["outliers"]}
    # Star by SPEC.md: email 100, response 100, meetings 100, quality 6 * 90 min = 90, breadth 6 people 100,
    # contact today 100: 15 + 20 + 25 + 13.5 + 15 + 10 = 98.5.
    star = 98.5
    assert found["star"]["engagement_score"] == star
    enterprise = np.array([round1(email_score(c, 4)) for c in counts.values()] + [0.0, star])
    median = float(np.median(enterprise))
    scale = float(np.median(np.abs(enterprise - median))) * 1.4826
    assert found["silent"]["kind"] == "unusually_low"
    assert found["silent"]["robust_z"] == pytest.approx((0 - median) / scale, abs=0.01) and found["silent"]["robust_z"] <= -2.5
    assert found["star"]["kind"] == "unusually_high" and found["star"]["robust_z"] >= 2.5
    assert found["busy"]["kind"] == "effort_without_score"
    assert "22.1 emails a month" in found["busy"]["reason"]  # 40 emails in 55 days, 3.7x the SMB top of 6
    assert not {"e00", "e05", "s03"} & found.keys()
    assert [o["customer_id"] for o in answer["outliers"]] == ["silent", "star", "busy"]
    baseline = {b["segment"]: b for b in answer["baselines"]}["Enterprise"]
    assert baseline["accounts"] == 14 and baseline["median_score"] == round1(median)

    mine = await call(client, "find_engagement_outliers", segment="SMB")
    assert [o["customer_id"] for o in mine["outliers"]] == ["busy"]


# -- compare_segments and compare_csms -----------------------------------------------------------------
async def test_segments_compare_score_distribution_and_meetings_with_the_benchmark(client: Client, factory: Factory, engine: Engine) -> None:
    rows: list[Any] = []
    meetings = [0, 1, 2, 3, 5]  # Enterprise: 6-8 meetings a quarter expected
    for i, count in enumerate(meetings):
        factory.customer(f"m{i}", f"Meets {i}", segment="Enterprise")
        rows += [Activity(customer_id=f"m{i}", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 10, 9),
                          duration_minutes=60) for _ in range(count)]
    save(engine, *rows)

    answer = await call(client, "compare_segments")

    enterprise = {s["segment"]: s for s in answer["segments"]}["Enterprise"]
    scores = [0.0] + [round(0.25 * 20 * m + 0.15 * min(100, m * 10) + 0.10 * (100 - 3 * 14), 1) for m in meetings[1:]]
    assert enterprise["accounts"] == 5
    assert enterprise["score"]["median"] == pytest.approx(float(np.median(scores)), abs=0.05)
    assert enterprise["score"]["q1"] == pytest.approx(float(np.percentile(scores, 25)), abs=0.05)
    pace = {b["measure"]: b for b in enterprise["benchmarks"]}["meetings_per_quarter"]
    median_pace = 2 * (365.25 / 4) / 55  # the median account's 2 meetings in 55 days, as a quarter's pace
    assert pace["median_account"] == pytest.approx(median_pace, abs=0.05)
    assert pace["gap"] == pytest.approx(median_pace - 6, abs=0.05) and pace["accounts_below"] == 4
    assert {s["segment"]: s["accounts"] for s in answer["segments"]} == {"Enterprise": 5, "Mid-Market": 0, "SMB": 0}


async def test_csms_compare_coverage_and_the_team_spread(client: Client, factory: Factory, engine: Engine) -> None:
    save(engine, Csm(id="boss", name="Bo Ss", email="boss@ourco.test"))
    save(engine, Csm(id="ann", name="Ann A", email="ann@ourco.test", manager_id="boss"),
         Csm(id="ben", name="Ben B", email="ben@ourco.test", manager_id="boss"),
         Csm(id="cy", name="Cy C", email="cy@ourco.test", manager_id="boss"))
    rows: list[Any] = []
    for csm, accounts, sent, answered in (("ann", 2, 10, 8), ("ben", 2, 4, 1), ("cy", 3, 6, 3)):
        for i in range(accounts):
            factory.customer(f"{csm}{i}", f"{csm} account {i}", segment="SMB", csm_id=csm)
            rows += emails(f"{csm}{i}", answered, dt.datetime(2026, 11, 20, 9), response_received=True)
            rows += emails(f"{csm}{i}", sent - answered, dt.datetime(2026, 11, 20, 9), response_received=False)
    factory.customer("cy-quiet", "Cy quiet", segment="SMB", csm_id="cy")
    rows.append(Activity(customer_id="ann0", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 21, 9),
                         duration_minutes=30, stakeholder_level="executive"))
    save(engine, *rows)

    answer = await call(client, "compare_csms", manager_id="boss")

    rows_by = {r["csm_id"]: r for r in answer["csms"]}
    assert set(rows_by) == {"ann", "ben", "cy"}
    assert rows_by["cy"]["accounts"] == 4 and rows_by["cy"]["uncontacted_30_days"] == 1 and rows_by["cy"]["at_risk"] == 4
    assert rows_by["ann"]["touchpoints_per_account"] == 10.5  # 20 emails and a meeting over 2 accounts
    assert rows_by["ann"]["executive_coverage"] == 50.0 and rows_by["ben"]["executive_coverage"] == 0.0
    assert rows_by["ben"]["response_rate"] == 25.0 and rows_by["cy"]["response_rate"] == 50.0
    spread = {s["measure"]: s for s in answer["spread"]}["response_rate"]
    assert (spread["lowest"], spread["median"], spread["highest"]) == (25.0, 50.0, 80.0)
    assert (spread["lowest_csm"], spread["highest_csm"]) == ("Ben B", "Ann A")
    assert "Ben B: response rate 25%, worse than the team's median of 50%." in answer["uneven"]
    assert "Ann A: response rate 80%, better than the team's median of 50%." in answer["uneven"]
    assert [r["csm_id"] for r in answer["csms"]] == sorted(rows_by, key=lambda c: rows_by[c]["average_score"])


# -- benchmark and recommendations ------------------------------------------------------------------
async def test_benchmark_compares_with_the_median_successful_account_biggest_gap_first(
    client: Client, factory: Factory, engine: Engine
) -> None:
    rows: list[Any] = []
    for i, count in enumerate((10, 12, 14, 16, 18)):  # successful: renewed, or health 70+
        fields = {"status": "renewed"} if i % 2 else {"health_score": 80.0}
        factory.customer(f"ok{i}", f"Good {i}", segment="Mid-Market", **fields)
        rows += emails(f"ok{i}", count, dt.datetime(2026, 11, 24, 9))
        rows.append(Activity(customer_id=f"ok{i}", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 24, 9),
                             duration_minutes=60, participants=["x@good.test", "y@good.test", "z@good.test"]))
    factory.customer("weak", "Weak One", segment="Mid-Market", health_score=40.0)
    factory.customer("churned", "Gone", segment="Mid-Market", status="churned", health_score=90.0)  # never a peer
    rows += emails("weak", 4, dt.datetime(2026, 11, 4, 9))
    save(engine, *rows)

    answer = await call(client, "benchmark_customer", customer="Weak One")

    assert answer["successful_accounts"] == 5 and answer["enough_data"]
    gaps = {g["component"]: g for g in answer["components"]}
    assert gaps["email_volume"]["successful_median"] == 70.0 and gaps["email_volume"]["customer"] == 20.0
    assert gaps["email_volume"]["score_points"] == pytest.approx(0.15 * -50, abs=0.05)
    assert gaps["meeting_frequency"]["gap"] == -20.0 and gaps["stakeholder_breadth"]["gap"] == -75.0
    assert gaps["recency"]["gap"] == -60.0  # 20 days quiet: 40 against 100
    points = [g["score_points"] for g in answer["components"]]
    assert points == sorted(points)
    assert [g["component"] for g in answer["components"]][:2] == ["stakeholder_breadth", "email_volume"]


async def test_benchmark_rounds_a_half_away_from_zero_like_every_score_figure(
    client: Client, factory: Factory, engine: Engine
) -> None:
    rows: list[Any] = []
    for i, minutes in enumerate((60, 75, 90, 105, 120, 135)):  # meeting quality 10, 12.5, 15, 17.5, 20, 22.5
        factory.customer(f"ok{i}", f"Good {i}", segment="SMB", status="renewed")
        rows.append(Activity(customer_id=f"ok{i}", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 24, 9),
                             duration_minutes=minutes))
    factory.customer("quiet", "Quiet One", segment="SMB")  # no meeting: quality 0
    save(engine, *rows)

    answer = await call(client, "benchmark_customer", customer="Quiet One")

    quality = next(g for g in answer["components"] if g["component"] == "meeting_quality")
    # The median is (15 + 17.5) / 2 = 16.25 exactly: SPEC.md's half away from zero, not Python's half to even.
    assert (quality["customer"], quality["successful_median"], quality["gap"]) == (0.0, 16.3, -16.3)


async def test_customer_recommendations_give_each_rule_its_reason_and_number(client: Client, factory: Factory, engine: Engine) -> None:
    factory.customer("acme", "Acme Corp", segment="Enterprise")
    factory.stakeholder("acme", "Cleo Champ", "cleo@acme.test", level="champion", title="Director of Ops")
    factory.stakeholder("acme", "Eve Exec", "eve@acme.test", level="executive", title="CFO")
    rows: list[Any] = [Activity(customer_id="acme", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 4, 9),
                                duration_minutes=30, participants=["cleo@acme.test"])]
    rows += emails("acme", 4, dt.datetime(2026, 8, 10, 9), response_received=True)  # previous period: all answered
    rows += emails("acme", 1, dt.datetime(2026, 11, 20, 9), response_received=True)
    rows += emails("acme", 3, dt.datetime(2026, 11, 20, 9), response_received=False)
    save(engine, *rows)

    answer = await call(client, "get_engagement_recommendations", customer="acme")

    steps = {s["kind"]: s for s in answer["customer"]["steps"]}
    assert steps["champion_quiet"]["number"] == 20 and "Cleo Champ" in steps["champion_quiet"]["action"]
    assert steps["no_executive_touchpoint"]["number"] == 0 and "Eve Exec" in steps["no_executive_touchpoint"]["action"]
    assert steps["response_rate_falling"]["number"] == 75.0  # 100% -> 25%
    assert steps["meetings_below_benchmark"]["number"] == pytest.approx(365.25 / 4 / 55, abs=0.05)
    assert steps["emails_below_benchmark"]["number"] == pytest.approx(4 * 365.25 / 12 / 55, abs=0.05)
    assert steps["stakeholder_not_contacted"]["number"] == -1  # the executive: never
    assert "over_engaged" not in steps
    assert list(steps)[:2] == ["champion_quiet", "no_executive_touchpoint"]


async def test_portfolio_recommendations_rank_where_an_hour_moves_the_score_most(client: Client, factory: Factory, engine: Engine) -> None:
    factory.customer("never", "Never Met")
    factory.customer("full", "Full House")
    factory.customer("some", "Some Touch")
    people = [f"p{i}@x.test" for i in range(4)]
    rows: list[Any] = [Activity(customer_id="full", type="meeting", direction="outbound", date=dt.datetime(2026, 11, 24, 9),
                                duration_minutes=120, participants=people) for _ in range(5)]
    rows += emails("full", 20, dt.datetime(2026, 11, 24, 9), response_received=True)
    rows += emails("some", 2, dt.datetime(2026, 11, 14, 9), participants=["a@some.test"])
    save(engine, *rows)

    answer = await call(client, "get_engagement_recommendations", limit=2)

    # Never Met: a 60-minute meeting today adds meeting 20, quality 10, one person 25, recency 100.
    never = 0.25 * 20 + 0.15 * 10 + 0.15 * 25 + 0.10 * 100
    # Some Touch: 2 emails, one person, 10 days quiet (recency 70): the meeting adds 20, 10 and 30 recency.
    some = 0.25 * 20 + 0.15 * 10 + 0.10 * 30
    assert [a["customer_id"] for a in answer["accounts"]] == ["never", "some"]
    assert answer["accounts"][0]["score_gain"] == round1(never)
    assert answer["accounts"][1]["score_gain"] == round1(some)
    assert answer["accounts"][0]["best_hour"] == "one_meeting"
    assert answer["page"] == {"total": 3, "offset": 0, "limit": 2, "has_more": True}
    last = await call(client, "get_engagement_recommendations", limit=2, offset=2)
    assert last["accounts"][0]["customer_id"] == "full" and last["accounts"][0]["score_gain"] == 0.0


async def test_recommendations_refuse_a_customer_and_a_csm_together(client: Client, factory: Factory) -> None:
    factory.csm("csm-1")
    factory.customer("acme", "Acme Corp", csm_id="csm-1")

    message = await call_error(client, "get_engagement_recommendations", customer="acme", csm_id="csm-1")

    assert "Give customer or csm_id, not both" in message


# -- scope --------------------------------------------------------------------------------------------
async def test_analysis_is_scoped_to_the_configured_user_like_the_portfolio(factory: Factory, engine: Engine, settings: Any) -> None:
    from server import create_server

    factory.csm("ann", "Ann A")
    factory.csm("ben", "Ben B")
    for csm in ("ann", "ben"):
        for i in range(3):
            factory.customer(f"{csm}{i}", f"{csm} account {i}", segment="SMB", csm_id=csm)
    save(engine, *emails("ann0", 3, dt.datetime(2026, 11, 20, 9)))

    async with Client(create_server(settings.model_copy(update={"user": "ann"}))) as mine:
        segments = await call(mine, "compare_segments")
        csms = await call(mine, "compare_csms")
        hours = await call(mine, "get_engagement_recommendations")
        everyone = await call(mine, "compare_segments", csm_id="all")

    assert {s["segment"]: s["accounts"] for s in segments["segments"]}["SMB"] == 3
    assert [r["csm_id"] for r in csms["csms"]] == ["ann"]
    assert {a["customer_id"] for a in hours["accounts"]} == {"ann0", "ann1", "ann2"}
    assert {s["segment"]: s["accounts"] for s in everyone["segments"]}["SMB"] == 6
