"""What the engine answers: pydantic models every view (MCP tool, CLI, later REST) formats as is.

Field names follow the PRD's `EngagementMetrics` (§6.1) where it has one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from engagement.scoring import Category, Trend


def as_utc(value: dt.datetime) -> dt.datetime:
    """The store keeps moments as naive UTC; an answer says so (an aware moment is converted)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# A moment in an answer: timezone-aware UTC in Python, "2026-11-20T10:00:00Z" in JSON (RFC 3339, as
# the JSON Schema format "date-time" requires).
UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]


class PeriodInfo(BaseModel):
    label: str = Field(description="The period token or name, e.g. this_quarter or 2026-Q3.")
    start: dt.date
    end: dt.date = Field(description="Inclusive; a to-date period ends on the as-of date.")


class ActivityCounts(BaseModel):
    emails_sent: int
    emails_received: int
    meetings_held: int = Field(description="Meetings and QBRs.")
    meeting_minutes: float
    calls_made: int
    calls_received: int
    messages_sent: int
    messages_received: int
    qbrs_completed: int


class Quality(BaseModel):
    response_rate: float = Field(description="Share (0..1) of outbound emails with a known outcome that were answered.")
    avg_response_time_hours: float | None
    stakeholders_engaged: int = Field(description="Distinct participants in the period.")
    executive_touchpoints: int


class Components(BaseModel):
    """The six parts of the score, each 0..100, before weighting."""

    email_volume: float
    email_response: float
    meeting_frequency: float
    meeting_quality: float
    stakeholder_breadth: float
    recency: float


class Score(BaseModel):
    engagement_score: float = Field(description="0..100, one decimal.")
    category: Category
    trend: Trend
    change_from_last_period: float
    previous_score: float
    components: Components


class LastContact(BaseModel):
    date: UtcDateTime
    type: str
    days_ago: int = Field(description="Whole days from the last contact to the period's end.")


class EngagementMetrics(BaseModel):
    """PRD-157 §6.1 EngagementMetrics for one customer and period."""

    customer_id: str
    period: str
    period_start: dt.date
    period_end: dt.date
    previous_period: PeriodInfo
    activities: ActivityCounts
    quality: Quality
    score: Score
    last_contact: LastContact | None = Field(description="Null when the customer was never contacted.")


class ActivityPublic(BaseModel):
    id: int
    customer_id: str
    type: str
    direction: str
    date: UtcDateTime
    duration_minutes: float | None = None
    participants: list[str] = []
    stakeholder_level: str | None = None
    response_received: bool | None = None
    response_time_hours: float | None = None
    subject: str | None = None
    source: str
    external_id: str | None = None


class StakeholderCoverage(BaseModel):
    name: str | None
    email: str | None
    title: str | None
    level: str | None
    touchpoints: int = Field(description="Activities in the period that include this person.")
    last_contact: UtcDateTime | None = Field(description="Latest activity with them up to the period's end.")


class CustomerEngagement(EngagementMetrics):
    name: str
    segment: str
    csm_id: str | None
    status: str
    arr: float | None
    renewal_date: dt.date | None
    health_score: float | None
    stakeholders: list[StakeholderCoverage]
    recent_activities: list[ActivityPublic]


class PortfolioRow(BaseModel):
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    engagement_score: float
    category: Category
    trend: Trend
    change_from_last_period: float
    days_since_last_contact: int | None = Field(description="Null when never contacted.")
    attention_reason: str | None = Field(description="Why it needs attention; null when it does not.")


class CategoryCount(BaseModel):
    category: Category
    count: int
    share: float = Field(description="Percent of the matching customers, one decimal.")


class PortfolioSummary(BaseModel):
    customer_count: int
    average_score: float | None
    previous_average_score: float | None
    average_change: float | None = Field(description="Average score minus the previous period's average.")
    categories: list[CategoryCount]


class Page(BaseModel):
    total: int = Field(description="Rows matching before paging.")
    offset: int
    limit: int
    has_more: bool


class PortfolioEngagement(BaseModel):
    period: PeriodInfo
    previous_period: PeriodInfo
    scope: str = Field(description="Whose customers: a CSM, a team, or the whole portfolio.")
    summary: PortfolioSummary
    customers: list[PortfolioRow] = Field(description="Worst score first.")
    page: Page


class TrendPoint(BaseModel):
    period: str
    start: dt.date
    end: dt.date
    engagement_score: float
    category: Category
    change_from_last_period: float
    trend: Trend
    components: Components


class EngagementTrends(BaseModel):
    customer_id: str
    name: str
    granularity: str
    points: list[TrendPoint] = Field(description="Oldest first; the last one is to date.")


class UncontactedRow(BaseModel):
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    last_contact: UtcDateTime | None
    last_contact_type: str | None
    days_since_last_contact: int | None = Field(description="Null when never contacted.")


class UncontactedCustomers(BaseModel):
    as_of: dt.date
    days: int
    scope: str
    customers: list[UncontactedRow] = Field(description="Never contacted first, then longest silence first.")
    page: Page


class LowEngagementCustomers(BaseModel):
    period: PeriodInfo
    threshold: float
    scope: str
    customers: list[PortfolioRow] = Field(description="Worst score first.")
    page: Page


class CustomerMatch(BaseModel):
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    status: str


class CustomerSearch(BaseModel):
    query: str
    matches: list[CustomerMatch] = Field(description="By name.")
    page: Page


class LoggedActivity(BaseModel):
    created: bool = Field(
        description="False on a replay: this customer's activity with the same source and external_id was stored "
        "already, and `activity` is that one (nothing new stored). The same key for another customer is refused."
    )
    activity: ActivityPublic
    score: Score
    period: PeriodInfo
