"""The daily check and its alerts: run it, list and acknowledge alerts, read a customer's score history."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from engagement.access.grants import WRITE
from engagement.alerts import queries
from engagement.alerts.schemas import AlertList, AlertRow, AlertStatus, CheckReport, ScoreHistoryAnswer
from engagement.service import EngagementService
from tools._common import READ_ONLY, CallerOf, CsmRef, CustomerRef, Limit, Offset, description, requiring, tool_errors

# Writes the day's history and alerts; the same day again writes nothing new.
WRITE_ONCE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False)


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    writer = requiring(WRITE, caller_of)

    @server.tool(
        name="run_engagement_check",
        title="Run the daily engagement check",
        description=description("run_engagement_check"),
        annotations=WRITE_ONCE,
    )
    @tool_errors
    def run_engagement_check() -> CheckReport:
        from engagement.alerts.check import run_check  # the check's code is loaded at its first run

        return run_check(service, writer())

    @server.tool(name="list_alerts", title="List engagement alerts", description=description("list_alerts"), annotations=READ_ONLY)
    @tool_errors
    def list_alerts(
        status: Annotated[
            AlertStatus | None,
            Field(description="Only alerts in this status. Default: open and acknowledged."),
        ] = None,
        csm_id: CsmRef = None,
        limit: Limit = 10,
        offset: Offset = 0,
    ) -> AlertList:
        return queries.list_alerts(service, caller_of(), status=status, csm=csm_id, limit=limit, offset=offset)

    @server.tool(
        name="acknowledge_alert", title="Acknowledge an alert", description=description("acknowledge_alert"), annotations=WRITE_ONCE
    )
    @tool_errors
    def acknowledge_alert(
        alert_id: Annotated[int, Field(description="The alert's id, from list_alerts.", ge=1, le=queries.MAX_ALERT_ID)],
    ) -> AlertRow:
        return queries.acknowledge(service, writer(), alert_id=alert_id)

    @server.tool(
        name="get_score_history", title="Customer score history", description=description("get_score_history"), annotations=READ_ONLY
    )
    @tool_errors
    def get_score_history(
        customer: CustomerRef,
        days: Annotated[int, Field(description="Days back from today, 1-90.", ge=1, le=queries.MAX_HISTORY_DAYS)] = 14,
    ) -> ScoreHistoryAnswer:
        return queries.score_history(service, caller_of(), ref=customer, days=days)
