"""`python server.py`: the MCP server on stdio, what Claude Desktop and Claude Code start.

The server itself is `tools.server.create_server(settings)`; `engagement serve` serves the same over
streamable HTTP at /mcp.
"""

from __future__ import annotations

import gc
import logging
import sys

if __name__ == "__main__":
    # Start-up builds ~140,000 objects that live as long as the process (pydantic and SQLAlchemy
    # classes); the ~350 collections the imports would trigger free about 2,000 of them, and cost
    # ~0.1 s of a cold start. main() freezes what start-up made and turns the collector back on.
    gc.disable()

from engagement.app import load_settings
from engagement.errors import ConfigError
from tools.server import create_server

__all__ = ["create_server", "main"]


def main() -> None:
    try:
        settings = load_settings()
        # stdout carries the protocol; every log line goes to stderr.
        logging.basicConfig(stream=sys.stderr, level=settings.log_level)
        server = create_server(settings)
    except ConfigError as exc:  # one line on stderr (Claude shows it in the server log), no traceback
        sys.stderr.write(f"engagement-metrics: {exc}\n")
        raise SystemExit(1) from None
    gc.freeze()  # start-up's objects live as long as the process: later collections skip them
    gc.enable()
    server.run("stdio")


if __name__ == "__main__":
    main()
