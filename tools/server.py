"""The MCP server over the engagement service: every tool, the server's instructions, logs without addresses.

`server.py` runs it on stdio; `engagement serve` over streamable HTTP.
"""

from __future__ import annotations

import logging
import re

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

import prompts
import tools
from engagement.app import create_service, load_settings
from engagement.service import EngagementService
from engagement.settings import Settings
from tools._common import CallerOf

if TYPE_CHECKING:
    from mcp.server.auth.provider import OAuthAuthorizationServerProvider, TokenVerifier
    from mcp.server.auth.settings import AuthSettings

SERVER_NAME = "engagement-metrics"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class RedactAddresses(logging.Filter):
    """Logs carry ids, not addresses: the SDK logs each tool error's text, which may echo what the
    caller sent (a participant, an unknown CSM's email) or list CSMs by email."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:  # a traceback's messages too; it is folded into the (redacted) message
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = EMAIL_ADDRESS.sub("<email>", message), ()
        return True


def redact_log_addresses() -> None:
    """Put the redaction on every handler of the root logger (stderr; stdout is the protocol's)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactAddresses) for f in handler.filters):
            handler.addFilter(RedactAddresses())


def create_server(
    settings: Settings | None = None,
    *,
    service: EngagementService | None = None,
    caller_of: CallerOf | None = None,
    auth_server_provider: OAuthAuthorizationServerProvider[Any, Any, Any] | None = None,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer:
    """The MCP server over the configured store (or `service`). Each tool call asks `caller_of` who asks;
    by default the local user, as of the call's day. With `auth` and `auth_server_provider` (or only a
    `token_verifier`) its HTTP endpoint takes bearer tokens only, checked by the SDK, which with a provider
    also serves OAuth (the team server, web/app.py)."""
    settings = settings or load_settings()
    service = service or create_service(settings)
    server = MCPServer(
        SERVER_NAME,
        instructions=prompts.load("server_instructions"),
        version="0.1.0",
        log_level=settings.log_level,
        auth_server_provider=auth_server_provider,
        token_verifier=token_verifier,
        auth=auth,
    )
    tools.register_all(server, service, caller_of)
    redact_log_addresses()  # after MCPServer(): its configure_logging adds the handler when none exists
    return server
