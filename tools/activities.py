"""Recording touchpoints: the Communicator's way to log what happened with a customer."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from engagement.models import MAX_PARTICIPANTS, MAX_SUBJECT_LENGTH, ActivityType, Direction, StakeholderLevel
from engagement.schemas import LoggedActivity
from engagement.service import EngagementService
from tools._common import CallerOf, CustomerRef, description, tool_errors

# Not idempotent in general: without an external_id each call stores a new touchpoint.
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False)


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    @server.tool(name="log_activity", title="Log an activity", description=description("log_activity"), annotations=WRITE)
    @tool_errors
    def log_activity(
        customer: CustomerRef,
        type: Annotated[ActivityType, Field(description="Kind of touchpoint.")],
        direction: Annotated[Direction, Field(description="outbound: we reached out.")],
        date: Annotated[
            str | None, Field(description="ISO 8601 date or date-time; default now. Not in the future.", max_length=40)
        ] = None,
        duration_minutes: Annotated[float | None, Field(description="Length, 0-1440 minutes.", ge=0, le=1440)] = None,
        participants: Annotated[
            list[Annotated[str, Field(max_length=320)]] | None,
            Field(description="Customer-side contacts, emails preferred.", max_length=MAX_PARTICIPANTS),
        ] = None,
        stakeholder_level: Annotated[
            StakeholderLevel | None,
            Field(description="Most senior customer-side level; default from the known stakeholders."),
        ] = None,
        response_received: Annotated[
            bool | None, Field(description="For outbound emails: answered? Omit if unknown.")
        ] = None,
        response_time_hours: Annotated[float | None, Field(description="Hours until the answer.", ge=0, le=8784)] = None,
        subject: Annotated[str | None, Field(description="Short subject or title.", max_length=MAX_SUBJECT_LENGTH)] = None,
        source: Annotated[str, Field(description="Where it came from.", min_length=1, max_length=32)] = "agent",
        external_id: Annotated[
            str | None, Field(description="Stable id; the same one twice stores once.", max_length=512)
        ] = None,
    ) -> LoggedActivity:
        raw = {
            "type": type,
            "direction": direction,
            "date": date,
            "duration_minutes": duration_minutes,
            "participants": participants,
            "stakeholder_level": stakeholder_level,
            "response_received": response_received,
            "response_time_hours": response_time_hours,
            "subject": subject,
            "source": source,
            "external_id": external_id,
        }
        return service.log_activity(caller_of(), customer=customer, activity=raw)
