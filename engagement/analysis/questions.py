"""The analysis questions, answered: each function takes the core, the caller and its typed query
(engagement/queries.py), reads the cached scores in one snapshot (`source`), and hands numpy columns to
the pure functions beside it."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlmodel import Session

from engagement.analysis import benchmark, calibrate, correlation, outliers, recommend, segments, source
from engagement.analysis.columns import health, renewal_days
from engagement.analysis.schemas import (
    AccountOpportunity,
    Calibration,
    CsmComparison,
    CustomerBenchmark,
    CustomerRecommendations,
    EngagementCorrelation,
    EngagementOutliers,
    EngagementRecommendations,
    Outcome,
    SegmentComparison,
)
from engagement.answers import page, period_info
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope
from engagement.errors import NotFoundError
from engagement.metrics import ScoredTable
from engagement.periods import Period, previous_period, quarter_label
from engagement.queries import (
    BenchmarkQuery,
    CalibrationQuery,
    CorrelationQuery,
    CsmsQuery,
    OutliersQuery,
    RecommendationsQuery,
    SegmentsQuery,
)
from engagement.scoring import round1
from engagement.scope import Scope


def compare_segments(core: Core, caller: Caller, q: SegmentsQuery) -> SegmentComparison:
    resolved = source.period(caller, q.period)
    with read_scope(core.engine) as session:
        scope = source.scope(session, caller, q.csm_id, None)
        table, keep = source.scores(core, session, scope, resolved)
    rows = segments.compare_segments(table, keep, resolved, core.scoring.benchmarks)
    return SegmentComparison(period=period_info(resolved), scope=scope.label, segments=rows)


def compare_csms(core: Core, caller: Caller, q: CsmsQuery) -> CsmComparison:
    resolved = source.period(caller, q.period)
    with read_scope(core.engine) as session:
        try:
            scope = source.scope(session, caller, q.manager_id, None)
        except NotFoundError as exc:
            raise NotFoundError(f"manager_id: {exc}") from exc
        table, keep = source.scores(core, session, scope, resolved)
        names = source.csm_names(session)
    rows = segments.csm_rows(table, keep, names)
    spreads, uneven = segments.spread(rows)
    return CsmComparison(
        period=period_info(resolved), scope=scope.label, csms=rows[q.offset : q.offset + q.limit],
        spread=spreads, uneven=uneven, page=page(len(rows), q.offset, q.limit),
    )  # fmt: skip


def engagement_outliers(core: Core, caller: Caller, q: OutliersQuery) -> EngagementOutliers:
    resolved = source.period(caller, q.period)
    with read_scope(core.engine) as session:
        scope = source.scope(session, caller, q.csm_id, q.segment)
        peers = source.everyone_visible(session, caller, q.segment)
        table, keep = source.scores(core, session, scope, resolved)
    reference = source.visible(core, table, peers)
    baselines, found = outliers.find_outliers(table, keep, reference, resolved, core.scoring.benchmarks, q.threshold)
    return EngagementOutliers(
        period=period_info(resolved), scope=scope.label, threshold=q.threshold, baselines=baselines,
        outliers=[item.outlier(table) for item in found[q.offset : q.offset + q.limit]],
        page=page(len(found), q.offset, q.limit),
    )  # fmt: skip


def engagement_correlation(core: Core, caller: Caller, q: CorrelationQuery) -> EngagementCorrelation:
    chosen = q.outcome
    with read_scope(core.engine) as session:
        scope = source.scope(session, caller, q.csm_id, q.segment)
        if chosen == "health":
            resolved = source.period(caller, q.period)
            table, keep = source.scores(core, session, scope, resolved)
            sample = correlation.health_sample(table, keep, health(table))
            scored_on, cohorts, left_out = f"{resolved.label} ({resolved.start} to {resolved.end})", [], None
            what = "accounts with a health score"
        else:
            renewals, first, last = _renewals(core, session, caller, scope, q.period, chosen)
            sample, cohorts = renewals.sample, renewals.cohorts
            scored_on = "the quarter before each account's renewal quarter"
            n = renewals.still_active
            left_out = (
                f"{n} account{'s' if n > 1 else ''} past the renewal date {'are' if n > 1 else 'is'} still marked "
                "active (outcome unknown)." if n else None
            )
            what = f"accounts renewed or churned between {first} and {last}"
    reason = correlation.not_enough(sample, chosen, what)
    found = [] if reason else correlation.correlations(sample, chosen)
    drivers = [] if reason else correlation.component_correlations(sample)
    return EngagementCorrelation(
        outcome=chosen, scope=scope.label, scored_on=scored_on, accounts=len(sample.outcome),
        enough_data=reason is None, reading=reason or correlation.reading(found[0], chosen, drivers),
        correlations=[correlation.result(c) for c in found], components=drivers, cohorts=cohorts, left_out=left_out,
    )  # fmt: skip


def _renewals(
    core: Core, session: Session, caller: Caller, scope: Scope, period: str | None, outcome: Outcome
) -> tuple[correlation.Renewals, dt.date, dt.date]:
    """The scope's accounts (churned included) renewed or churned in `period`, else in the last 12
    months, each scored on the quarter before its renewal quarter; and the window's first and last day."""
    as_of = caller.as_of
    window = source.period(caller, period) if period else None
    first = window.start if window else as_of - dt.timedelta(days=correlation.RENEWAL_WINDOW_DAYS - 1)
    last = window.end if window else as_of
    table, keep = source.scores(core, session, source.with_churned(scope), source.period(caller, None))

    def quarter(start: dt.date) -> tuple[Period, ScoredTable]:
        resolved = source.period(caller, quarter_label(start))
        return resolved, source.scores(core, session, scope, resolved)[0]

    return correlation.renewal_sample(table, keep, renewal_days(table), first, last, outcome, quarter), first, last


