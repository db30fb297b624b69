"""MCP tools: thin adapters that parse arguments, call the engagement service and return its models."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.engine import EngagementService
from tools import activities, customers, google, mcp_prompts, portfolio


def register_all(server: MCPServer, service: EngagementService) -> None:
    portfolio.register(server, service)
    customers.register(server, service)
    activities.register(server, service)
    google.register(server, service)
    mcp_prompts.register(server)
