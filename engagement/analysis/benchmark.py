"""One account against the median profile of the successful accounts of its segment."""

from __future__ import annotations

import numpy as np

from engagement.analysis.columns import fmt
from engagement.analysis.schemas import ComponentGap, MetricGap
from engagement.metrics import ScoredTable
from engagement.scoring import COMPONENTS, Weights, round1

SUCCESS_HEALTH = 70.0  # "successful": renewed, or health at least this
MIN_SUCCESSFUL = 5
METRICS = ("emails_sent", "meetings_held", "meeting_minutes", "response_rate", "stakeholders_engaged",
           "executive_touchpoints", "days_ago")


def successful(table: ScoredTable, health: np.ndarray) -> np.ndarray:
    """Accounts that renewed or whose health is at least 70 (churned ones never)."""
    status = table["status"]
    return (status != "churned") & ((status == "renewed") | (np.nan_to_num(health, nan=-1.0) >= SUCCESS_HEALTH))


def component_gaps(table: ScoredTable, position: int, peers: np.ndarray, weights: Weights) -> list[ComponentGap]:
    """Each component of the account minus the peers' median, furthest behind (in score points) first."""
    gaps = []
    for name in COMPONENTS:
        mine, median = float(table[name][position]), float(np.median(table[name][peers]))
        weight = getattr(weights, name)
        gaps.append(
            ComponentGap(
                component=name,
                customer=round1(mine),
                successful_median=round1(median),
                gap=round1(mine - median),
                score_points=round1((mine - median) * weight),
            )
        )
    return sorted(gaps, key=lambda gap: (gap.score_points, gap.gap))


def metric_gaps(table: ScoredTable, position: int, peers: np.ndarray) -> list[MetricGap]:
    rows = []
    for name in METRICS:
        values = np.asarray(table[name], dtype=float)
        mine = values[position]
        known = values[peers][~np.isnan(values[peers])]
        label = "days_since_last_contact" if name == "days_ago" else name
        scale = 100.0 if name == "response_rate" else 1.0  # shown as a percent
        rows.append(
            MetricGap(
                metric=label + ("_percent" if name == "response_rate" else ""),
                customer=None if np.isnan(mine) else round1(mine * scale),
                successful_median=round1(float(np.median(known)) * scale) if len(known) else None,
            )
        )
    return rows


def reading(name: str, segment: str, score: float, peers: int, median: float, gaps: list[ComponentGap]) -> str:
    behind = [gap for gap in gaps if gap.score_points < 0][:2]
    text = f"{name} scores {fmt(score)} against the median {fmt(median)} of {peers} successful {segment} accounts"
    if not behind:
        return text + "; it is at or above their median on every component."
    parts = [f"{gap.component.replace('_', ' ')} ({fmt(gap.customer)} vs {fmt(gap.successful_median)}, "
             f"{fmt(gap.score_points)} points)" for gap in behind]
    return text + "; furthest behind on " + " and ".join(parts) + "."
