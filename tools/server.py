"""The MCP server over the engagement core: every tool, the server's instructions, one-line logs without addresses.

`server.py` runs it on stdio; `engagement serve` over streamable HTTP.
"""

from __future__ import annotations

import logging
import re

from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import MCPServer

import prompts
import tools
from engagement.app import create_core, load_settings
from engagement.core import Core
from engagement.settings import Settings
from engagement.text import visible
from tools._common import CallerOf

if TYPE_CHECKING:
    from mcp.server.auth.provider import OAuthAuthorizationServerProvider, TokenVerifier
    from mcp.server.auth.settings import AuthSettings

SERVER_NAME = "engagement-metrics"
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class SafeLogLines(logging.Filter):
    """Every log line is one line, with ids rather than addresses.

    A value from a request (a path, a query, a header, a tool name) may hold CR, LF or other control
    characters: they are written as escapes (engagement.text's one rule), so no caller can start a line
    that reads as another request's. The SDK logs each tool error's text, which may echo what the caller
    sent (a participant, an unknown CSM's email) or list CSMs by email: addresses become `<email>`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = visible(record.getMessage().rstrip("\n"))  # a trailing newline is the format's, not data
        if record.exc_info:  # a traceback's messages too; it is folded into the (redacted) message, lines kept
            message += "\n" + visible(logging.Formatter().formatException(record.exc_info), multiline=True)
            record.exc_info, record.exc_text = None, None
        record.msg, record.args = EMAIL_ADDRESS.sub("<email>", message), ()
        return True


def safe_log_lines() -> None:
    """Put the filter on every handler of the root logger (stderr; stdout is the protocol's)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SafeLogLines) for f in handler.filters):
            handler.addFilter(SafeLogLines())


def create_server(
    settings: Settings | None = None,
    *,
    core: Core | None = None,
    caller_of: CallerOf | None = None,
    auth_server_provider: OAuthAuthorizationServerProvider[Any, Any, Any] | None = None,
    token_verifier: TokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer:
    """The MCP server over the configured store (or `core`). Each tool call asks `caller_of` who asks;
    by default the local user, as of the call's day. With `auth` and `auth_server_provider` (or only a
    `token_verifier`) its HTTP endpoint takes bearer tokens only, checked by the SDK, which with a provider
    also serves OAuth (the team server, web/app.py)."""
    settings = settings or load_settings()
    core = core or create_core(settings)
    server = MCPServer(
        SERVER_NAME,
        instructions=prompts.load("server_instructions"),
        version="0.1.0",
        log_level=settings.log_level,
        auth_server_provider=auth_server_provider,
        token_verifier=token_verifier,
        auth=auth,
    )
    tools.register_all(server, core, caller_of)
    safe_log_lines()  # after MCPServer(): its configure_logging adds the handler when none exists
    return server
