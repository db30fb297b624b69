"""Real server processes for tests: `engagement serve` on a free port, and the environment to spawn one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engagement.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a spawned server over the test store (the parent's PATH etc. kept)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("ENGAGEMENT_")}
    env |= {
        "ENGAGEMENT_DATABASE_URL": settings.resolved_database_url(),
        "ENGAGEMENT_AS_OF": str(settings.as_of),
    }
    return env | extra


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def http_server(settings: Settings, host: str = "127.0.0.1", log: Path | None = None, **extra_env: str) -> Iterator[str]:
    """`engagement serve` as a real process on a free port; yields its MCP URL (on 127.0.0.1, whatever
    address it listens on) once it accepts connections. Its stderr goes to the file `log` when given."""
    port = free_port()
    command = [sys.executable, "-m", "cli", "serve", "--host", host, "--port", str(port)]
    sink = log.open("wb") if log is not None else None
    process = subprocess.Popen(
        command, cwd=ROOT, env=server_env(settings, **extra_env), stderr=sink or subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while True:  # poll the port with a deadline (or fail at once if the process died)
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "server exited (see its log)")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start listening within 60 s"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
        if sink is not None:
            sink.close()
