"""On stdio, stdout carries nothing but JSON-RPC; logs, even at DEBUG, go to stderr.

Driven byte by byte (not through the SDK client, which would skip a stray line) the way Claude
Desktop drives it: initialize, initialized, tools/list, a failing and a succeeding tools/call.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import ByteReceiveStream
from anyio.streams.buffered import BufferedByteReceiveStream

from engagement.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anyio


def request(id: int, method: str, params: dict[str, Any] | None = None) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message).encode() + b"\n"


async def drain(stream: ByteReceiveStream, into: list[bytes]) -> None:
    async for chunk in stream:
        into.append(chunk)


async def test_stdout_carries_only_json_rpc_while_logs_go_to_stderr(demo_settings: Settings) -> None:
    env = {
        **os.environ,
        "ENGAGEMENT_DATABASE_URL": demo_settings.resolved_database_url(),
        "ENGAGEMENT_AS_OF": str(demo_settings.as_of),
        "ENGAGEMENT_LOG_LEVEL": "DEBUG",
    }
    stdout_lines: list[bytes] = []
    stderr_chunks: list[bytes] = []
    with anyio.fail_after(60):
        async with await anyio.open_process([sys.executable, str(ROOT / "server.py")], cwd=ROOT, env=env) as process:
            assert process.stdin and process.stdout and process.stderr
            async with anyio.create_task_group() as tasks:
                # stderr must be read all along: a DEBUG server fills a pipe buffer quickly.
                tasks.start_soon(drain, process.stderr, stderr_chunks)
                lines = BufferedByteReceiveStream(process.stdout)

                async def answer_to(id: int) -> dict[str, Any]:
                    while True:  # notifications may come first; every line is checked below
                        line = await lines.receive_until(b"\n", 10_000_000)
                        stdout_lines.append(line)
                        try:
                            message = json.loads(line)
                        except json.JSONDecodeError:
                            continue  # reported with the other lines below
                        if isinstance(message, dict) and message.get("id") == id:
                            return message

                # 2025-06-18 is a handshake version Claude Desktop speaks.
                client = {"name": "contract-test", "version": "0"}
                init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
                await process.stdin.send(request(1, "initialize", init))
                assert "result" in await answer_to(1)
                await process.stdin.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
                await process.stdin.send(request(2, "tools/list", {}))
                listed = await answer_to(2)
                await process.stdin.send(request(3, "tools/call", {"name": "get_customer_engagement", "arguments": {"customer": "Nope"}}))
                failed = await answer_to(3)
                await process.stdin.send(request(4, "tools/call", {"name": "get_portfolio_engagement", "arguments": {}}))
                answered = await answer_to(4)
                await process.stdin.aclose()  # EOF: the server shuts down, which ends stdout and stderr
                async for rest in lines:
                    stdout_lines += [line for line in rest.split(b"\n") if line.strip()]
        assert await process.wait() == 0

    assert {tool["name"] for tool in listed["result"]["tools"]} >= {"get_portfolio_engagement", "log_activity"}
    assert failed["result"]["isError"] is True
    assert answered["result"]["structuredContent"]["customers"]
    for line in stdout_lines:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            message = None
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", f"not JSON-RPC on stdout: {line[:200]!r}"
    stderr = b"".join(stderr_chunks).decode(errors="replace")
    # Proves logging happened (so the stdout check above was not vacuous) and where it went.
    assert "DEBUG" in stderr, stderr[-2000:]
