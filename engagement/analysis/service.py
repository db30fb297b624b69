"""The analysis questions, answered: each method checks its arguments, reads the cached scores in one
snapshot (`source`), and hands numpy columns to the pure functions beside it."""

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
from engagement.answers import check_paging, page, period_info
from engagement.caller import Caller
from engagement.db import read_scope
from engagement.errors import EngagementError, NotFoundError
from engagement.metrics import ScoredTable
from engagement.periods import Period, previous_period, quarter_label
from engagement.scoring import round1
from engagement.scope import Scope
from engagement.service import EngagementService

OUTCOMES = ("health", "renewal", "churn")


class Analysis:
    def __init__(self, service: EngagementService) -> None:
        self.service = service

    def compare_segments(self, caller: Caller, *, period: str | None = None, csm: str | None = None) -> SegmentComparison:
        resolved = source.period(caller, period)
        with read_scope(self.service.engine) as session:
            scope = source.scope(session, caller, csm, None)
            table, keep = source.scores(self.service, session, scope, resolved)
        rows = segments.compare_segments(table, keep, resolved, self.service.scoring.benchmarks)
        return SegmentComparison(period=period_info(resolved), scope=scope.label, segments=rows)

    def compare_csms(
        self, caller: Caller, *, period: str | None = None, manager: str | None = None, limit: int = 20, offset: int = 0
    ) -> CsmComparison:
        check_paging(limit, offset)
        resolved = source.period(caller, period)
        with read_scope(self.service.engine) as session:
            try:
                scope = source.scope(session, caller, manager, None)
            except NotFoundError as exc:
                raise NotFoundError(f"manager_id: {exc}") from exc
            table, keep = source.scores(self.service, session, scope, resolved)
            names = source.csm_names(session)
        rows = segments.csm_rows(table, keep, names)
        spreads, uneven = segments.spread(rows)
        return CsmComparison(
            period=period_info(resolved), scope=scope.label, csms=rows[offset : offset + limit],
            spread=spreads, uneven=uneven, page=page(len(rows), offset, limit),
        )

    def outliers(
        self,
        caller: Caller,
        *,
        period: str | None = None,
        segment: str | None = None,
        csm: str | None = None,
        threshold: float = 2.5,
        limit: int = 20,
        offset: int = 0,
    ) -> EngagementOutliers:
        check_paging(limit, offset)
        if not 1.5 <= threshold <= 5:
            raise EngagementError(f"threshold {threshold} is out of range; give 1.5 to 5 robust standard deviations.")
        resolved = source.period(caller, period)
        with read_scope(self.service.engine) as session:
            scope = source.scope(session, caller, csm, segment)
            peers = source.everyone_visible(session, caller, segment)
            table, keep = source.scores(self.service, session, scope, resolved)
        reference = source.visible(self.service, table, peers)
        baselines, found = outliers.find_outliers(table, keep, reference, resolved, self.service.scoring.benchmarks, threshold)
        return EngagementOutliers(
            period=period_info(resolved), scope=scope.label, threshold=threshold, baselines=baselines,
            outliers=[item.outlier(table) for item in found[offset : offset + limit]], page=page(len(found), offset, limit),
        )

    def correlation(
        self, caller: Caller, *, outcome: str, period: str | None = None, segment: str | None = None, csm: str | None = None
    ) -> EngagementCorrelation:
        if outcome not in OUTCOMES:
            raise EngagementError(f"outcome '{outcome}' is not valid; use health, renewal or churn.")
        chosen: Outcome = outcome  # type: ignore[assignment]
        with read_scope(self.service.engine) as session:
            scope = source.scope(session, caller, csm, segment)
            if chosen == "health":
                resolved = source.period(caller, period)
                table, keep = source.scores(self.service, session, scope, resolved)
                sample = correlation.health_sample(table, keep, health(table))
                scored_on, cohorts, left_out = f"{resolved.label} ({resolved.start} to {resolved.end})", [], None
                what = "accounts with a health score"
            else:
                renewals, first, last = self._renewals(session, caller, scope, period, chosen)
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
        )

    def _renewals(
        self, session: Session, caller: Caller, scope: Scope, period: str | None, outcome: Outcome
    ) -> tuple[correlation.Renewals, dt.date, dt.date]:
        """The scope's accounts (churned included) renewed or churned in `period`, else in the last 12
        months, each scored on the quarter before its renewal quarter; and the window's first and last day."""
        as_of = caller.as_of
        window = source.period(caller, period) if period else None
        first = window.start if window else as_of - dt.timedelta(days=correlation.RENEWAL_WINDOW_DAYS - 1)
        last = window.end if window else as_of
        table, keep = source.scores(self.service, session, source.with_churned(scope), source.period(caller, None))

        def quarter(start: dt.date) -> tuple[Period, ScoredTable]:
            resolved = source.period(caller, quarter_label(start))
            return resolved, source.scores(self.service, session, scope, resolved)[0]

        return correlation.renewal_sample(table, keep, renewal_days(table), first, last, outcome, quarter), first, last

    def calibration(self, caller: Caller, *, outcome: str, period: str | None = None, folds: int = 5) -> Calibration:
        """Weights fitted to the store's renewals (every customer), with held-out correlations; writes nothing."""
        if outcome not in ("renewal", "churn"):
            raise EngagementError(f"outcome '{outcome}' is not valid; use renewal or churn.")
        if not 2 <= folds <= 20:
            raise EngagementError(f"folds {folds} is out of range; give 2 to 20.")
        with read_scope(self.service.engine) as session:
            scope = source.everyone_visible(session, caller)
            renewals, _, _ = self._renewals(session, caller, scope, period, outcome)  # type: ignore[arg-type]
        return calibrate.calibrate(renewals.sample, outcome, self.service.scoring.weights, folds, caller.as_of)

    def benchmark(self, caller: Caller, *, ref: str, period: str | None = None) -> CustomerBenchmark:
        resolved = source.period(caller, period)
        with read_scope(self.service.engine) as session:
            found = source.customer(session, caller, ref)
            peers_scope = source.everyone_visible(session, caller, found.segment)
            table, peers = source.scores(self.service, session, peers_scope, resolved)
        position = table.positions[found.id]
        peers = peers & benchmark.successful(table, health(table))
        peers[position] = False
        count = int(peers.sum())
        score = float(table["engagement_score"][position])
        enough = count >= benchmark.MIN_SUCCESSFUL
        gaps = benchmark.component_gaps(table, position, peers, self.service.scoring.weights) if enough else []
        median = round1(float(np.median(table["engagement_score"][peers]))) if enough else None
        if enough and median is not None:
            text = benchmark.reading(found.name, found.segment, score, count, median, gaps)
        else:
            text = (f"Not enough data: {count} successful {found.segment} accounts (renewed, or health >= "
                    f"{benchmark.SUCCESS_HEALTH:.0f}) to compare with; at least {benchmark.MIN_SUCCESSFUL} are needed.")
        return CustomerBenchmark(
            customer_id=found.id, name=found.name, segment=found.segment, period=period_info(resolved),
            engagement_score=score, successful_accounts=count, successful_median_score=median, enough_data=enough,
            reading=text, components=gaps, metrics=benchmark.metric_gaps(table, position, peers) if enough else [],
        )

    def recommendations(
        self,
        caller: Caller,
        *,
        customer: str | None = None,
        csm: str | None = None,
        period: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> EngagementRecommendations:
        check_paging(limit, offset)
        if customer and csm:
            raise EngagementError("Give customer or csm_id, not both: one account's next steps, or a portfolio's best hours.")
        resolved = source.period(caller, period)
        weights = self.service.scoring.weights
        with read_scope(self.service.engine) as session:
            if customer:
                found = source.customer(session, caller, customer)
                everyone = source.everyone_visible(session, caller)  # the tables hold every customer, churned too
                table, _ = source.scores(self.service, session, everyone, resolved)
                before, _ = source.scores(self.service, session, everyone, previous_period(resolved))
                people = source.stakeholders(session, found, resolved)
                position = table.positions[found.id]
                row, previous = table.row(position), before.row(before.positions[found.id])
                gain = recommend.hour_gain(table, np.array([position]), weights)
                steps = recommend.steps(row, previous, resolved, found.segment, self.service.scoring.benchmarks.get(found.segment), people)
                one = CustomerRecommendations(
                    customer_id=found.id, name=found.name, segment=found.segment, engagement_score=row["engagement_score"],
                    steps=steps, score_gain_of_an_hour=round1(float(gain.best[0])),
                    best_hour="one_meeting" if gain.best_is_meeting[0] else "six_emails",
                )
                return EngagementRecommendations(period=period_info(resolved), scope=found.name, customer=one, accounts=[], page=None)
            scope = source.scope(session, caller, csm, None)
            table, keep = source.scores(self.service, session, scope, resolved)
        positions = np.flatnonzero(keep)
        gain = recommend.hour_gain(table, positions, weights)
        order = np.lexsort((table.name_rank()[positions], table["engagement_score"][positions], -np.round(gain.best, 6)))
        chosen = order[offset : offset + limit]
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
            page=page(len(positions), offset, limit),
        )

