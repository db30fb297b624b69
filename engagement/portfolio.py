"""Portfolio questions: the customers in scope ranked worst first with the summary, and those scoring low;
why each needs attention.

Both read the whole store scored for the period from the one scorer (`core.scorer.portfolio`, cached)
and filter, rank and count it as arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engagement.answers import page, period_info, present
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope
from engagement.metrics import ScoredTable
from engagement.periods import previous_period, resolve_period
from engagement.queries import LowEngagementQuery, PortfolioQuery
from engagement.schemas import CategoryCount, LowEngagementCustomers, PortfolioEngagement, PortfolioRow, PortfolioSummary
from engagement.scope import resolve_scope
from engagement.scoring import CATEGORIES, COMPONENTS, round1

PORTFOLIO_COLUMNS = (
    "name", "segment", "csm_id", "engagement_score", "category", "trend", "change", "days_ago", "responses_known",
    "response_rate", "meetings_held", "executive_touchpoints", "stakeholders_engaged", *COMPONENTS,
)


def portfolio(core: Core, caller: Caller, q: PortfolioQuery) -> PortfolioEngagement:
    """The customers of the scope (filtered by score and category), worst first, a page of them, and the summary."""
    resolved = resolve_period(q.period, caller.as_of)
    with read_scope(core.engine) as session:
        scope = resolve_scope(session, caller, q.csm_id, q.segment)
        table = core.scorer.portfolio(session, resolved)
    keep = core.scorer.visible(table, scope)
    scores = table["engagement_score"]
    if q.min_score is not None:
        keep &= scores >= q.min_score
    if q.max_score is not None:
        keep &= scores <= q.max_score
    if q.category is not None:
        keep &= table["category"] == q.category
    ranked = worst_first(table, keep)
    return PortfolioEngagement(
        period=period_info(resolved),
        previous_period=period_info(previous_period(resolved)),
        scope=scope.label,
        summary=summary(table, ranked),
        customers=rows(table, ranked[q.offset : q.offset + q.limit]),
        page=page(len(ranked), q.offset, q.limit),
    )


def low_engagement(core: Core, caller: Caller, q: LowEngagementQuery) -> LowEngagementCustomers:
    """The customers of the scope scoring below the threshold, worst first."""
    resolved = resolve_period(q.period, caller.as_of)
    with read_scope(core.engine) as session:
        scope = resolve_scope(session, caller, q.csm_id, q.segment)
        table = core.scorer.portfolio(session, resolved)
    keep = core.scorer.visible(table, scope) & (table["engagement_score"] < q.threshold)
    ranked = worst_first(table, keep)
    return LowEngagementCustomers(
        period=period_info(resolved),
        threshold=q.threshold,
        scope=scope.label,
        customers=rows(table, ranked[q.offset : q.offset + q.limit]),
        page=page(len(ranked), q.offset, q.limit),
    )


def attention_reason(row: dict[str, Any]) -> str | None:
    """Why a customer needs attention (docs/rules.md): low or at-risk, declining, or silent 30+ days."""
    days = present(row["days_ago"])
    declining = row["trend"] == "declining"
    if row["category"] in ("high", "healthy") and not declining and (days is not None and days < 30):
        return None
    if days is None:
        return "Never contacted"
    if days >= 30:
        return f"No contact for {int(days)} days"
    if declining:
        return f"Score down {abs(row['change']):.1f} vs previous period"
    if row["responses_known"] > 0 and row["response_rate"] < 0.5:
        return f"Response rate {round(row['response_rate'] * 100)}%"
    if row["meetings_held"] == 0:
        return "No meeting this period"
    if row["executive_touchpoints"] == 0:
        return "No executive touchpoint"
    if row["stakeholders_engaged"] <= 1:
        return "Single-threaded: one contact"
    weakest = min(COMPONENTS, key=lambda name: row[name])
    return f"Weakest part: {weakest.replace('_', ' ')} ({row[weakest]:.0f}/100)"


def worst_first(table: ScoredTable, keep: np.ndarray) -> np.ndarray:
    """Positions of the kept customers, lowest score first, then by name."""
    order = table.worst_first()
    return order[keep[order]]


def rows(table: ScoredTable, positions: np.ndarray) -> list[PortfolioRow]:
    """The portfolio rows of `positions`, in that order."""
    return [_row(cid, row) for cid, row in table.rows(positions, PORTFOLIO_COLUMNS)]


def _row(customer_id: str, row: dict[str, Any]) -> PortfolioRow:
    days = present(row["days_ago"])
    return PortfolioRow(
        customer_id=customer_id,
        name=row["name"],
        segment=row["segment"],
        csm_id=present(row["csm_id"]),
        engagement_score=row["engagement_score"],
        category=row["category"],
        trend=row["trend"],
        change_from_last_period=row["change"],
        days_since_last_contact=None if days is None else int(days),
        attention_reason=attention_reason(row),
    )


def summary(table: ScoredTable, positions: np.ndarray) -> PortfolioSummary:
    """Count, average and its change, and each category's count and share, of the customers at `positions`."""
    count = len(positions)
    average = round1(float(table["engagement_score"][positions].mean())) if count else None
    previous = round1(float(table["previous_score"][positions].mean())) if count else None
    return PortfolioSummary(
        customer_count=count,
        average_score=average,
        previous_average_score=previous,
        average_change=None if average is None or previous is None else round1(average - previous),
        categories=categories(table, positions),
    )


def categories(table: ScoredTable, positions: np.ndarray) -> list[CategoryCount]:
    """Each category's count and share (percent) of the customers at `positions`."""
    count = len(positions)
    codes, lookup = table.codes("category")
    tally = np.bincount(codes[positions], minlength=len(lookup))
    counts = {name: int(tally[lookup[name]]) if name in lookup else 0 for name in CATEGORIES}
    return [
        CategoryCount(category=name, count=counts[name], share=round1(counts[name] * 100 / count) if count else 0.0)
        for name in CATEGORIES
    ]
