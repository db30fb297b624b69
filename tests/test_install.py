"""`engagement install` and the shipped `.mcp.json`, against temporary config paths: what Claude would read
is written (or shown) correctly, keeps everything else, and really starts the server."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner

from engagement import install
from cli.install import install_app

ROOT = Path(__file__).resolve().parents[1]
OTHER_SERVER = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    """A clean environment: no ENGAGEMENT_* from the shell or CI leaks into the entry, and cwd is a temp dir."""
    for key in list(os.environ):
        if key.startswith("ENGAGEMENT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def entry_of(path: Path) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["mcpServers"]["engagement"]
    return entry


def test_install_creates_the_config_with_absolute_paths_and_the_settings(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "Claude" / "claude_desktop_config.json"
    env = {"ENGAGEMENT_DATABASE_URL": "sqlite:///data/cs.db", "ENGAGEMENT_AS_OF": "2026-11-24"}

    result = runner.invoke(install_app, ["claude-desktop", "--config", str(config), "--user", "priya@ourco.com"], env=env)

    assert result.exit_code == 0, result.output
    entry = entry_of(config)
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).exists()
    assert entry["args"] == [str(ROOT / "server.py")]
    # Claude Desktop starts servers from its own directory, so the relative SQLite path must be pinned.
    assert entry["env"] == {
        "ENGAGEMENT_DATABASE_URL": f"sqlite:///{tmp_path.as_posix()}/data/cs.db",
        "ENGAGEMENT_AS_OF": "2026-11-24",
        "ENGAGEMENT_USER": "priya@ourco.com",
    }
    assert "Quit Claude Desktop" in result.output and "mcp-server-engagement.log" in result.output


def test_install_updates_its_entry_and_keeps_every_other_server_and_a_backup(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    previous = {
        "globalShortcut": "Alt+Space",
        "mcpServers": {"filesystem": OTHER_SERVER, "engagement": {"command": "/old/python", "args": ["/old/server.py"]}},
    }
    config.write_text(json.dumps(previous), encoding="utf-8")

    result = runner.invoke(install_app, ["claude-desktop", "--config", str(config)])

    assert result.exit_code == 0, result.output
    written = json.loads(config.read_text(encoding="utf-8"))
    assert written["globalShortcut"] == "Alt+Space"
    assert written["mcpServers"]["filesystem"] == OTHER_SERVER
    assert written["mcpServers"]["engagement"]["args"] == [str(ROOT / "server.py")]
    assert "env" not in written["mcpServers"]["engagement"]  # nothing set, nothing pinned: the server's defaults
    backups = list(tmp_path.glob("claude_desktop_config.json.*.bak"))
    assert len(backups) == 1 and json.loads(backups[0].read_text(encoding="utf-8")) == previous


def test_installing_twice_changes_nothing_the_second_time(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps({"mcpServers": {"filesystem": OTHER_SERVER}}), encoding="utf-8")

    first = runner.invoke(install_app, ["claude-desktop", "--config", str(config)])
    content = config.read_text(encoding="utf-8")
    second = runner.invoke(install_app, ["claude-desktop", "--config", str(config)])

    assert first.exit_code == second.exit_code == 0
    assert config.read_text(encoding="utf-8") == content
    assert "already has" in second.output
    assert len(list(tmp_path.glob("*.bak"))) == 1  # only the first install replaced a file


def test_print_shows_the_entry_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "claude_desktop_config.json"
    existing = tmp_path / "claude_desktop_config.json"
    existing.write_text(json.dumps({"mcpServers": {"filesystem": OTHER_SERVER}}), encoding="utf-8")
    before = existing.read_text(encoding="utf-8")

    shown = runner.invoke(install_app, ["claude-desktop", "--print", "--config", str(missing)], env={"ENGAGEMENT_USER": "me@ourco.com"})
    again = runner.invoke(install_app, ["claude-desktop", "--print", "--config", str(existing)])

    assert shown.exit_code == again.exit_code == 0
    assert json.loads(shown.stdout)["mcpServers"]["engagement"]["env"] == {"ENGAGEMENT_USER": "me@ourco.com"}
    assert not missing.parent.exists()
    assert existing.read_text(encoding="utf-8") == before
    assert list(tmp_path.glob("*.bak")) == []


def test_a_config_that_is_not_json_is_left_alone_with_exit_code_1(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text('{"mcpServers": {,}', encoding="utf-8")

    result = runner.invoke(install_app, ["claude-desktop", "--config", str(config)])

    assert result.exit_code == 1
    assert "not valid JSON (line 1" in result.stderr and "nothing was changed" in result.stderr
    assert config.read_text(encoding="utf-8") == '{"mcpServers": {,}'


def test_only_settings_travel_and_their_relative_paths_are_pinned() -> None:
    environ = {
        "ENGAGEMENT_GOOGLE_CREDENTIALS_DIR": "creds",
        "ENGAGEMENT_WEIGHTS_FILE": "/etc/weights.toml",
        "ENGAGEMENT_DATABASE_URL": "postgresql://cs@db/engagement",
        "ENGAGEMENT_USER": "  ",  # blank is unset
        "ENGAGEMENT_TEST_POSTGRES_URL": "postgresql://ci",  # not a setting: stays out
        "HOME": "/home/u",
    }

    assert install.settings_env(environ, Path("/work")) == {
        "ENGAGEMENT_GOOGLE_CREDENTIALS_DIR": "/work/creds",
        "ENGAGEMENT_WEIGHTS_FILE": "/etc/weights.toml",
        "ENGAGEMENT_DATABASE_URL": "postgresql://cs@db/engagement",
    }


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("darwin", {}, "/home/u/Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", {"APPDATA": "/win/AppData/Roaming"}, "/win/AppData/Roaming/Claude/claude_desktop_config.json"),
        ("linux", {}, "/home/u/.config/Claude/claude_desktop_config.json"),
        ("linux", {"XDG_CONFIG_HOME": "/xdg"}, "/xdg/Claude/claude_desktop_config.json"),
    ],
)
def test_claude_desktop_config_lives_where_each_os_keeps_it(platform: str, environ: dict[str, str], expected: str) -> None:
    assert install.claude_desktop_config_path(platform, environ, Path("/home/u")) == Path(expected)


def test_claude_desktop_logs_live_beside_each_os_config() -> None:
    assert install.claude_desktop_log_dir("darwin", {}, Path("/home/u")) == Path("/home/u/Library/Logs/Claude")
    assert install.claude_desktop_log_dir("win32", {"APPDATA": "/w"}, Path("/home/u")) == Path("/w/Claude/logs")


def test_claude_code_print_gives_a_line_with_the_name_before_the_variadic_env(runner: CliRunner) -> None:
    result = runner.invoke(install_app, ["claude-code", "--print", "--scope", "project"], env={"ENGAGEMENT_USER": "me@ourco.com"})

    assert result.exit_code == 0, result.output
    words = shlex.split(result.stdout)
    assert words[:8] == ["claude", "mcp", "add", "--transport", "stdio", "--scope", "project", "engagement"]
    assert words[8:] == ["--env", "ENGAGEMENT_USER=me@ourco.com", "--", str(Path(sys.executable).absolute()), str(ROOT / "server.py")]


def fake_claude(folder: Path, exit_code: int = 0) -> Path:
    """A `claude` on PATH that records its arguments, one call per line."""
    log = folder / "calls.log"
    script = folder / "claude"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexit {exit_code}\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


@pytest.mark.skipif(sys.platform == "win32", reason="the fake claude is a POSIX shell script")
def test_claude_code_replaces_its_server_through_the_claude_cli(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = fake_claude(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    result = runner.invoke(install_app, ["claude-code"])

    assert result.exit_code == 0, result.output
    remove, add = log.read_text(encoding="utf-8").splitlines()
    assert remove == "mcp remove --scope user engagement"
    assert add.startswith("mcp add --transport stdio --scope user engagement -- ") and add.endswith("server.py")


def test_claude_code_without_the_claude_cli_prints_the_line_and_exits_1(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing called claude here

    result = runner.invoke(install_app, ["claude-code"])

    assert result.exit_code == 1
    assert "not on PATH" in result.stderr
    assert result.stdout.startswith("claude mcp add --transport stdio --scope user engagement -- ")


async def tool_names(params: StdioServerParameters) -> set[str]:
    async with Client(params) as client:
        listed = await client.list_tools()
    return {tool.name for tool in listed.tools}


@pytest.mark.anyio
async def test_the_installed_entry_starts_the_server(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    env = {"ENGAGEMENT_DATABASE_URL": "sqlite:///store/engagement.db", "ENGAGEMENT_AS_OF": "2026-11-24"}
    (tmp_path / "store").mkdir()
    assert runner.invoke(install_app, ["claude-desktop", "--config", str(config)], env=env).exit_code == 0
    entry = entry_of(config)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # As Claude Desktop does: the entry's command, args and env, from a working directory of its own.
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=entry["env"], cwd=elsewhere)

    assert {"get_portfolio_engagement", "log_activity"} <= await tool_names(params)
    assert (tmp_path / "store" / "engagement.db").exists()  # the pinned store, not one beside `elsewhere`


VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    """Claude Code's `.mcp.json` expansion: `${VAR}` and `${VAR:-default}`; an unset `${VAR}` is an error."""

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        assert default is not None, f"${{{name}}} has no default; Claude Code refuses the file when it is unset"
        return default

    return VARIABLE.sub(one, value)


@pytest.mark.anyio
@pytest.mark.skipif(sys.platform == "win32", reason=".mcp.json names the POSIX venv layout (.venv/bin/python)")
async def test_the_project_mcp_json_starts_the_server_from_a_checkout(tmp_path: Path) -> None:
    server = json.loads((ROOT / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]["engagement"]
    shell = {"ENGAGEMENT_DATABASE_URL": f"sqlite:///{tmp_path / 'engagement.db'}"}  # the rest unset: defaults apply

    # Claude Code runs project servers from the project root, where .mcp.json lives.
    params = StdioServerParameters(
        command=expand(server["command"], shell),
        args=[expand(arg, shell) for arg in server["args"]],
        env={key: expand(value, shell) for key, value in server.get("env", {}).items()},
        cwd=ROOT,
    )

    assert server["type"] == "stdio"
    assert {"get_portfolio_engagement", "log_activity"} <= await tool_names(params)
