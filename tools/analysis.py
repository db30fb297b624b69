"""Analysis tools: segments, CSMs, outliers, correlation with outcomes, benchmarks and next steps.

The analysis code is imported on the first call of one of these tools, not when the server starts.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from engagement.analysis import analysis_of
from engagement.analysis.schemas import (
    CsmComparison,
    CustomerBenchmark,
    EngagementCorrelation,
    EngagementOutliers,
    EngagementRecommendations,
    Outcome,
    SegmentComparison,
)
from engagement.service import EngagementService
from tools._common import READ_ONLY, CallerOf, CsmRef, CustomerRef, Limit, Offset, PeriodToken, SegmentName, description, tool_errors


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    @server.tool(
        name="compare_segments", title="Compare segments", description=description("compare_segments"), annotations=READ_ONLY
    )
    @tool_errors
    def compare_segments(period: PeriodToken = None, csm_id: CsmRef = None) -> SegmentComparison:
        return analysis_of(service).compare_segments(caller_of(), period=period, csm=csm_id)

    @server.tool(name="compare_csms", title="Compare CSMs' coverage", description=description("compare_csms"), annotations=READ_ONLY)
    @tool_errors
    def compare_csms(
        period: PeriodToken = None,
        manager_id: Annotated[
            str | None,
            Field(description="A manager's (or CSM's) id or email: their team. Default: the configured user's team, else everyone.",
                  max_length=320),
        ] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> CsmComparison:
        return analysis_of(service).compare_csms(caller_of(), period=period, manager=manager_id, limit=limit, offset=offset)

    @server.tool(
        name="find_engagement_outliers",
        title="Find engagement outliers",
        description=description("find_engagement_outliers"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def find_engagement_outliers(
        period: PeriodToken = None,
        segment: SegmentName = None,
        csm_id: CsmRef = None,
        threshold: Annotated[
            float, Field(description="Robust standard deviations from the segment's median, 1.5-5.", ge=1.5, le=5)
        ] = 2.5,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> EngagementOutliers:
        return analysis_of(service).outliers(caller_of(), period=period, segment=segment, csm=csm_id, threshold=threshold, limit=limit, offset=offset)

    @server.tool(
        name="get_engagement_correlation",
        title="Engagement vs health and retention",
        description=description("get_engagement_correlation"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_engagement_correlation(
        outcome: Annotated[Outcome, Field(description="What to correlate the score with.")],
        period: PeriodToken = None,
        segment: SegmentName = None,
        csm_id: CsmRef = None,
    ) -> EngagementCorrelation:
        return analysis_of(service).correlation(caller_of(), outcome=outcome, period=period, segment=segment, csm=csm_id)

    @server.tool(
        name="benchmark_customer",
        title="Benchmark a customer",
        description=description("benchmark_customer"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def benchmark_customer(customer: CustomerRef, period: PeriodToken = None) -> CustomerBenchmark:
        return analysis_of(service).benchmark(caller_of(), ref=customer, period=period)

    @server.tool(
        name="get_engagement_recommendations",
        title="Engagement next steps",
        description=description("get_engagement_recommendations"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_engagement_recommendations(
        customer: Annotated[
            str | None,
            Field(description="One customer's id or name: its next steps. Omit for a portfolio's best hours.", max_length=200),
        ] = None,
        csm_id: CsmRef = None,
        period: PeriodToken = None,
        limit: Annotated[Limit, Field(description="Accounts per page, 1-500.")] = 10,
        offset: Offset = 0,
    ) -> EngagementRecommendations:
        return analysis_of(service).recommendations(caller_of(), customer=customer, csm=csm_id, period=period, limit=limit, offset=offset)
