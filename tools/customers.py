"""One customer's engagement: the detail view and its trend over time."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from engagement.periods import Granularity
from engagement.schemas import CustomerEngagement, EngagementTrends
from engagement.service import EngagementService
from tools._common import READ_ONLY, CallerOf, CustomerRef, PeriodToken, description, tool_errors


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    @server.tool(
        name="get_customer_engagement",
        title="Customer engagement detail",
        description=description("get_customer_engagement"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_customer_engagement(customer: CustomerRef, period: PeriodToken = None) -> CustomerEngagement:
        return service.customer(caller_of(), ref=customer, period=period)

    @server.tool(
        name="get_engagement_trends",
        title="Customer engagement trend",
        description=description("get_engagement_trends"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_engagement_trends(
        customer: CustomerRef,
        periods: Annotated[int, Field(description="How many periods, 1-24.", ge=1, le=24)] = 6,
        granularity: Annotated[Granularity, Field(description="month or quarter.")] = "month",
    ) -> EngagementTrends:
        return service.trends(caller_of(), ref=customer, periods=periods, granularity=granularity)