def calibration(core: Core, caller: Caller, q: CalibrationQuery) -> Calibration:
    """Weights fitted to the store's renewals (every customer), with held-out correlations; writes nothing."""
    with read_scope(core.engine) as session:
        scope = source.everyone_visible(session, caller)
        renewals, _, _ = _renewals(core, session, caller, scope, q.period, q.outcome)
    return calibrate.calibrate(renewals.sample, q.outcome, core.scoring.weights, q.folds, caller.as_of)


def benchmark_customer(core: Core, caller: Caller, q: BenchmarkQuery) -> CustomerBenchmark:
    resolved = source.period(caller, q.period)
    with read_scope(core.engine) as session:
        found = source.customer(session, caller, q.customer)
        peers_scope = source.everyone_visible(session, caller, found.segment)
        table, peers = source.scores(core, session, peers_scope, resolved)
    position = table.positions[found.id]
    peers = peers & benchmark.successful(table, health(table))
    peers[position] = False
    count = int(peers.sum())
    score = float(table["engagement_score"][position])
    enough = count >= benchmark.MIN_SUCCESSFUL
    gaps = benchmark.component_gaps(table, position, peers, core.scoring.weights) if enough else []
    median = round1(float(np.median(table["engagement_score"][peers]))) if enough else None
    if enough and median is not None:
        text = benchmark.reading(found.name, found.segment, score, count, median, gaps)
    else:
        text = (f"Not enough data: {count} successful {found.segment} accounts (renewed, or health >= "
                f"{benchmark.SUCCESS_HEALTH:.0f}) to compare with; at least {benchmark.MIN_SUCCESSFUL} are needed.")  # fmt: skip
    return CustomerBenchmark(
        customer_id=found.id, name=found.name, segment=found.segment, period=period_info(resolved),
        engagement_score=score, successful_accounts=count, successful_median_score=median, enough_data=enough,
        reading=text, components=gaps, metrics=benchmark.metric_gaps(table, position, peers) if enough else [],
    )  # fmt: skip


def recommendations(core: Core, caller: Caller, q: RecommendationsQuery) -> EngagementRecommendations:
    resolved = source.period(caller, q.period)
    weights = core.scoring.weights
    with read_scope(core.engine) as session:
        if q.customer:
            found = source.customer(session, caller, q.customer)
            everyone = source.everyone_visible(session, caller)  # the tables hold every customer, churned too
            table, _ = source.scores(core, session, everyone, resolved)
            before, _ = source.scores(core, session, everyone, previous_period(resolved))
            people = source.stakeholders(session, found, resolved)
            position = table.positions[found.id]
            row, previous = table.row(position), before.row(before.positions[found.id])
            gain = recommend.hour_gain(table, np.array([position]), weights)
            steps = recommend.steps(row, previous, resolved, found.segment, core.scoring.benchmarks.get(found.segment), people)
            one = CustomerRecommendations(
                customer_id=found.id, name=found.name, segment=found.segment, engagement_score=row["engagement_score"],
                steps=steps, score_gain_of_an_hour=round1(float(gain.best[0])),
                best_hour="one_meeting" if gain.best_is_meeting[0] else "six_emails",
            )
            return EngagementRecommendations(period=period_info(resolved), scope=found.name, customer=one, accounts=[], page=None)
        scope = source.scope(session, caller, q.csm_id, None)
        table, keep = source.scores(core, session, scope, resolved)
    positions = np.flatnonzero(keep)
    gain = recommend.hour_gain(table, positions, weights)
    order = np.lexsort((table.name_rank()[positions], table["engagement_score"][positions], -np.round(gain.best, 6)))
    chosen = order[q.offset : q.offset + q.limit]
    accounts = [
        AccountOpportunity(
            customer_id=str(table.ids[positions[i]]), name=table["name"][positions[i]], segment=table["segment"][positions[i]],
            csm_id=table["csm_id"][positions[i]], engagement_score=float(table["engagement_score"][positions[i]]),
            best_hour="one_meeting" if gain.best_is_meeting[i] else "six_emails",
            score_gain=round1(float(gain.best[i])), score_after=round1(float(gain.now[i] + gain.best[i])),
            reason=recommend.hour_reason(gain, int(i), weights),
        )
        for i in chosen.tolist()
    ]
    return EngagementRecommendations(
        period=period_info(resolved), scope=scope.label, customer=None, accounts=accounts,
        page=page(len(positions), q.offset, q.limit),
    )
