"""Portfolio questions: scores across accounts, silent customers, low engagement, finding customers."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from engagement.schemas import CustomerSearch, LowEngagementCustomers, PortfolioEngagement, UncontactedCustomers
from engagement.scoring import Category
from engagement.service import EngagementService
from tools._common import READ_ONLY, CallerOf, CsmRef, Limit, Offset, PeriodToken, SegmentName, description, tool_errors

Score = Annotated[float | None, Field(description="Score bound, 0-100.", ge=0, le=100)]


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    @server.tool(
        name="get_portfolio_engagement",
        title="Portfolio engagement",
        description=description("get_portfolio_engagement"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_portfolio_engagement(
        csm_id: CsmRef = None,
        period: PeriodToken = None,
        segment: SegmentName = None,
        min_score: Score = None,
        max_score: Score = None,
        category: Annotated[Category | None, Field(description="Only this category.")] = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> PortfolioEngagement:
        return service.portfolio(
            caller_of(), csm=csm_id, period=period, segment=segment, min_score=min_score, max_score=max_score,
            category=category, limit=limit, offset=offset,
        )

    @server.tool(
        name="find_uncontacted_customers",
        title="Customers not contacted recently",
        description=description("find_uncontacted_customers"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def find_uncontacted_customers(
        days: Annotated[int, Field(description="Silent for at least this many days, 1-3650.", ge=1, le=3650)] = 30,
        csm_id: CsmRef = None,
        segment: SegmentName = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> UncontactedCustomers:
        return service.uncontacted(caller_of(), days=days, csm=csm_id, segment=segment, limit=limit, offset=offset)

    @server.tool(
        name="find_low_engagement_customers",
        title="Low-engagement customers",
        description=description("find_low_engagement_customers"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def find_low_engagement_customers(
        period: PeriodToken = None,
        csm_id: CsmRef = None,
        segment: SegmentName = None,
        threshold: Annotated[float, Field(description="Scores below this, 0-100.", ge=0, le=100)] = 60,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> LowEngagementCustomers:
        return service.low_engagement(
            caller_of(), period=period, csm=csm_id, segment=segment, threshold=threshold, limit=limit, offset=offset
        )

    @server.tool(
        name="search_customers",
        title="Search customers",
        description=description("search_customers"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def search_customers(
        query: Annotated[str, Field(description="Part of a customer's name or id.", max_length=200)],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> CustomerSearch:
        return service.search(caller_of(), query=query, limit=limit, offset=offset)
