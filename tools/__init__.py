"""MCP tools: thin adapters that parse arguments, call the engagement service and return its models."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.caller import Caller
from engagement.service import EngagementService
from tools import activities, alerts, analysis, customers, google, mcp_prompts, portfolio
from engagement.access.grants import READ
from tools._common import CallerOf, requiring


def register_all(server: MCPServer, service: EngagementService, caller_of: CallerOf | None = None) -> None:
    """Every tool on `server`; `caller_of` says who asks in each call (default: the local user, as of today).
    Every tool reads, so its caller needs engagement:read; the tools that write ask for engagement:write too."""
    who = requiring(READ, caller_of or (lambda: Caller.local(service.settings)))
    portfolio.register(server, service, who)
    customers.register(server, service, who)
    activities.register(server, service, who)
    google.register(server, service, who)
    analysis.register(server, service, who)
    alerts.register(server, service, who)
    mcp_prompts.register(server)
