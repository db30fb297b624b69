"""The one scoring path: a period's scored table for a scope, and the cache of whole portfolios.

Every view (portfolio, detail, trends, analysis, the daily check) reads its scores from here. A
period is scored for every customer at once (`score`, from the store's rollups by `metrics.score_table`),
with the previous period's score beside it for the trend. `portfolio` keeps the whole store scored
per period, exact at a store version that database triggers bump: in memory, and in the store itself
(engagement.snapshots) for every other process. A table at an older version catches up by rescoring,
in one pass, only the customers the triggers' change log names since; a write in this process patches
its customers in place (`rescore_written` then `keep`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session

from engagement import snapshots, store
from engagement.cache import Entry, ScoreCache
from engagement.freshness import changed_since, current_version, version_before_write
from engagement.metrics import PeriodInputs, ScoredTable, score_table
from engagement.models import Customer
from engagement.periods import Period, previous_period
from engagement.scope import EVERYONE, Scope, one_customer, some_customers
from engagement.scoring import ScoringConfig, round1_array, trend_array

# Past this many changed customers (a share of the portfolio, or this number when it is small) a table
# is scored whole again rather than caught up: rescoring by id costs more per customer than a full pass.
CATCH_UP_SHARE, CATCH_UP_MIN = 0.25, 500
# A table that rescored this many customers since it was saved is saved again, so a new process
# catches up little (a share of the portfolio, at least this number).
SAVE_SHARE, SAVE_MIN = 0.01, 200
READ_KEPT = 8  # periods' inputs kept for reuse (see Scorer._read)


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
        # The whole store's inputs of the periods read lately, by (version, first day, last day): a quarter
        # read as one period's previous is not read again as a period of its own (the renewal correlation
        # scores consecutive quarters), nor the other way round.
        self._read: dict[tuple[int, dt.date, dt.date], tuple[np.ndarray, PeriodInputs, bool]] = {}
        self._customers: tuple[int, dict[str, np.ndarray]] | None = None
        self._lock = threading.Lock()

    def _period(self, session: Session, scope: Scope, ids: np.ndarray, period: Period, exact_last_contact: bool) -> ScoredTable:
        """Scores for `period`; without `exact_last_contact` the last contact is only its day (enough for
        the score: see store.period_inputs), for a previous period whose scores alone are kept."""
        positions = {cid: i for i, cid in enumerate(ids.tolist())}
        if scope is not EVERYONE:
            inputs = store.period_inputs(session, scope, positions, period, exact_last_contact)
            return score_table(ids, inputs, period, self.scoring.weights)
        key = (current_version(session), period.start, period.end)
        with self._lock:
            found = self._read.get(key)
        if found is not None and not np.array_equal(found[0], ids):
            found = None
        if found is not None and (found[2] or not exact_last_contact):
            inputs = found[1]
        elif found is not None:  # its sums and people; its last contacts exact now
            inputs = PeriodInputs(found[1].sums, found[1].people, *store.last_contacts(session, scope, positions, period.end_exclusive_dt()))
        else:
            inputs = store.period_inputs(session, scope, positions, period, exact_last_contact)
        with self._lock:
            self._read.pop(key, None)
            while len(self._read) >= READ_KEPT:
                del self._read[next(iter(self._read))]
            self._read[key] = (ids, inputs, exact_last_contact or (found is not None and found[2]))
        return score_table(ids, inputs, period, self.scoring.weights)

    def score(
        self,
        session: Session,
        scope: Scope,
        period: Period,
        customers: dict[str, np.ndarray] | None = None,
        previous: ScoredTable | None = None,
    ) -> ScoredTable:
        """Every scope customer's metrics and score for `period`, with the previous period's and the trend.

        `customers` (store.customer_columns) and `previous` (the previous period's rows of the same
        customers) are read from the store when not given.
        """
        if customers is None:
            customers = self._everyone(session) if scope is EVERYONE else store.customer_columns(session, scope)
        customers = dict(customers)
        ids = customers.pop("customer_id")
        table = self._period(session, scope, ids, period, exact_last_contact=True)
        if previous is None:
            previous = self._period(session, scope, ids, previous_period(period), exact_last_contact=False)
        return assembled(table, previous, customers)

    def _everyone(self, session: Session) -> dict[str, np.ndarray]:
        """Every customer's columns at the session's version, read once per version."""
        version = current_version(session)
        if self._customers is None or self._customers[0] != version:
            self._customers = (version, store.customer_columns(session, EVERYONE))
        return self._customers[1]

    def customer(self, session: Session, customer: Customer, period: Period) -> dict[str, object]:
        """One customer's scored row for `period` (the same computation as the portfolio's)."""
        scope = one_customer(customer.id, customer.name)
        return self.score(session, scope, period, store.customer_columns_of(customer)).row(0)

    def portfolio(self, session: Session, period: Period) -> ScoredTable:
        """The whole store (churned customers included) scored for `period` at the session's version: from
        memory, or the saved snapshot, caught up with the changes since; scored whole only when neither
        is there or too much changed."""
        version = current_version(session)
        entry = self.cache.at_or_before(period, version)
        if entry is not None and entry.version == version:
            return entry.table
        found = None if entry is None else self._caught_up(session, period, entry.table, entry.version, version)
        if found is not None:
            table, unsaved = found[0], entry.unsaved + found[1]  # type: ignore[union-attr]
        else:
            table, unsaved = self._loaded(session, period, version)
        if unsaved >= self._save_after(len(table)):
            snapshots.save_later(self.engine, period, version, table)  # beside the answer, not before it
            unsaved = 0
        self.cache.put(Entry(period, version, table, unsaved))
        return table

    def _loaded(self, session: Session, period: Period, version: int) -> tuple[ScoredTable, int]:
        """The period at `version` from its saved snapshot caught up, else scored whole; and how many of its
        customers were rescored since it was saved (all of them when scored whole)."""
        saved = snapshots.load(session, period)
        if saved is not None and saved.version <= version:
            current = score_table(saved.customers["customer_id"], saved.current, period, self.scoring.weights)
            previous = score_table(saved.customers["customer_id"], saved.previous, previous_period(period), self.scoring.weights)
            customers = {name: values for name, values in saved.customers.items() if name != "customer_id"}
            found = self._caught_up(session, period, assembled(current, previous, customers), saved.version, version)
            if found is not None:
                if found[1] == 0 and saved.version < version:  # nothing it reads changed: say so for the next process
                    snapshots.touch(self.engine, period, saved.version, version)
                return found
        table = self.score(session, EVERYONE, period)
        return table, max(len(table), SAVE_MIN)

    def _caught_up(
        self, session: Session, period: Period, table: ScoredTable, since: int, version: int
    ) -> tuple[ScoredTable, int] | None:
        """`table` (the period scored at version `since`) brought to `version` by rescoring the customers
        changed since on or before the period's end, and how many they were; None when the change log
        cannot say or too many changed."""
        changes = changed_since(session, since, version)
        if changes is None:
            return None
        touched = {cid: day for cid, day in changes.items() if day is None or day <= period.end}
        if not touched:
            return table, 0
        if len(touched) > max(CATCH_UP_MIN, CATCH_UP_SHARE * len(table)):
            return None
        rows = self._rescored(session, period, touched, table)
        return table.merged(rows, [cid for cid in touched if cid not in rows.positions]), len(touched)

    def _rescored(
        self, session: Session, period: Period, touched: dict[str, dt.date | None], cached: ScoredTable | None
    ) -> ScoredTable:
        """The `touched` customers that still exist scored for `period`, in one pass whatever their number.
        A customer touched only after the previous period's end (each with the earliest day touched; None:
        its own row) keeps its cached previous-period rows, so only `period` is read again for it."""
        customers = store.customer_columns(session, some_customers(sorted(touched)))
        ids = customers.pop("customer_id")
        table = self._period(session, some_customers(ids.tolist()), ids, period, exact_last_contact=True)
        before = previous_period(period)
        positions = {} if cached is None or cached.previous is None else cached.positions

        def kept(cid: str) -> bool:
            day = touched[cid]
            return cid in positions and day is not None and day > before.end

        fresh = np.array([cid for cid in ids.tolist() if not kept(cid)], dtype=object)
        parts = []
        if len(fresh) or not len(ids):
            parts.append(self._period(session, some_customers(fresh.tolist()), fresh, before, exact_last_contact=False))
        if len(fresh) < len(ids):
            assert cached is not None and cached.previous is not None
            parts.append(cached.previous.take(np.array([positions[cid] for cid in ids.tolist() if kept(cid)], dtype=np.int64)))
        joined = ScoredTable.joined(parts)
        previous = joined.take(np.array([joined.positions[cid] for cid in ids.tolist()], dtype=np.int64))
        return assembled(table, previous, customers)

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
        (each with the earliest date written for it): their rows for `period` and, for every period cached
        just before the write, the rows of those it can change, each period in one pass.

        Read under the writer's own lock, nobody else can move the version before the commit, so the store
        is the one before plus this write, and rescoring needs no second transaction."""
        version = current_version(session)
        version_before = version_before_write(session, created, version)
        cached = self.cache.tables_at(version_before)
        touched = {customer.id: when.date() for customer, when in written}
        tables: dict[Period, ScoredTable | None] = {}
        # A period's rows read nothing after its end (its score, its previous period's, the last contact to
        # its end), so a period that ended before every touchpoint written stays as cached: the analysis
        # tools cache past quarters, and a log of today's call should not read each of them again.
        for each in dict.fromkeys([period, *cached]):
            changed = {cid: day for cid, day in touched.items() if each == period or day <= each.end}
            tables[each] = self._rescored(session, each, changed, cached.get(each)) if changed else None
        return Rescored(version_before, version, tables)

    def keep(self, rescored: Rescored) -> None:
        """After the write committed: patch its customers' rows into the cached portfolios, and save those
        that rescored many customers since they were saved (beside the answer), so a new process has little
        to catch up."""
        for period, rows in rescored.tables.items():
            entry = self.cache.patch(period, rescored.version_before, rescored.version, rows)
            if entry is not None and entry.unsaved >= self._save_after(len(entry.table)):
                snapshots.save_later(self.engine, period, entry.version, entry.table)
                self.cache.put(Entry(period, entry.version, entry.table, 0))

    @staticmethod
    def _save_after(customers: int) -> float:
        return max(SAVE_MIN, SAVE_SHARE * customers)


def assembled(table: ScoredTable, previous: ScoredTable, customers: dict[str, np.ndarray]) -> ScoredTable:
    """A period's scores (`table`) with the customers' own columns, the previous period's score (`previous`:
    the same customers, in the same order), the change and trend."""
    change = round1_array(table["engagement_score"] - previous["engagement_score"])
    columns = {
        **table.columns,
        **customers,
        "previous_score": previous["engagement_score"],
        "change": change,
        "trend": trend_array(change),
        "churned": customers["status"] == "churned",
    }
    return ScoredTable(table.ids, columns, previous=previous)
