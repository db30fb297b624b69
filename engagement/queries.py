"""Every question's parameters, one typed query each: what the MCP tools, the REST API, the command line
and the dashboard's filters take (engagement/query.py says how each edge derives them from the fields).

To add a parameter to a question, add a field to its query here (type, bounds, description, default)
and read it in the core function that answers the query; the tool's input schema, the REST parameter
and its OpenAPI entry, the command's option and the page's filter follow. Fields are listed in the
order every edge shows them; the contract snapshot (tests/contract/tools.json) records the tools' side.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from engagement import checks
from engagement.alerts.schemas import AlertStatus
from engagement.analysis.schemas import Outcome
from engagement.errors import EngagementError
from engagement.vocabulary import (
    MAX_DURATION_MINUTES,
    MAX_ID_LENGTH,
    MAX_PARTICIPANT_LENGTH,
    MAX_PARTICIPANTS,
    MAX_RESPONSE_HOURS,
    MAX_SOURCE_LENGTH,
    MAX_SUBJECT_LENGTH,
    ActivityType,
    Direction,
    StakeholderLevel,
)
from engagement.periods import Granularity
from engagement.query import (
    MAX_EMAIL_LENGTH,
    MAX_REF_LENGTH,
    CsmRef,
    CustomerRef,
    Limit,
    Offset,
    PeriodToken,
    Query,
    ScoreBound,
    SegmentName,
    as_sent,
)
from engagement.scoring import Category

MAX_HISTORY_DAYS = 90
MAX_ALERT_ID = 2**31 - 1  # the id column's range on PostgreSQL (integer)


# -- the portfolio and one customer (engagement/portfolio.py, uncontacted.py, customer.py) ------------


class PortfolioQuery(Query):
    """Scores of the customers in scope, worst first, with the summary (get_portfolio_engagement)."""

    csm_id: CsmRef = None
    period: PeriodToken = None
    segment: SegmentName = None
    min_score: ScoreBound = None
    max_score: ScoreBound = None
    category: Annotated[Category | None, Field(description="Only this category.")] = None
    limit: Limit = 20
    offset: Offset = 0


class UncontactedQuery(Query):
    """Customers silent for `days` or more: never contacted first, then the longest silence (find_uncontacted_customers)."""

    days: Annotated[int, Field(description="Silent for at least this many days, 1-3650.", ge=1, le=3650)] = 30
    csm_id: CsmRef = None
    segment: SegmentName = None
    limit: Limit = 20
    offset: Offset = 0


class LowEngagementQuery(Query):
    """Customers scoring below `threshold`, worst first (find_low_engagement_customers)."""

    period: PeriodToken = None
    csm_id: CsmRef = None
    segment: SegmentName = None
    threshold: Annotated[float, Field(description="Scores below this, 0-100.", ge=0, le=100)] = 60
    limit: Limit = 20
    offset: Offset = 0


class SearchQuery(Query):
    """Customers by part of their name or id (search_customers)."""

    query: Annotated[str, Field(description="Part of a customer's name or id.", max_length=MAX_REF_LENGTH)]
    limit: Limit = 20
    offset: Offset = 0

    @field_validator("query")
    @classmethod
    def _some_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query is empty; give part of a customer's name or id.")
        return value.strip()


class CustomerQuery(Query):
    """One customer's metrics, score, stakeholder coverage and recent activities (get_customer_engagement)."""

    customer: CustomerRef
    period: PeriodToken = None


class TrendsQuery(Query):
    """One customer's score over the last N months or quarters (get_engagement_trends)."""

    customer: CustomerRef
    periods: Annotated[int, Field(description="How many periods, 1-24.", ge=1, le=24)] = 6
    granularity: Annotated[Granularity, Field(description="month or quarter.")] = "month"


class LogActivityQuery(Query):
    """One touchpoint to record (log_activity; the REST API's POST /api/activities takes a list of them).

    Each field is published with its type's schema but taken as sent, and held to the activity rules,
    strictly (a JSON value of the wrong type is refused, never coerced), in the rules' words."""

    customer: CustomerRef
    type: Annotated[Any, as_sent(ActivityType), Field(description="Kind of touchpoint.")]
    direction: Annotated[Any, as_sent(Direction), Field(description="outbound: we reached out.")]
    date: Annotated[
        Any,
        as_sent(Annotated[str | None, Field(max_length=40)]),
        Field(description="ISO 8601 date or date-time; default now. Not in the future."),
    ] = None
    duration_minutes: Annotated[
        Any,
        as_sent(Annotated[float | None, Field(ge=0, le=MAX_DURATION_MINUTES)]),
        Field(description=f"Length, 0-{MAX_DURATION_MINUTES} minutes."),
    ] = None
    participants: Annotated[
        Any,
        as_sent(
            Annotated[list[Annotated[str, Field(max_length=MAX_PARTICIPANT_LENGTH)]] | None, Field(max_length=MAX_PARTICIPANTS)]
        ),
        Field(description="Customer-side contacts, emails preferred."),
    ] = None
    stakeholder_level: Annotated[
        Any,
        as_sent(StakeholderLevel | None),
        Field(description="Most senior customer-side level; default from the known stakeholders."),
    ] = None
    response_received: Annotated[
        Any, as_sent(bool | None), Field(description="For outbound emails: answered? Omit if unknown.")
    ] = None
    response_time_hours: Annotated[
        Any, as_sent(Annotated[float | None, Field(ge=0, le=MAX_RESPONSE_HOURS)]), Field(description="Hours until the answer.")
    ] = None
    subject: Annotated[
        Any, as_sent(Annotated[str | None, Field(max_length=MAX_SUBJECT_LENGTH)]), Field(description="Short subject or title.")
    ] = None
    source: Annotated[
        Any,
        as_sent(Annotated[str, Field(min_length=1, max_length=MAX_SOURCE_LENGTH)]),
        Field(description="Where it came from."),
    ] = "agent"
    external_id: Annotated[
        Any,
        as_sent(Annotated[str | None, Field(max_length=MAX_ID_LENGTH)]),
        Field(description="Stable id; the same one twice stores once."),
    ] = None

    @model_validator(mode="before")
    @classmethod
    def _rules(cls, data: Any) -> Any:
        """Every field by the activity rules before anything else, so a refusal says which field, what was
        wrong and what is accepted in the words every writer uses. (The date's bound by today is the write's.)"""
        from engagement.models import activity_fields  # the tables' module: not needed to read the queries

        if isinstance(data, dict):
            try:
                customer = data.get("customer")
                if not isinstance(customer, str) or customer.strip():  # a blank one is the lookup's to word
                    checks.text("customer", customer, MAX_REF_LENGTH, required=True, strict=True)
                activity_fields(data, default_source=cls.model_fields["source"].default, strict=True)
            except EngagementError as exc:
                raise ValueError(str(exc)) from None
        return data


