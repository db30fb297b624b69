"""Getting the stdio server into Claude: the launch entry, Claude Desktop's config file, Claude Code's command.

Pure functions over paths, mappings and JSON; the only side effect lives in `write_config`. The typer
edge is `cli/install.py`.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engagement.errors import ConfigError
from engagement.settings import Settings

SERVER_NAME = "engagement"
"""The key under `mcpServers`; Claude shows the tools under this name."""

ClaudeCodeScope = Literal["user", "project", "local"]


@dataclass(frozen=True)
class ServerLaunch:
    """How a client starts the server: an executable, its arguments and the environment it adds."""

    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def config_entry(self) -> dict[str, Any]:
        """The `mcpServers` entry Claude Desktop and `.mcp.json` read."""
        entry: dict[str, Any] = {"command": self.command, "args": list(self.args)}
        if self.env:
            entry["env"] = dict(self.env)
        return entry


def settings_env(environ: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The ENGAGEMENT_* settings set in `environ`, with relative paths made absolute.

    Claude starts the server from its own working directory (often `/`) with almost none of the
    shell's environment, so whatever the user configured here must travel in the entry, and a
    relative SQLite path or weights file would point somewhere else.
    """
    env: dict[str, str] = {}
    # Every field of Settings, so a setting added later (e.g. Google sync's) travels without a change here.
    for name in Settings.model_fields:
        key = f"ENGAGEMENT_{name.upper()}"
        value = environ.get(key, "").strip()
        if not value:
            continue
        if name == "database_url":
            value = absolute_sqlite_url(value, cwd)
        elif name.endswith(("_file", "_path", "_dir")):
            value = str((cwd / Path(value).expanduser()).absolute())
        env[key] = value
    return env


def absolute_sqlite_url(url: str, cwd: Path) -> str:
    """`sqlite:///rel/x.db` -> `sqlite:////abs/rel/x.db`; other URLs unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    rest = url[len(prefix) :]
    path, _, query = rest.partition("?")
    if not path or path == ":memory:" or Path(path).is_absolute():
        return url
    absolute = (cwd / Path(path).expanduser()).absolute().as_posix()
    # A POSIX absolute path brings its own leading "/", giving the four slashes SQLAlchemy wants.
    return prefix + absolute + (f"?{query}" if query else "")


def server_launch(env: Mapping[str, str], python: str | None = None, server_py: Path | None = None) -> ServerLaunch:
    """This interpreter running this checkout's (or install's) server.py, both as absolute paths.

    The interpreter path is made absolute but *not* resolved: in a virtualenv `bin/python` is a
    symlink, and resolving it would leave the venv and lose the installed packages.
    """
    if server_py is None:
        # Located, not imported: importing the composition root would load the whole server.
        spec = importlib.util.find_spec("server")
        if spec is None or spec.origin is None:
            raise ConfigError("server.py is not installed with this package; reinstall with `pip install -e .`.")
        server_py = Path(spec.origin)
    interpreter = Path(python or sys.executable).absolute()
    return ServerLaunch(str(interpreter), [str(server_py.absolute())], dict(env))


def claude_desktop_config_path(
    platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None
) -> Path:
    """Where Claude Desktop reads `claude_desktop_config.json` on this OS."""
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if platform == "win32":
        appdata = environ.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Claude" / "claude_desktop_config.json"
    # No official Linux build; the community builds follow XDG.
    config_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return Path(config_home) / "Claude" / "claude_desktop_config.json"


def claude_desktop_log_dir(platform: str = sys.platform, environ: Mapping[str, str] = os.environ, home: Path | None = None) -> Path:
    """Where Claude Desktop writes `mcp.log` and `mcp-server-<name>.log` (the server's stderr)."""
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Logs" / "Claude"
    return claude_desktop_config_path(platform, environ, home).parent / "logs"


def read_config(path: Path) -> dict[str, Any]:
    """The config file as a dict: {} when missing or empty; a ConfigError naming the file when not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix or move it, then run the install again; nothing was changed."
        ) from exc
    if not isinstance(config, dict) or not isinstance(config.get("mcpServers", {}), dict):
        raise ConfigError(f"{path} must be a JSON object whose 'mcpServers' is an object; nothing was changed.")
    return config


def merge_server(config: Mapping[str, Any], name: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `config` with `mcpServers[name] = entry`; every other key and server kept as it was."""
    merged = dict(config)
    servers = dict(merged.get("mcpServers") or {})
    servers[name] = dict(entry)
    merged["mcpServers"] = servers
    return merged


def render_config(config: Mapping[str, Any]) -> str:
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class WriteResult:
    path: Path
    changed: bool
    backup: Path | None


def write_config(path: Path, config: Mapping[str, Any], now: dt.datetime | None = None) -> WriteResult:
    """Write `config` to `path`, first copying a differing previous file to `<name>.<timestamp>.bak`.

    A timestamped backup (not one `.bak` overwritten each time) keeps the user's original file even
    after several installs. The new file is written beside the old one and renamed over it, so
    Claude Desktop never reads half a file.
    """
    text = render_config(config)
    try:
        previous: str | None = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = None
    if previous == text:
        return WriteResult(path, changed=False, backup=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if previous is not None:
        stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.{stamp}.bak")
        backup.write_text(previous, encoding="utf-8")
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
    return WriteResult(path, changed=True, backup=backup)


def claude_code_command(launch: ServerLaunch, scope: ClaudeCodeScope, name: str = SERVER_NAME) -> list[str]:
    """`claude mcp add` for this server; the name comes before `--env` because that option is
    variadic and would swallow it (anthropics/claude-code#23365)."""
    command = ["claude", "mcp", "add", "--transport", "stdio", "--scope", scope, name]
    for key, value in launch.env.items():
        command += ["--env", f"{key}={value}"]
    return [*command, "--", launch.command, *launch.args]


def claude_code_remove_command(scope: ClaudeCodeScope, name: str = SERVER_NAME) -> list[str]:
    return ["claude", "mcp", "remove", "--scope", scope, name]


def shell_line(command: list[str], platform: str = sys.platform) -> str:
    """The command as one line the user's shell would run unchanged."""
    return subprocess.list2cmdline(command) if platform == "win32" else shlex.join(command)
