"""Comparing groups of accounts: segments against their benchmarks, and CSMs against each other."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from engagement import portfolio
from engagement.analysis.columns import band, fmt, per_month, per_quarter, touchpoints
from engagement.analysis.schemas import ActivityVsBenchmark, CsmRow, ScoreDistribution, SegmentRow, Spread
from engagement.metrics import ScoredTable
from engagement.vocabulary import SEGMENTS
from engagement.periods import Period
from engagement.scoring import Benchmark, round1

UNEVEN_SHARE = 0.25  # a CSM this far (relative) from the team's median is called out...
UNEVEN_FLOOR = {"average_score": 5.0, "touchpoints_per_account": 1.0, "executive_coverage": 10.0,
                "response_rate": 10.0, "uncontacted_share": 10.0}  # ...if also this far in the measure's own units
MAX_UNEVEN = 8
MEASURE_WORDS = {"meetings_per_quarter": "meetings a quarter", "emails_per_month": "emails a month"}
LOWER_IS_BETTER = {"uncontacted_share"}
PERCENT_MEASURES = {"executive_coverage", "response_rate", "uncontacted_share"}
CSM_MEASURES = {  # how a CSM's value of each measure reads
    "average_score": "average score {}",
    "touchpoints_per_account": "{} touchpoints per account",
    "executive_coverage": "an executive touchpoint at {}% of accounts",
    "response_rate": "response rate {}%",
    "uncontacted_share": "{}% of accounts uncontacted 30+ days",
}


def versus(measure: str, levels: np.ndarray, low: float, high: float) -> ActivityVsBenchmark:
    """The median account's level against a [low, high] benchmark, and how many accounts fall where."""
    median = float(np.median(levels))
    gap = median - low if median < low else median - high if median > high else 0.0
    level = f"median score of {fmt(round1(median))}" if measure == "engagement_score" else (
        f"median account's {fmt(round1(median))} {MEASURE_WORDS[measure]}"
    )
    where = "within" if gap == 0 else f"{fmt(round1(abs(gap)))} {'below' if gap < 0 else 'above'}"
    reading = f"The {level} is {where} the {band(low, high)} benchmark"
    below, above = int(np.count_nonzero(levels < low)), int(np.count_nonzero(levels > high))
    return ActivityVsBenchmark(
        measure=measure,  # type: ignore[arg-type]
        median_account=round1(median),
        benchmark_low=low,
        benchmark_high=high,
        gap=round1(gap),
        accounts_below=below,
        accounts_within=len(levels) - below - above,
        accounts_above=above,
        reading=f"{reading}; {below} of {len(levels)} accounts are below it.",
    )


def compare_segments(
    table: ScoredTable, keep: np.ndarray, period: Period, benchmarks: Mapping[str, Benchmark]
) -> list[SegmentRow]:
    rows = []
    scores = table["engagement_score"]
    for segment in SEGMENTS:
        mask = keep & table.mask_in("segment", [segment])
        count = int(mask.sum())
        distribution = None
        gaps: list[ActivityVsBenchmark] = []
        if count:
            mine = scores[mask]
            q1, median, q3 = (round1(float(q)) for q in np.percentile(mine, [25, 50, 75]))
            distribution = ScoreDistribution(mean=round1(float(mine.mean())), median=median, q1=q1, q3=q3)
            if (benchmark := benchmarks.get(segment)) is not None:
                gaps = [
                    versus("meetings_per_quarter", per_quarter(table["meetings_held"][mask], period), *benchmark.meetings_per_quarter),
                    versus("emails_per_month", per_month(table["emails_sent"][mask], period), *benchmark.emails_per_month),
                    versus("engagement_score", mine, *benchmark.healthy_score),
                ]
        rows.append(SegmentRow(segment=segment, accounts=count, score=distribution, categories=portfolio.categories(table, np.flatnonzero(mask)), benchmarks=gaps))
    return rows


