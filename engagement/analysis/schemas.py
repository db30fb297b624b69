"""What the analysis tools answer: pydantic models every edge returns as they are.

Imported when the server registers its tools (their output schemas), so this module imports
nothing heavier than pydantic and the core's own answer models.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from engagement.schemas import CategoryCount, Page, PeriodInfo

Outcome = Literal["health", "renewal", "churn"]


# -- compare_segments -------------------------------------------------------------------------------
class ScoreDistribution(BaseModel):
    mean: float
    median: float
    q1: float = Field(description="25th percentile.")
    q3: float = Field(description="75th percentile.")


class ActivityVsBenchmark(BaseModel):
    measure: Literal["meetings_per_quarter", "emails_per_month", "engagement_score"]
    median_account: float = Field(description="The median account's level (rates scaled to the period's length).")
    benchmark_low: float
    benchmark_high: float
    gap: float = Field(description="Median minus the benchmark's low end when below it, minus its high end when above; 0 within.")
    accounts_below: int
    accounts_within: int
    accounts_above: int
    reading: str


class SegmentRow(BaseModel):
    segment: str
    accounts: int
    score: ScoreDistribution | None = Field(description="Null when the segment has no accounts here.")
    categories: list[CategoryCount]
    benchmarks: list[ActivityVsBenchmark] = Field(description="Empty when no benchmark is configured for the segment.")


class SegmentComparison(BaseModel):
    period: PeriodInfo
    scope: str
    segments: list[SegmentRow]


# -- compare_csms -----------------------------------------------------------------------------------
class CsmRow(BaseModel):
    csm_id: str
    name: str
    accounts: int
    average_score: float
    average_change: float = Field(description="Average score minus the previous period's average.")
    at_risk: int
    uncontacted_30_days: int = Field(description="Accounts with no contact for 30+ days to the period's end, or never.")
    touchpoints_per_account: float = Field(description="Emails, meetings, calls and messages in the period, per account.")
    executive_coverage: float = Field(description="Percent of accounts with an executive touchpoint in the period.")
    response_rate: float | None = Field(description="Percent of outbound emails with a known outcome that were answered.")


class Spread(BaseModel):
    measure: str
    lowest: float
    median: float
    highest: float
    lowest_csm: str
    highest_csm: str


class CsmComparison(BaseModel):
    period: PeriodInfo
    scope: str
    csms: list[CsmRow] = Field(description="Lowest average score first.")
    spread: list[Spread] = Field(description="Across every CSM of the scope, not only this page.")
    uneven: list[str] = Field(description="Where coverage is not consistent: CSMs far from the team's median.")
    page: Page


# -- find_engagement_outliers -----------------------------------------------------------------------
class SegmentBaseline(BaseModel):
    segment: str
    accounts: int
    median_score: float
    robust_sd: float = Field(description="MAD x 1.4826: the spread a normal segment's standard deviation would have.")
    low_below: float | None = Field(
        description="Scores at or below this are unusually low; null when the segment is too small or no score can be."
    )
    high_above: float | None


class Outlier(BaseModel):
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    engagement_score: float
    kind: Literal["unusually_low", "unusually_high", "effort_without_score"]
    robust_z: float = Field(description="Distance from the segment's median score in robust standard deviations.")
    reason: str = Field(description="The number that makes it an outlier.")


class EngagementOutliers(BaseModel):
    period: PeriodInfo
    scope: str
    threshold: float = Field(description="|robust z| at or above which a score is unusual.")
    baselines: list[SegmentBaseline]
    outliers: list[Outlier] = Field(description="Unusually low first (furthest first), then high, then effort without score.")
    page: Page


# -- get_engagement_correlation ---------------------------------------------------------------------
class CorrelationResult(BaseModel):
    method: Literal["pearson", "spearman", "point_biserial"]
    r: float
    n: int
    p_value: float
    ci_low: float = Field(description="95% confidence interval (Fisher z).")
    ci_high: float


class ComponentCorrelation(BaseModel):
    component: str
    r: float | None = Field(description="Null when the component does not vary across these accounts.")
    p_value: float | None


class RenewalCohort(BaseModel):
    renewal_quarter: str
    scored_on: str = Field(description="The quarter before the renewal quarter, whose scores are used.")
    accounts: int
    renewed: int
    churned: int
    mean_score_renewed: float | None
    mean_score_churned: float | None


class EngagementCorrelation(BaseModel):
    outcome: Outcome
    scope: str
    scored_on: str = Field(description="Which period's scores were correlated.")
    accounts: int = Field(description="Accounts with a known outcome that were used.")
    enough_data: bool = Field(description="False: fewer than 10 accounts or no variation; no numbers are given.")
    reading: str = Field(description="The answer in one line.")
    correlations: list[CorrelationResult]
    components: list[ComponentCorrelation] = Field(description="Strongest first: which components drive it.")
    cohorts: list[RenewalCohort] = Field(description="Renewal and churn only: accounts by renewal quarter.")
    left_out: str | None = Field(description="Accounts left out and why.")


# -- benchmark_customer -----------------------------------------------------------------------------
class ComponentGap(BaseModel):
    component: str
    customer: float
    successful_median: float
    gap: float = Field(description="Customer minus the successful accounts' median, 0..100 scale.")
    score_points: float = Field(description="The gap times the component's weight: points of score.")


class MetricGap(BaseModel):
    metric: str
    customer: float | None
    successful_median: float | None


class CustomerBenchmark(BaseModel):
    customer_id: str
    name: str
    segment: str
    period: PeriodInfo
    engagement_score: float
    successful_accounts: int = Field(description="Accounts of the segment that renewed or have health >= 70.")
    successful_median_score: float | None
    enough_data: bool
    reading: str
    components: list[ComponentGap] = Field(description="Furthest behind first (in score points).")
    metrics: list[MetricGap]


# -- get_engagement_recommendations -----------------------------------------------------------------
class Recommendation(BaseModel):
    kind: Literal[
        "meetings_below_benchmark", "emails_below_benchmark", "no_executive_touchpoint", "champion_quiet",
        "response_rate_falling", "stakeholder_not_contacted", "over_engaged", "single_threaded",
    ]
    action: str
    reason: str
    number: float = Field(description="The number behind it (see reason).")


class AccountOpportunity(BaseModel):
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    engagement_score: float
    best_hour: Literal["one_meeting", "six_emails"] = Field(description="What an hour of the CSM's time buys most here.")
    score_gain: float = Field(description="Points the score would rise, with the same weights and clamps.")
    score_after: float
    reason: str


class CustomerRecommendations(BaseModel):
    customer_id: str
    name: str
    segment: str
    engagement_score: float
    steps: list[Recommendation] = Field(description="Most pressing first; empty when nothing needs doing.")
    score_gain_of_an_hour: float
    best_hour: Literal["one_meeting", "six_emails"]


class EngagementRecommendations(BaseModel):
    period: PeriodInfo
    scope: str
    customer: CustomerRecommendations | None = Field(description="When a customer was asked about.")
    accounts: list[AccountOpportunity] = Field(description="For a portfolio: where an hour moves the score most, first.")
    page: Page | None = Field(description="For a portfolio.")


# -- engagement calibrate ---------------------------------------------------------------------------
class Calibration(BaseModel):
    outcome: Literal["renewal", "churn"]
    as_of: dt.date
    accounts: int
    positives: int = Field(description="Accounts with the outcome (renewed, or churned).")
    folds: int
    current_weights: dict[str, float]
    fitted_weights: dict[str, float]
    before: CorrelationResult = Field(description="The current weights' correlation with the outcome (nothing fitted).")
    after: CorrelationResult = Field(description="Fitted weights, each account scored by weights fitted without it (k-fold).")
    reading: str
    written_to: str | None = None
