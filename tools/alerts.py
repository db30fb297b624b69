"""The daily check and its alerts: run it, list and acknowledge alerts, read a customer's score history."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from engagement.alerts.questions import acknowledge, list_alerts, run_check, score_history
from engagement.core import Core
from engagement.queries import AcknowledgeQuery, AlertsQuery, CheckQuery, ScoreHistoryQuery
from tools._common import CallerOf, QuestionTool, register_questions

# Writes the day's history and alerts; the same day again writes nothing new.
WRITE_ONCE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False)

TOOLS = (
    QuestionTool("run_engagement_check", "Run the daily engagement check", run_check, CheckQuery, WRITE_ONCE),
    QuestionTool("list_alerts", "List engagement alerts", list_alerts, AlertsQuery),
    QuestionTool("acknowledge_alert", "Acknowledge an alert", acknowledge, AcknowledgeQuery, WRITE_ONCE),
    QuestionTool("get_score_history", "Customer score history", score_history, ScoreHistoryQuery),
)


def register(server: MCPServer, core: Core, caller_of: CallerOf) -> None:
    register_questions(server, core, caller_of, TOOLS)
