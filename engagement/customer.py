"""One customer: the detail view with stakeholder coverage, its trend over time, and finding customers by name.

Scores come from the one scorer (`core.scorer.customer`); the people, stakeholders and recent
activities from `engagement.lookup`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from engagement import lookup
from engagement.answers import metrics_fields, page, score_of
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope
from engagement.models import Stakeholder
from engagement.periods import Period, recent_periods, resolve_period
from engagement.queries import CustomerQuery, SearchQuery, TrendsQuery
from engagement.schemas import (
    ActivityPublic,
    CustomerEngagement,
    CustomerMatch,
    CustomerSearch,
    EngagementTrends,
    StakeholderCoverage,
    TrendPoint,
)

RECENT_ACTIVITIES = 10
LEVEL_ORDER = {"executive": 0, "champion": 1, "user": 2}


def customer(core: Core, caller: Caller, q: CustomerQuery) -> CustomerEngagement:
    """The PRD's EngagementMetrics of one customer for the period, with stakeholder coverage and recent activities."""
    resolved = resolve_period(q.period, caller.as_of)
    with read_scope(core.engine) as session:
        found = lookup.find_customer(session, q.customer, caller)
        row = core.scorer.customer(session, found, resolved)
        end = resolved.end_exclusive_dt()
        history = lookup.participant_history(session, found.id, end)
        known = lookup.stakeholders_of(session, found.id)
        recent = lookup.recent_activities(session, found.id, end, RECENT_ACTIVITIES)
    return CustomerEngagement(
        **metrics_fields(found.id, row, resolved),
        name=found.name,
        segment=found.segment,
        csm_id=found.csm_id,
        status=found.status,
        arr=found.arr,
        renewal_date=found.renewal_date,
        health_score=found.health_score,
        stakeholders=coverage(history, known, resolved),
        recent_activities=[ActivityPublic.model_validate(a, from_attributes=True) for a in recent],
    )


def trends(core: Core, caller: Caller, q: TrendsQuery) -> EngagementTrends:
    """One customer's score over the last `q.periods` months or quarters, oldest first, the last one to date."""
    windows = recent_periods(q.periods, q.granularity, caller.as_of)
    with read_scope(core.engine) as session:
        found = lookup.find_customer(session, q.customer, caller)
        rows = [(window, core.scorer.customer(session, found, window)) for window in windows]
    return EngagementTrends(
        customer_id=found.id,
        name=found.name,
        granularity=q.granularity,
        points=[
            TrendPoint(
                period=window.label,
                start=window.start,
                end=window.end,
                engagement_score=row["engagement_score"],
                category=row["category"],
                change_from_last_period=row["change"],
                trend=row["trend"],
                components=score_of(row).components,
            )
            for window, row in rows
        ],
    )


def search(core: Core, caller: Caller, q: SearchQuery) -> CustomerSearch:
    """The customers the caller may see whose name or id contains the query, by name."""
    with read_scope(core.engine) as session:
        total, found = lookup.search_customers(session, caller, q.query, q.offset, q.limit)
    return CustomerSearch(
        query=q.query,
        matches=[
            CustomerMatch(customer_id=c.id, **c.model_dump(include={"name", "segment", "csm_id", "status"}))
            for c in found
        ],
        page=page(total, q.offset, q.limit),
    )


def coverage(history: Sequence[Any], known: Sequence[Stakeholder], period: Period) -> list[StakeholderCoverage]:
    """Touchpoints in the period and last contact (to the period's end) of each person we deal with:
    the known stakeholders, then anyone else who took part, most touched first."""
    touch: dict[str, int] = {}
    last: dict[str, dt.datetime] = {}
    for when, participants in history:
        for person in participants or []:
            key = person.strip().lower()
            if when >= period.start_dt():
                touch[key] = touch.get(key, 0) + 1
            last[key] = max(last.get(key, when), when)
    rows = [
        StakeholderCoverage(
            name=s.name,
            email=s.email,
            title=s.title,
            level=s.level,
            touchpoints=touch.get((s.email or "").lower(), 0),
            last_contact=last.get((s.email or "").lower()),
        )
        for s in known
    ]
    listed = {(s.email or "").lower() for s in known}
    rows += [
        StakeholderCoverage(name=None, email=p, title=None, level=None, touchpoints=touch.get(p, 0), last_contact=t)
        for p, t in last.items()
        if p not in listed
    ]
    return sorted(rows, key=lambda r: (-r.touchpoints, LEVEL_ORDER.get(r.level or "", 3), r.name or r.email or ""))
