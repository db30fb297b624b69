"""Google Workspace capture as MCP tools: run a sync of every connected mailbox and calendar, see its status."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from engagement.access.grants import WRITE
from engagement.app import google_sync
from engagement.capture.report import SyncReport, SyncStatus
from engagement.core import Core
from engagement.query import CsmRef
from tools._common import READ_ONLY, CallerOf, description, requiring, tool_errors

if TYPE_CHECKING:
    from engagement.capture.google.provider import GoogleSync

# Writes activities, but the same mail and events give the same store: idempotent. Reads Google: open world.
SYNC = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=True)


def register(
    server: MCPServer, core: Core, caller_of: CallerOf, sync_of: Callable[[], GoogleSync] | None = None
) -> None:
    """`sync_of` gives the sync to run (default: the core's, made at the first Google tool call by
    engagement.app, so its modules are not imported at start)."""
    sync = sync_of or (lambda: google_sync(core))
    writer = requiring(WRITE, caller_of)

    @server.tool(
        name="sync_google_workspace",
        title="Sync Gmail and Calendar",
        description=description("sync_google_workspace"),
        annotations=SYNC,
    )
    @tool_errors
    def sync_google_workspace(csm: CsmRef = None) -> SyncReport:
        return sync().run(csm, writer())

    @server.tool(
        name="get_sync_status",
        title="Google sync status",
        description=description("get_sync_status"),
        annotations=READ_ONLY,
    )
    @tool_errors
    def get_sync_status() -> SyncStatus:
        return sync().status(caller_of())
