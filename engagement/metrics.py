"""One customer's or a whole portfolio's metrics and score for a period, from per-customer aggregates.

The store sums each customer's activities of the period from its rollups (`store.period_inputs`);
`score_table` turns those sums into SPEC.md's metrics, the six components, the rounded score and
the category. It is the single computation behind every score the product shows (through
`engagement.scorer`): the portfolio, one customer's detail, trends and alerts, so they cannot disagree.

Everything here is numpy columns aligned to one array of customer ids: a single customer costs
tens of microseconds, the whole portfolio a few milliseconds, and answering needs no pandas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engagement import rollup
from engagement.periods import Period
from engagement.scoring import COMPONENTS, Weights, category_array, round1_array

COUNT_COLUMNS = rollup.COUNT_NAMES  # what a period's rollup rows sum (engagement/rollup.py)
SUM_COLUMNS = rollup.TOTAL_NAMES
AGGREGATE_COLUMNS = ["customer_id", *COUNT_COLUMNS, *SUM_COLUMNS]


@dataclass(frozen=True)
class PeriodInputs:
    """What the store reads for one period, aligned to `ids`: sums (a row per customer, columns in
    COUNT_COLUMNS + SUM_COLUMNS order, NaN where a customer had no activity), distinct participants,
    and each customer's latest activity on or before the period's end (NaT / None when never)."""

    sums: np.ndarray
    people: np.ndarray
    last_date: np.ndarray  # datetime64[us]
    last_type: np.ndarray  # object


@dataclass(frozen=True, eq=False)
class ScoredTable:
    """Scored customers as numpy columns, one position per customer id (in `ids` order)."""

    ids: np.ndarray
    columns: dict[str, np.ndarray]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The previous period scored for the same customers (its last contact to the day only), kept so a few
    # customers can be rescored without reading it again for the others, and so it can be persisted.
    previous: ScoredTable | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        return {cid: i for i, cid in enumerate(self.ids)}

    def row(self, position: int) -> dict[str, Any]:
        """One customer's columns as plain Python values (NaT becomes None)."""
        return {name: values[position : position + 1].tolist()[0] for name, values in self.columns.items()}

    def rows(self, positions: np.ndarray, names: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
        """(customer id, {column: value}) for each position, in that order, of the `names` columns."""
        picked = {name: self.columns[name][positions].tolist() for name in names}
        ids = self.ids[positions].tolist()
        return [(cid, {name: picked[name][i] for name in names}) for i, cid in enumerate(ids)]

    def derived(self, column: str, kind: str, compute: Callable[[np.ndarray], Any]) -> Any:
        """`compute` of one column, worked out once per table (its readers must not change it in place);
        a patch that leaves the column as it was keeps it."""
        key = f"{kind}:{column}"
        if key not in self._cache:
            self._cache[key] = compute(self.columns[column])
        return self._cache[key]

    def codes(self, name: str) -> tuple[np.ndarray, dict[Any, int]]:
        """The column as integer codes and the code of each value: fast masks over text columns."""
        return self.derived(name, "codes", _codes)

    def mask_in(self, name: str, wanted: Sequence[str]) -> np.ndarray:
        codes, lookup = self.codes(name)
        return np.isin(codes, [lookup[w] for w in wanted if w in lookup])

    def name_rank(self) -> np.ndarray:
        """Each customer's position in name order (ids break ties), for sorting without strings."""
        if "name_rank" not in self._cache:
            order = np.lexsort((self.ids.astype(str), self.columns["name"].astype(str)))
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._cache["name_rank"] = rank
        return self._cache["name_rank"]

    def worst_first(self) -> np.ndarray:
        """All positions, lowest score first, then by name."""
        if "worst_first" not in self._cache:
            self._cache["worst_first"] = np.lexsort((self.name_rank(), self.columns["engagement_score"]))
        return self._cache["worst_first"]

    @classmethod
    def joined(cls, parts: Sequence[ScoredTable]) -> ScoredTable:
        """The customers of `parts` (each scored the same way, none twice) in one table, in that order."""
        if len(parts) == 1:
            return parts[0]
        names = parts[0].columns
        previous = None if any(p.previous is None for p in parts) else cls.joined([p.previous for p in parts])  # type: ignore[misc]
        return cls(np.concatenate([p.ids for p in parts]), {n: np.concatenate([p.columns[n] for p in parts]) for n in names},
                   previous=previous)  # fmt: skip

    def take(self, positions: np.ndarray) -> ScoredTable:
        """The customers at `positions`, in that order (their previous period's rows too)."""
        previous = None if self.previous is None else self.previous.take(positions)
        return ScoredTable(self.ids[positions], {n: v[positions] for n, v in self.columns.items()}, previous=previous)

    def merged(self, rows: ScoredTable, gone: Sequence[str]) -> ScoredTable:
        """A copy with `rows` (customers scored the same way) written over theirs or added, and the customers
        `gone` (deleted since) left out; in id order, as a table read whole."""
        dropped = {*gone, *rows.ids.tolist()}
        if not (dropped - set(rows.ids.tolist())) and all(cid in self.positions for cid in rows.ids.tolist()):
            return self.patched(rows)
        keep = np.fromiter((cid not in dropped for cid in self.ids.tolist()), dtype=bool, count=len(self))
        both = ScoredTable.joined([self.take(np.flatnonzero(keep)), rows])
        return both.take(np.argsort(both.ids.astype(str), kind="stable"))

    def patched(self, rows: ScoredTable) -> ScoredTable:
        """A copy with `rows` (a few customers scored the same way) written over theirs.

        The copy keeps the name order while no name changed, not the score order, and what was `derived`
        from the columns the patch left as they were (a category moves with its score).
        """
        where = np.fromiter((self.positions.get(cid, -1) for cid in rows.ids), dtype=np.int64, count=len(rows))
        if (where < 0).any():
            raise KeyError("patch for a customer the table does not hold")
        columns = {}
        changed = set()
        for name, values in self.columns.items():
            if name in rows.columns and not _same(values[where], rows.columns[name]):
                values = values.copy()  # copy on write: readers may still hold this table
                values[where] = rows.columns[name]
                changed.add(name)
            columns[name] = values
        unchanged = self.columns.keys() - changed
        kept = {key: value for key, value in self._cache.items()
                if (key == "name_rank" and "name" in unchanged) or key.partition(":")[2] in unchanged}  # fmt: skip
        previous = self.previous
        if previous is not None and rows.previous is not None:
            previous = previous.patched(rows.previous)
        patched = ScoredTable(self.ids, columns, kept, previous)
        patched.__dict__["positions"] = self.positions
        return patched


def _codes(values: np.ndarray) -> tuple[np.ndarray, dict[Any, int]]:
    texts = ["" if v is None else str(v) for v in values.tolist()]
    uniques, inverse = np.unique(np.array(texts, dtype=str), return_inverse=True)
    return inverse, {value: code for code, value in enumerate(uniques.tolist())}


def _same(old: np.ndarray, new: np.ndarray) -> bool:
    if old.dtype.kind in "fM":
        return bool(np.array_equal(old, new, equal_nan=True))
    return bool(np.array_equal(old, new))


def days_before(end: Any, dates: np.ndarray) -> np.ndarray:
    """Whole days from each date's day to `end` (a date), NaN where there is no date."""
    days = (np.datetime64(end, "D") - dates.astype("datetime64[D]")).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.nan, days.astype(np.int64).astype(float))


