"""The team server's log, read from a real `engagement serve` process: one line per record, whatever a caller
puts in a path or a tool name, so nobody can write a line that reads as someone else's request."""

from __future__ import annotations

import re
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mcp import Client
from sqlalchemy.engine import Engine

from engagement.settings import Settings
from tests.servers import http_server

pytestmark = pytest.mark.anyio
FORGED = "GET /api/activities 201 user-1 3ms"
ACCESS_LINE = re.compile(r"(GET|POST|DELETE) .+ \d{3} (-|local|user-\d+) \d+ms")


async def test_a_path_or_tool_name_with_control_characters_cannot_forge_a_log_line(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with http_server(settings, log=log, ENGAGEMENT_LOG_LEVEL="INFO") as url:
        for path in (
            f"/nothing%0A{FORGED.replace(' ', '%20')}",
            f"/nothing%0D%0A{FORGED.replace(' ', '%20')}",
            "/customers/%1B%5B2J%1B%5B31m-red",  # ESC: clear the screen, then red
            "/customers/acme%E2%80%AEexe.TXT",  # U+202E: what follows reads backwards
        ):
            http = HTTPConnection(urlsplit(url).netloc, timeout=30)
            http.request("GET", path)
            http.getresponse().read()
            http.close()
        async with Client(url) as client:
            refused = await client.call_tool(f"nope\n{FORGED}", {})
        assert refused.is_error

    lines = log.read_text(encoding="utf-8").splitlines()
    access = [line for line in lines if ACCESS_LINE.fullmatch(line)]
    assert FORGED not in lines and not any(line.startswith(FORGED) for line in lines)
    assert f"GET /nothing\\n{FORGED} 404 local" in "\n".join(access)
    assert f"GET /nothing\\r\\n{FORGED} 404 local" in "\n".join(access)
    assert "GET /customers/\\x1b[2J\\x1b[31m-red " in "\n".join(access)
    assert "GET /customers/acme\\u202eexe.TXT " in "\n".join(access)
    assert not any(char in "\n".join(lines) for char in "\r\x1b\u202e")
    assert any(f"nope\\n{FORGED}" in line for line in lines)  # the tool name, on the SDK's line, on one line
