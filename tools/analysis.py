"""Analysis tools: segments, CSMs, outliers, correlation with outcomes, benchmarks and next steps.

The analysis code is imported on the first call of one of these tools, not when the server starts
(engagement/analysis/calls.py).
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.analysis import calls
from engagement.core import Core
from engagement.queries import (
    BenchmarkQuery,
    CorrelationQuery,
    CsmsQuery,
    OutliersQuery,
    RecommendationsQuery,
    SegmentsQuery,
)
from tools._common import CallerOf, QuestionTool, register_questions

TOOLS = (
    QuestionTool("compare_segments", "Compare segments", calls.compare_segments, SegmentsQuery),
    QuestionTool("compare_csms", "Compare CSMs' coverage", calls.compare_csms, CsmsQuery),
    QuestionTool("find_engagement_outliers", "Find engagement outliers", calls.engagement_outliers, OutliersQuery),
    QuestionTool(
        "get_engagement_correlation", "Engagement vs health and retention", calls.engagement_correlation, CorrelationQuery
    ),
    QuestionTool("benchmark_customer", "Benchmark a customer", calls.benchmark_customer, BenchmarkQuery),
    QuestionTool("get_engagement_recommendations", "Engagement next steps", calls.recommendations, RecommendationsQuery),
)


def register(server: MCPServer, core: Core, caller_of: CallerOf) -> None:
    register_questions(server, core, caller_of, TOOLS)