def csm_rows(table: ScoredTable, keep: np.ndarray, names: Mapping[str, str]) -> list[CsmRow]:
    """Each CSM's coverage of their kept accounts, lowest average score first (then by name)."""
    codes, lookup = table.codes("csm_id")  # no CSM is ""
    kept = codes[keep]
    size = len(lookup)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(kept, weights=np.asarray(values, dtype=float)[keep], minlength=size)

    accounts = np.bincount(kept, minlength=size)
    days = table["days_ago"]
    sums = {
        "score": total(table["engagement_score"]),
        "previous": total(table["previous_score"]),
        "at_risk": total(table["category"] == "at_risk"),
        "silent": total(np.isnan(days) | (np.nan_to_num(days) >= 30)),
        "touchpoints": total(touchpoints(table)),
        "executive": total(table["executive_touchpoints"] > 0),
        "known": total(table["responses_known"]),
        "answered": total(table["responses_answered"]),
    }
    rows = []
    for csm_id, code in lookup.items():
        count = int(accounts[code])
        if not count:
            continue
        average, previous = round1(sums["score"][code] / count), round1(sums["previous"][code] / count)
        known = sums["known"][code]
        rows.append(
            CsmRow(
                csm_id=csm_id or "unassigned",
                name=names.get(csm_id, "No CSM" if not csm_id else csm_id),
                accounts=count,
                average_score=average,
                average_change=round1(average - previous),
                at_risk=int(sums["at_risk"][code]),
                uncontacted_30_days=int(sums["silent"][code]),
                touchpoints_per_account=round1(sums["touchpoints"][code] / count),
                executive_coverage=round1(sums["executive"][code] * 100 / count),
                response_rate=round1(sums["answered"][code] * 100 / known) if known else None,
            )
        )
    return sorted(rows, key=lambda row: (row.average_score, row.name))


def _measures(row: CsmRow) -> dict[str, float | None]:
    return {
        "average_score": row.average_score,
        "touchpoints_per_account": row.touchpoints_per_account,
        "executive_coverage": row.executive_coverage,
        "response_rate": row.response_rate,
        "uncontacted_share": round1(row.uncontacted_30_days * 100 / row.accounts),
    }


def spread(rows: list[CsmRow]) -> tuple[list[Spread], list[str]]:
    """Lowest, median and highest of each measure across the CSMs, and the CSMs far from the median."""
    spreads: list[Spread] = []
    found: list[tuple[float, str]] = []
    for measure in UNEVEN_FLOOR:
        values = [(value, row.name) for row in rows if (value := _measures(row)[measure]) is not None]
        if not values:
            continue
        numbers = np.array([v for v, _ in values])
        median = float(np.median(numbers))
        low, high = min(values), max(values)
        spreads.append(Spread(measure=measure, lowest=low[0], median=round1(median), highest=high[0], lowest_csm=low[1], highest_csm=high[1]))
        if len(values) < 3:
            continue  # with two CSMs the median is their midpoint: neither is "far" from the team
        for value, name in values:
            off = value - median
            if abs(off) >= UNEVEN_FLOOR[measure] and abs(off) >= UNEVEN_SHARE * abs(median):
                phrase, unit = CSM_MEASURES[measure], "%" if measure in PERCENT_MEASURES else ""
                text = f"{name}: {phrase.format(fmt(value))}, {_side(measure, off)} the team's median of {fmt(round1(median))}{unit}."
                found.append((abs(off) / max(abs(median), 1e-9), text))
    found.sort(key=lambda item: -item[0])
    return spreads, [text for _, text in found[:MAX_UNEVEN]]


def _side(measure: str, off: float) -> str:
    """Which way a CSM is off the median, in words that say whether it is the good way: touchpoints are
    neither (more is not better past the benchmark), the others are."""
    if measure == "touchpoints_per_account":
        return "above" if off > 0 else "below"
    better = (off < 0) if measure in LOWER_IS_BETTER else (off > 0)
    return ("better than" if better else "worse than")
