"""One tool's first answer in a new process: `python -m bench.first TOOL JSON_ARGUMENTS` over the store its
environment names (ENGAGEMENT_DATABASE_URL, ENGAGEMENT_AS_OF), after the imports and the server's set-up
(the cold start is measured apart). Prints {"first_s": ..., "warm_s": ..., "error": ...} as JSON.

What a conversation's first question waits for once the server is up: the MCP server's own handling of
the call (arguments checked, the answer built and serialised), without a client's validation of it.
"""

from __future__ import annotations

import json
import sys
import time

import anyio


async def main(tool: str, arguments: dict[str, object]) -> None:
    from engagement import snapshots
    from server import create_server

    server = create_server()
    start = time.perf_counter()
    answer = await server.call_tool(tool, arguments)
    first = time.perf_counter() - start
    start = time.perf_counter()
    await server.call_tool(tool, arguments)
    warm = time.perf_counter() - start
    snapshots.wait_saved()
    error = getattr(answer, "is_error", False)
    print(json.dumps({"first_s": first, "warm_s": warm, "error": bool(error)}))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], json.loads(sys.argv[2]))
