"""Accounts unusual within their segment: scores far from the segment's median in robust units, and
effort far above the segment's benchmark that earns little score."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal, NamedTuple

import numpy as np

from engagement.analysis.columns import effort_ratio, fmt, per_month, per_quarter, touchpoints
from engagement.analysis.schemas import Outlier, SegmentBaseline
from engagement.analysis.stats import robust_z
from engagement.metrics import ScoredTable
from engagement.vocabulary import SEGMENTS
from engagement.periods import Period
from engagement.scoring import Benchmark, round1

MIN_SEGMENT = 8  # robust statistics of fewer accounts say little
EFFORT_RATIO = 2.0  # "far above": at least twice the benchmark's top
Kind = Literal["unusually_low", "unusually_high", "effort_without_score"]
LOW_YIELD_QUANTILE = 25  # "little score": points per touchpoint in the segment's lowest quarter


def find_outliers(
    table: ScoredTable,
    keep: np.ndarray,
    reference: np.ndarray,
    period: Period,
    benchmarks: Mapping[str, Benchmark],
    threshold: float,
) -> tuple[list[SegmentBaseline], list[Found]]:
    """Outliers among the `keep` accounts, each judged against the `reference` accounts of its segment
    (every account the caller may see there), so a small portfolio is still compared with enough peers.
    Each comes as a `Found` whose row (`outlier`) is built only for the page shown."""
    scores = table["engagement_score"]
    touched = touchpoints(table)
    yields = scores / np.maximum(touched, 1)  # points of score per touchpoint
    baselines: list[SegmentBaseline] = []
    low: list[tuple[float, Found]] = []
    high: list[tuple[float, Found]] = []
    effort: list[tuple[float, Found]] = []
    for segment in SEGMENTS:
        in_segment = table.mask_in("segment", [segment])
        peers, mine = reference & in_segment, keep & in_segment
        if not peers.any():
            continue
        _, median, scale = robust_z(scores[peers])
        big_enough = int(peers.sum()) >= MIN_SEGMENT and scale > 0
        baselines.append(
            SegmentBaseline(
                segment=segment,
                accounts=int(peers.sum()),
                median_score=round1(median),
                robust_sd=round1(scale),
                low_below=_limit(median - threshold * scale) if big_enough else None,
                high_above=_limit(median + threshold * scale) if big_enough else None,
            )
        )
        if not big_enough or not mine.any():
            continue
        positions = np.flatnonzero(mine)
        z = (scores[positions] - median) / scale
        for position, value in zip(positions[z <= -threshold].tolist(), z[z <= -threshold].tolist()):
            low.append((value, Found(position, "unusually_low", value, partial(_far, segment, median, value))))
        for position, value in zip(positions[z >= threshold].tolist(), z[z >= threshold].tolist()):
            high.append((-value, Found(position, "unusually_high", value, partial(_far, segment, median, value))))
        if (benchmark := benchmarks.get(segment)) is None:
            continue
        active = peers & (touched > 0)
        if not active.any():
            continue
        cutoff, typical = np.percentile(yields[active], [LOW_YIELD_QUANTILE, 50])
        low_yield = np.flatnonzero(mine & (touched > 0) & (yields <= cutoff))
        # the ratio to the segment's benchmark, of these accounts only
        ratios = effort_ratio(table["emails_sent"][low_yield], table["meetings_held"][low_yield], period, benchmark)
        over = ratios >= EFFORT_RATIO
        for position, ratio in zip(low_yield[over].tolist(), ratios[over].tolist()):
            if abs((scores[position] - median) / scale) >= threshold:
                continue  # already listed as unusually low or high
            value = float((scores[position] - median) / scale)
            reason = partial(_effort, period, segment, benchmark, ratio, float(yields[position]), float(typical))
            effort.append((-ratio, Found(position, "effort_without_score", value, reason)))
    ordered = [item for group in (low, high, effort) for _, item in sorted(group, key=lambda pair: pair[0])]
    return baselines, ordered


class Found(NamedTuple):
    position: int
    kind: Kind
    z: float
    reason: Callable[[ScoredTable, int], str]

    def outlier(self, table: ScoredTable) -> Outlier:
        csm = table["csm_id"][self.position]
        return Outlier(
            customer_id=str(table.ids[self.position]),
            name=table["name"][self.position],
            segment=table["segment"][self.position],
            csm_id=None if csm is None else str(csm),
            engagement_score=float(table["engagement_score"][self.position]),
            kind=self.kind,
            robust_z=round(self.z, 2),
            reason=self.reason(table, self.position) + ".",
        )


def _far(segment: str, median: float, z: float, table: ScoredTable, position: int) -> str:
    side = "below" if z < 0 else "above"
    return f"Score {fmt(table['engagement_score'][position])} against the {segment} median of {fmt(round1(median))}: {abs(z):.1f} robust SDs {side}"


def _effort(period: Period, segment: str, benchmark: Benchmark, ratio: float, yields: float, typical: float,
            table: ScoredTable, position: int) -> str:
    emails, meetings = per_month(table["emails_sent"][position], period), per_quarter(table["meetings_held"][position], period)
    return (
        f"{emails:.1f} emails a month and {meetings:.1f} meetings a quarter, {ratio:.1f}x the {segment} "
        f"benchmark's top ({fmt(benchmark.emails_per_month[1])} emails, {fmt(benchmark.meetings_per_quarter[1])} meetings), "
        f"for {yields:.1f} points of score per touchpoint (segment median {typical:.1f})"
    )


def _limit(score: float) -> float | None:
    """A score limit, or None when no score (0..100) can lie beyond it."""
    return round1(score) if 0 < score < 100 else None