# -- analysis (engagement/analysis/questions.py) ------------------------------------------------------


class SegmentsQuery(Query):
    """Per segment: the score's distribution and the benchmarks' gaps (compare_segments)."""

    period: PeriodToken = None
    csm_id: CsmRef = None


class CsmsQuery(Query):
    """Per CSM of a team: coverage, scores and the spread (compare_csms)."""

    period: PeriodToken = None
    manager_id: Annotated[
        str | None,
        Field(
            description="A manager's (or CSM's) id or email: their team. Default: the configured user's team, else everyone.",
            max_length=MAX_EMAIL_LENGTH,
        ),
    ] = None
    limit: Limit = 20
    offset: Offset = 0


class OutliersQuery(Query):
    """Accounts unusually low or high within their segment, and effort without score (find_engagement_outliers)."""

    period: PeriodToken = None
    segment: SegmentName = None
    csm_id: CsmRef = None
    threshold: Annotated[
        float, Field(description="Robust standard deviations from the segment's median, 1.5-5.", ge=1.5, le=5)
    ] = 2.5
    limit: Limit = 20
    offset: Offset = 0


class CorrelationQuery(Query):
    """How the score relates to health, renewal or churn (get_engagement_correlation)."""

    outcome: Annotated[Outcome, Field(description="What to correlate the score with.")]
    period: PeriodToken = None
    segment: SegmentName = None
    csm_id: CsmRef = None


class BenchmarkQuery(Query):
    """One account against the median successful account of its segment (benchmark_customer)."""

    customer: CustomerRef
    period: PeriodToken = None


class RecommendationsQuery(Query):
    """One customer's next steps, or the accounts where an hour moves the score most (get_engagement_recommendations)."""

    customer: Annotated[
        str | None,
        Field(description="One customer's id or name: its next steps. Omit for a portfolio's best hours.", max_length=MAX_REF_LENGTH),
    ] = None
    csm_id: CsmRef = None
    period: PeriodToken = None
    limit: Annotated[Limit, Field(description="Accounts per page, 1-500.")] = 10
    offset: Offset = 0

    @model_validator(mode="after")
    def _one_or_many(self) -> RecommendationsQuery:
        if self.customer and self.csm_id:
            raise ValueError("Give customer or csm_id, not both: one account's next steps, or a portfolio's best hours.")
        return self


class CalibrationQuery(Query):
    """Weights fitted to the store's renewals, with held-out correlations (engagement calibrate)."""

    outcome: Annotated[Literal["renewal", "churn"], Field(description="The outcome the score should predict.")]
    period: Annotated[
        str | None,
        Field(description="Only renewals in this period (YYYY-Qn, YYYY-MM, ...); default the last 12 months.", max_length=32),
    ] = None
    folds: Annotated[int, Field(description="Cross-validation folds, 2-20.", ge=2, le=20)] = 5


# -- the daily check and alerts (engagement/alerts/) --------------------------------------------------


class CheckQuery(Query):
    """The daily check takes no parameters: it runs as of the caller's day (run_engagement_check)."""


class AlertsQuery(Query):
    """Alerts of the customers in scope, open first and newest first (list_alerts)."""

    status: Annotated[AlertStatus | None, Field(description="Only alerts in this status. Default: open and acknowledged.")] = None
    csm_id: CsmRef = None
    limit: Limit = 10
    offset: Offset = 0


class AcknowledgeQuery(Query):
    """Mark an open alert as seen (acknowledge_alert)."""

    alert_id: Annotated[int, Field(description="The alert's id, from list_alerts.", ge=1, le=MAX_ALERT_ID)]


class ScoreHistoryQuery(Query):
    """One customer's recorded daily scores (get_score_history)."""

    customer: CustomerRef
    days: Annotated[int, Field(description="Days back from today, 1-90.", ge=1, le=MAX_HISTORY_DAYS)] = 14
