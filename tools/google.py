"""Google Workspace capture as MCP tools: run a sync of every connected mailbox and calendar, see its status."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from engagement.engine import EngagementService
from engagement.google.report import SyncReport, SyncStatus
from tools._common import READ_ONLY, CsmRef, caller_errors, description

if TYPE_CHECKING:
    from engagement.google.sync import GoogleSync

# Writes activities, but the same mail and events give the same store: idempotent. Reads Google: open world.
SYNC = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=True)


def register(server: MCPServer, service: EngagementService, sync: GoogleSync | None = None) -> None:
    made: list[GoogleSync] = [sync] if sync is not None else []
    lock = threading.Lock()

    def runner() -> GoogleSync:
        """The sync, made at the first Google tool call: its modules are not imported at start."""
        with lock:
            if not made:
                from engagement.google.sync import GoogleSync

                made.append(GoogleSync(service.engine, service.settings))
            return made[0]

    @server.tool(
        name="sync_google_workspace",
        title="Sync Gmail and Calendar",
        description=description("sync_google_workspace"),
        annotations=SYNC,
    )
    @caller_errors
    def sync_google_workspace(csm: CsmRef = None) -> SyncReport:
        return runner().run(csm)

    @server.tool(
        name="get_sync_status",
        title="Google sync status",
        description=description("get_sync_status"),
        annotations=READ_ONLY,
    )
    @caller_errors
    def get_sync_status() -> SyncStatus:
        return runner().status()
