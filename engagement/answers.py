"""Answer models from scored rows: the score with its components, a customer's metrics, pages."""

from __future__ import annotations

import math
from typing import Any

from engagement.periods import Period, previous_period
from engagement.schemas import ActivityCounts, Components, LastContact, Page, PeriodInfo, Quality, Score
from engagement.scoring import COMPONENTS


def present(value: Any) -> Any:
    """Missing values (NaN, None) as None, for the answer models."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(label=period.label, start=period.start, end=period.end)


def page(total: int, offset: int, limit: int) -> Page:
    return Page(total=total, offset=offset, limit=limit, has_more=offset + limit < total)


SCORE_COLUMNS = ("engagement_score", "category", "trend", "change", "previous_score", *COMPONENTS)  # what score_of reads


def score_of(row: dict[str, Any]) -> Score:
    """The score of a scored row, with its components to four decimals."""
    return Score(
        engagement_score=row["engagement_score"],
        category=row["category"],
        trend=row["trend"],
        change_from_last_period=row["change"],
        previous_score=row["previous_score"],
        components=Components(**{name: round(float(row[name]), 4) for name in COMPONENTS}),
    )


def metrics_fields(customer_id: str, row: dict[str, Any], period: Period) -> dict[str, Any]:
    """The PRD's EngagementMetrics fields of one scored row."""
    last_date = row["last_contact_date"]
    return {
        "customer_id": customer_id,
        "period": period.label,
        "period_start": period.start,
        "period_end": period.end,
        "previous_period": period_info(previous_period(period)),
        "activities": ActivityCounts(
            **{name: int(row[name]) for name in ActivityCounts.model_fields if name != "meeting_minutes"},
            meeting_minutes=float(row["meeting_minutes"]),
        ),
        "quality": Quality(
            response_rate=round(float(row["response_rate"]), 4),
            avg_response_time_hours=present(row["avg_response_time_hours"]),
            stakeholders_engaged=int(row["stakeholders_engaged"]),
            executive_touchpoints=int(row["executive_touchpoints"]),
        ),
        "score": score_of(row),
        "last_contact": None
        if last_date is None
        else LastContact(date=last_date, type=row["last_contact_type"], days_ago=int(row["days_ago"])),
    }
