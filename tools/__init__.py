"""MCP tools: each question of the core as a tool whose arguments are its typed query's fields
(tools/_common.py QuestionTool), answering with the core function's model."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from engagement.caller import Caller
from engagement.core import Core
from engagement.access.grants import READ
from tools import activities, alerts, analysis, capture, customers, mcp_prompts, portfolio
from tools._common import CallerOf, requiring


def register_all(server: MCPServer, core: Core, caller_of: CallerOf | None = None) -> None:
    """Every tool on `server`; `caller_of` says who asks in each call (default: the local user, as of today).
    Every tool reads, so its caller needs engagement:read; the tools that write ask for engagement:write too."""
    who = requiring(READ, caller_of or (lambda: Caller.local(core.settings)))
    portfolio.register(server, core, who)
    customers.register(server, core, who)
    activities.register(server, core, who)
    capture.register(server, core, who)
    analysis.register(server, core, who)
    alerts.register(server, core, who)
    mcp_prompts.register(server)
