"""The one scoring path: a period's scored table for a scope, and the cache of whole portfolios.

Every view (portfolio, detail, trends, analysis, the daily check) reads its scores from here. A
period is scored for every customer at once (`score`, from the store's rollups by `metrics.score_table`),
with the previous period's score beside it for the trend. `portfolio` keeps the whole store scored
per period in memory, exact by the store version that database triggers bump; a write in this
process patches its customers in place (`rescore_written` then `keep`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engagement import store
from engagement.cache import ScoreCache
from engagement.freshness import current_version, version_before_write
from engagement.metrics import ScoredTable, score_table
from engagement.models import Customer
from engagement.periods import Period, previous_period
from engagement.scope import EVERYONE, Scope, one_customer
from engagement.scoring import ScoringConfig, round1_array, trend_array


@dataclass(frozen=True)
class Rescored:
    """The customers of a write scored again inside it: rows for the periods to patch, valid once the write commits."""

    version_before: int
    version: int
    tables: dict[Period, ScoredTable | None]  # None: a cached period that ended before every touchpoint written


class Scorer:
    def __init__(self, engine: Engine, scoring: ScoringConfig) -> None:
        self.engine = engine
        self.scoring = scoring
        self.cache = ScoreCache()

    def _period(self, session: Session, scope: Scope, ids: np.ndarray, period: Period, exact_last_contact: bool) -> ScoredTable:
        """Scores for `period`; without `exact_last_contact` the last contact is only its day (enough for
        the score: see store.period_inputs), for a previous period whose scores alone are kept."""
        positions = {cid: i for i, cid in enumerate(ids.tolist())}
        inputs = store.period_inputs(session, scope, positions, period, exact_last_contact)
        return score_table(ids, inputs, period, self.scoring.weights)

    def score(
        self,
        session: Session,
        scope: Scope,
        period: Period,
        customers: dict[str, np.ndarray] | None = None,
        previous_scores: np.ndarray | None = None,
    ) -> ScoredTable:
        """Every scope customer's metrics and score for `period`, with the previous period's and the trend.

        `customers` (store.customer_columns) and `previous_scores` are read from the store when not given.
        """
        customers = dict(customers or store.customer_columns(session, scope))
        ids = customers.pop("customer_id")
        table = self._period(session, scope, ids, period, exact_last_contact=True)
        if previous_scores is None:
            previous = self._period(session, scope, ids, previous_period(period), exact_last_contact=False)
            previous_scores = previous["engagement_score"]
        change = round1_array(table["engagement_score"] - previous_scores)
        table.columns.update(
            customers,
            previous_score=previous_scores,
            change=change,
            trend=trend_array(change),
            churned=customers["status"] == "churned",
        )
        return table

    def customer(self, session: Session, customer: Customer, period: Period) -> dict[str, object]:
        """One customer's scored row for `period` (the same computation as the portfolio's)."""
        scope = one_customer(customer.id, customer.name)
        return self.score(session, scope, period, store.customer_columns_of(customer)).row(0)

    def portfolio(self, session: Session, period: Period) -> ScoredTable:
        """The whole store (churned customers included) scored for `period`, from the cache while the
        store's version stands still."""
        return self.cache.scored(session, period, lambda: self.score(session, EVERYONE, period))

    @staticmethod
    def visible(table: ScoredTable, scope: Scope) -> np.ndarray:
        """A mask of the portfolio table's customers that are in `scope` (churned ones only if it asks)."""
        keep = np.ones(len(table), dtype=bool)
        if not scope.include_churned:
            keep &= ~table["churned"]
        if scope.csm_ids is not None:
            keep &= table.mask_in("csm_id", scope.csm_ids)
        if scope.segment is not None:
            keep &= table.mask_in("segment", [scope.segment])
        return keep

    def rescore_written(
        self, session: Session, written: Sequence[tuple[Customer, dt.datetime]], created: int, period: Period
    ) -> Rescored:
        """Inside the write transaction that stored `created` new touchpoints for the `written` customers
        (each with the earliest date written for it): their rows for `period` and for every period cached
        just before the write, in the order given.

        Read under the writer's own lock, nobody else can move the version before the commit, so the store
        is the one before plus this write, and rescoring needs no second transaction."""
        version = current_version(session)
        version_before = version_before_write(session, created, version)
        cached = self.cache.tables_at(version_before)
        # A period's rows read nothing after its end (its score, its previous period's, the last contact to
        # its end), so a period that ended before every touchpoint written stays as cached: the analysis
        # tools cache past quarters, and a log of today's call should not read each of them again.
        earliest = min(when for _, when in written)  # a write stores at least one touchpoint
        tables: dict[Period, ScoredTable | None] = {
            each: None
            if each != period and earliest >= each.end_exclusive_dt()
            else ScoredTable.joined([self._rescore(session, customer, each, cached.get(each), when) for customer, when in written])
            for each in dict.fromkeys([period, *cached])
        }
        return Rescored(version_before, version, tables)

    def keep(self, rescored: Rescored) -> None:
        """After the write committed: patch its customers' rows into the cached portfolios."""
        for period, rows in rescored.tables.items():
            self.cache.patch(period, rescored.version_before, rescored.version, rows)

    def _rescore(
        self, session: Session, customer: Customer, period: Period, cached: ScoredTable | None, when: dt.datetime
    ) -> ScoredTable:
        """A touchpoint after the previous period's end changes nothing of that period, so its cached
        score (from just before the write) stands and only `period` is read again."""
        scope = one_customer(customer.id, customer.name)
        columns = store.customer_columns_of(customer)
        position = None if cached is None else cached.positions.get(customer.id)
        if position is None or when < previous_period(period).end_exclusive_dt():
            return self.score(session, scope, period, columns)
        return self.score(session, scope, period, columns, cached["previous_score"][position : position + 1])
