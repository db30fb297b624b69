# mypy: disable-error-code="empty-body"
"""The analysis questions as every edge calls them: each imports engagement.analysis.questions (numpy
work, scipy's distributions) at its first call, not at the server's start."""

from __future__ import annotations

from engagement.analysis.schemas import (
    Calibration,
    CsmComparison,
    CustomerBenchmark,
    EngagementCorrelation,
    EngagementOutliers,
    EngagementRecommendations,
    SegmentComparison,
)
from engagement.caller import Caller
from engagement.core import Core
from engagement.lazy import lazily
from engagement.queries import (
    BenchmarkQuery,
    CalibrationQuery,
    CorrelationQuery,
    CsmsQuery,
    OutliersQuery,
    RecommendationsQuery,
    SegmentsQuery,
)

QUESTIONS = "engagement.analysis.questions"


@lazily(QUESTIONS)
def compare_segments(core: Core, caller: Caller, q: SegmentsQuery) -> SegmentComparison: ...
@lazily(QUESTIONS)
def compare_csms(core: Core, caller: Caller, q: CsmsQuery) -> CsmComparison: ...
@lazily(QUESTIONS)
def engagement_outliers(core: Core, caller: Caller, q: OutliersQuery) -> EngagementOutliers: ...
@lazily(QUESTIONS)
def engagement_correlation(core: Core, caller: Caller, q: CorrelationQuery) -> EngagementCorrelation: ...
@lazily(QUESTIONS)
def benchmark_customer(core: Core, caller: Caller, q: BenchmarkQuery) -> CustomerBenchmark: ...
@lazily(QUESTIONS)
def recommendations(core: Core, caller: Caller, q: RecommendationsQuery) -> EngagementRecommendations: ...
@lazily(QUESTIONS)
def calibration(core: Core, caller: Caller, q: CalibrationQuery) -> Calibration: ...
