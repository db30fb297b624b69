"""Recording touchpoints: the Communicator's way to log what happened with a customer."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from engagement.access.grants import WRITE as WRITE_SCOPE
from engagement.models import MAX_DURATION_MINUTES
from engagement.schemas import LoggedActivity
from engagement.service import EngagementService
from tools._common import (
    ActivityDate,
    ActivityDirection,
    ActivityKind,
    CallerOf,
    CustomerRef,
    DurationMinutes,
    ExternalId,
    Level,
    Participants,
    ResponseHours,
    ResponseReceived,
    Source,
    Subject,
    description,
    requiring,
    tool_errors,
)

# Not idempotent in general: without an external_id each call stores a new touchpoint.
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False)


def register(server: MCPServer, service: EngagementService, caller_of: CallerOf) -> None:
    writer = requiring(WRITE_SCOPE, caller_of)

    @server.tool(name="log_activity", title="Log an activity", description=description("log_activity"), annotations=WRITE)
    @tool_errors
    def log_activity(
        customer: CustomerRef,
        type: Annotated[ActivityKind, Field(description="Kind of touchpoint.")],
        direction: Annotated[ActivityDirection, Field(description="outbound: we reached out.")],
        date: Annotated[ActivityDate, Field(description="ISO 8601 date or date-time; default now. Not in the future.")] = None,
        duration_minutes: Annotated[
            DurationMinutes, Field(description=f"Length, 0-{MAX_DURATION_MINUTES} minutes.")
        ] = None,
        participants: Annotated[Participants, Field(description="Customer-side contacts, emails preferred.")] = None,
        stakeholder_level: Annotated[
            Level, Field(description="Most senior customer-side level; default from the known stakeholders.")
        ] = None,
        response_received: Annotated[
            ResponseReceived, Field(description="For outbound emails: answered? Omit if unknown.")
        ] = None,
        response_time_hours: Annotated[ResponseHours, Field(description="Hours until the answer.")] = None,
        subject: Annotated[Subject, Field(description="Short subject or title.")] = None,
        source: Annotated[Source, Field(description="Where it came from.")] = "agent",
        external_id: Annotated[ExternalId, Field(description="Stable id; the same one twice stores once.")] = None,
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
        return service.log_activity(writer(), customer=customer, activity=raw)
