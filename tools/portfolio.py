"""Portfolio questions: scores across accounts, silent customers, low engagement, finding customers."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.core import Core
from engagement.customer import search
from engagement.portfolio import low_engagement, portfolio
from engagement.queries import LowEngagementQuery, PortfolioQuery, SearchQuery, UncontactedQuery
from engagement.uncontacted import uncontacted
from tools._common import CallerOf, QuestionTool, register_questions

TOOLS = (
    QuestionTool("get_portfolio_engagement", "Portfolio engagement", portfolio, PortfolioQuery),
    QuestionTool("find_uncontacted_customers", "Customers not contacted recently", uncontacted, UncontactedQuery),
    QuestionTool("find_low_engagement_customers", "Low-engagement customers", low_engagement, LowEngagementQuery),
    QuestionTool("search_customers", "Search customers", search, SearchQuery),
)


def register(server: MCPServer, core: Core, caller_of: CallerOf) -> None:
    register_questions(server, core, caller_of, TOOLS)
