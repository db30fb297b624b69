"""Mail and calendar capture as MCP tools: sync every connected provider (Google Workspace, Microsoft 365), or
Google alone under its older name, and see each source's status and the team's engagement visibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from engagement.access.grants import WRITE
from engagement.app import capture_sync, google_sync
from engagement.capture.report import SyncReport, SyncStatus
from engagement.core import Core
from engagement.query import CsmRef
from tools._common import READ_ONLY, CallerOf, description, requiring, tool_errors

if TYPE_CHECKING:
    from engagement.capture.sync import CaptureSync

# Writes activities, but the same mail and events give the same store: idempotent. Reads the providers: open world.
SYNC = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=True)


def register(
    server: MCPServer, core: Core, caller_of: CallerOf,
    sync_of: Callable[[], CaptureSync] | None = None, google_of: Callable[[], CaptureSync] | None = None,
) -> None:  # fmt: skip
    """`sync_of` gives the sync of every provider (default: the core's, made at the first call by
    engagement.app, so no provider's modules are imported at start); `google_of` Google's alone (default:
    `sync_of` when given, else the core's). Both syncs write: their caller needs engagement:write."""
    everything = sync_of or (lambda: capture_sync(core))
    google = google_of or sync_of or (lambda: google_sync(core))
    writer = requiring(WRITE, caller_of)

    @server.tool(
        name="sync_email_and_calendar",
        title="Sync email and calendar",
        description=description("sync_email_and_calendar"),
        annotations=SYNC,
    )
    @tool_errors
    def sync_email_and_calendar(csm: CsmRef = None) -> SyncReport:
        return everything().run(csm, writer())

    @server.tool(
        name="sync_google_workspace",
        title="Sync Gmail and Google Calendar",
        description=description("sync_google_workspace"),
        annotations=SYNC,
    )
    @tool_errors
    def sync_google_workspace(csm: CsmRef = None) -> SyncReport:
        return google().run(csm, writer())

    @server.tool(
        name="get_sync_status",
        title="Capture status and engagement visibility",
        description=description("get_sync_status"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_sync_status() -> SyncStatus:
        return everything().status(caller_of())
