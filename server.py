"""The MCP server's composition root: `create_server(settings)` wires store, engine and tools.

`python server.py` serves on stdio (what Claude Desktop and Claude Code start); `engagement serve`
serves the same over streamable HTTP at /mcp.
"""

from __future__ import annotations

import gc
import logging
import re
import sys

if __name__ == "__main__":
    # Start-up builds ~140,000 objects that live as long as the process (pydantic and SQLAlchemy
    # classes); the ~350 collections the imports would trigger free about 2,000 of them, and cost
    # ~0.1 s of a cold start. main() freezes what start-up made and turns the collector back on.
    gc.disable()

from mcp.server.mcpserver import MCPServer

import prompts
import tools
from engagement.db import create_tables, make_engine
from engagement.engine import EngagementService
from engagement.scoring import load_scoring_config
from engagement.settings import Settings

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


def create_service(settings: Settings) -> EngagementService:
    """The engine over the configured store, its tables created if missing."""
    scoring = load_scoring_config(settings.weights_file)
    engine = make_engine(settings.resolved_database_url())
    create_tables(engine)
    return EngagementService(engine, settings, scoring)


def create_server(settings: Settings | None = None) -> MCPServer:
    settings = settings or Settings()
    service = create_service(settings)
    server = MCPServer(
        SERVER_NAME,
        instructions=prompts.load("server_instructions"),
        version="0.1.0",
        log_level=settings.log_level,
    )
    tools.register_all(server, service)
    redact_log_addresses()  # after MCPServer(): its configure_logging adds the handler when none exists
    return server


def main() -> None:
    settings = Settings()
    # stdout carries the protocol; every log line goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=settings.log_level)
    server = create_server(settings)
    gc.freeze()  # start-up's objects live as long as the process: later collections skip them
    gc.enable()
    server.run("stdio")


if __name__ == "__main__":
    main()
