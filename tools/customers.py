"""One customer's engagement: the detail view and its trend over time."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.core import Core
from engagement.customer import customer, trends
from engagement.queries import CustomerQuery, TrendsQuery
from tools._common import CallerOf, QuestionTool, register_questions

TOOLS = (
    QuestionTool("get_customer_engagement", "Customer engagement detail", customer, CustomerQuery),
    QuestionTool("get_engagement_trends", "Customer engagement trend", trends, TrendsQuery),
)


def register(server: MCPServer, core: Core, caller_of: CallerOf) -> None:
    register_questions(server, core, caller_of, TOOLS)