def component_scores(
    emails_sent: np.ndarray,
    responses_known: np.ndarray,
    responses_answered: np.ndarray,
    meetings_held: np.ndarray,
    meeting_minutes: np.ndarray,
    stakeholders_engaged: np.ndarray,
    days_ago: np.ndarray,
) -> dict[str, np.ndarray]:
    """SPEC.md's six components (0..100, clamped) from a period's metrics; NaN days_ago (never) is 0 recency.

    Also what "what if" questions use (one more meeting, six more emails), so they cannot drift from the score.
    """
    known = responses_known
    return {
        "email_volume": np.minimum(100.0, emails_sent * 5.0),
        "email_response": np.where(known > 0, responses_answered * 100.0 / np.maximum(known, 1), 0.0),
        "meeting_frequency": np.minimum(100.0, meetings_held * 20.0),
        "meeting_quality": np.minimum(100.0, meeting_minutes * 10.0 / 60.0),
        "stakeholder_breadth": np.minimum(100.0, stakeholders_engaged * 25.0),
        "recency": np.nan_to_num(np.maximum(0.0, 100.0 - days_ago * 3.0)),
    }


def weighted_sum(components: dict[str, np.ndarray], weights: Weights) -> np.ndarray:
    """The unrounded score: each component times its weight, added in COMPONENTS order."""
    raw = np.zeros(len(components[COMPONENTS[0]]))
    for name in COMPONENTS:
        raw = raw + components[name] * getattr(weights, name)
    return raw


def score_table(ids: np.ndarray, inputs: PeriodInputs, period: Period, weights: Weights) -> ScoredTable:
    """Metrics, components, score and category of every customer in `ids` for `period` (SPEC.md).

    Customers without activity in the period have NaN sums and count as zero everywhere.
    """
    sums = np.nan_to_num(inputs.sums)
    out: dict[str, np.ndarray] = {}
    for i, name in enumerate(COUNT_COLUMNS):
        out[name] = sums[:, i].astype(np.int64)
    for i, name in enumerate(SUM_COLUMNS, start=len(COUNT_COLUMNS)):
        # Float sums depend on the order the database added them in (a trigger adds one activity at a time,
        # an import or a month sums a group): noise below 1e-9 is dropped, so every path gives one number.
        out[name] = np.round(sums[:, i].astype(float), 9)
    known, answered, timed = out["responses_known"], out["responses_answered"], out["response_times"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["response_rate"] = np.where(known > 0, answered / np.maximum(known, 1), 0.0)
        out["avg_response_time_hours"] = np.where(timed > 0, out["response_hours"] / np.maximum(timed, 1), np.nan)
    out["stakeholders_engaged"] = np.nan_to_num(inputs.people).astype(np.int64)
    days_ago = days_before(period.end, inputs.last_date)
    components = component_scores(
        out["emails_sent"], known, answered, out["meetings_held"], out["meeting_minutes"], out["stakeholders_engaged"], days_ago
    )
    raw = weighted_sum(components, weights)
    score = round1_array(raw)
    columns = {
        **out,
        **components,
        "raw_score": raw,
        "engagement_score": score,
        "days_ago": days_ago,
        "last_contact_date": inputs.last_date,
        "last_contact_type": inputs.last_type,
        "category": category_array(score),
    }
    return ScoredTable(ids, columns)
