"""Recording touchpoints: the Communicator's way to log what happened with a customer."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from engagement.activities import log_activity
from engagement.core import Core
from engagement.queries import LogActivityQuery
from tools._common import CallerOf, QuestionTool, register_questions

# Not idempotent in general: without an external_id each call stores a new touchpoint.
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False)

TOOLS = (QuestionTool("log_activity", "Log an activity", log_activity, LogActivityQuery, WRITE),)


def register(server: MCPServer, core: Core, caller_of: CallerOf) -> None:
    register_questions(server, core, caller_of, TOOLS)
