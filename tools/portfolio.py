"""Portfolio questions: scores across accounts, silent customers, low engagement, finding customers."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from engagement.engine import EngagementService
from engagement.schemas import CustomerSearch, LowEngagementCustomers, PortfolioEngagement, UncontactedCustomers
from tools._common import READ_ONLY, CsmRef, Limit, Offset, PeriodToken, SegmentName, caller_errors, description

Score = Annotated[float | None, Field(description="Score bound, 0-100.", ge=0, le=100)]


def register(server: MCPServer, service: EngagementService) -> None:
    @server.tool(
        name="get_portfolio_engagement",
        title="Portfolio engagement",
        description=description("get_portfolio_engagement"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def get_portfolio_engagement(
        csm_id: CsmRef = None,
        period: PeriodToken = None,
        segment: SegmentName = None,
        min_score: Score = None,
        max_score: Score = None,
        category: Annotated[
            Literal["high", "healthy", "low", "at_risk"] | None, Field(description="Only this category.")
        ] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> PortfolioEngagement:
        return service.portfolio(csm_id, period, segment, min_score, max_score, category, limit, offset)

    @server.tool(
        name="find_uncontacted_customers",
        title="Customers not contacted recently",
        description=description("find_uncontacted_customers"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def find_uncontacted_customers(
        days: Annotated[int, Field(description="Silent for at least this many days, 1-3650.", ge=1, le=3650)] = 30,
        csm_id: CsmRef = None,
        segment: SegmentName = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> UncontactedCustomers:
        return service.uncontacted(days, csm_id, segment, limit, offset)

    @server.tool(
        name="find_low_engagement_customers",
        title="Low-engagement customers",
        description=description("find_low_engagement_customers"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def find_low_engagement_customers(
        period: PeriodToken = None,
        csm_id: CsmRef = None,
        segment: SegmentName = None,
        threshold: Annotated[float, Field(description="Scores below this, 0-100.", ge=0, le=100)] = 60,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> LowEngagementCustomers:
        return service.low_engagement(period, csm_id, segment, threshold, limit, offset)

    @server.tool(
        name="search_customers",
        title="Search customers",
        description=description("search_customers"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def search_customers(
        query: Annotated[str, Field(description="Part of a customer's name or id.", max_length=200)],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> CustomerSearch:
        return service.search(query, limit, offset)
