"""One customer's engagement: the detail view and its trend over time."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from engagement.engine import EngagementService
from engagement.schemas import CustomerEngagement, EngagementTrends
from tools._common import READ_ONLY, CustomerRef, PeriodToken, caller_errors, description


def register(server: MCPServer, service: EngagementService) -> None:
    @server.tool(
        name="get_customer_engagement",
        title="Customer engagement detail",
        description=description("get_customer_engagement"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def get_customer_engagement(customer: CustomerRef, period: PeriodToken = None) -> CustomerEngagement:
        return service.customer(customer, period)

    @server.tool(
        name="get_engagement_trends",
        title="Customer engagement trend",
        description=description("get_engagement_trends"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def get_engagement_trends(
        customer: CustomerRef,
        periods: Annotated[int, Field(description="How many periods, 1-24.", ge=1, le=24)] = 6,
        granularity: Annotated[Literal["month", "quarter"], Field(description="month or quarter.")] = "month",
    ) -> EngagementTrends:
        return service.trends(customer, periods, granularity)
