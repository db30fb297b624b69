"""The ways the server is published agree with the server: the MCP Bundle (manifest.json), the MCP
Registry entry (server.json) and the package (pyproject.toml)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from engagement.settings import Settings
from tests.contract.contract import Contract

ROOT = Path(__file__).resolve().parents[2]
MCPB = ROOT / "node_modules" / ".bin" / "mcpb"
pytestmark = pytest.mark.anyio


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / name).read_text(encoding="utf-8"))
    return data


def pyproject() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def setting_names() -> set[str]:
    return {f"ENGAGEMENT_{name.upper()}" for name in Settings.model_fields}


async def test_the_bundle_lists_exactly_the_tools_the_server_has(contract: Contract) -> None:
    listed = [tool["name"] for tool in load("manifest.json")["tools"]]
    assert sorted(listed) == sorted(tool.name for tool in contract.tools), "update manifest.json's tools"


def test_versions_agree_everywhere() -> None:
    version = pyproject()["version"]
    registry = load("server.json")
    assert load("manifest.json")["version"] == registry["version"] == version
    assert [package["version"] for package in registry["packages"]] == [version]


def test_every_variable_published_is_a_setting_the_server_reads() -> None:
    manifest = load("manifest.json")
    bundle_env = manifest["server"]["mcp_config"]["env"]
    registry_env = [variable["name"] for package in load("server.json")["packages"] for variable in package["environmentVariables"]]
    assert set(bundle_env) <= setting_names()
    assert set(registry_env) <= setting_names()
    # Each user_config value is passed to the server, and each one passed is declared.
    used = set(re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(bundle_env)))
    assert used == set(manifest["user_config"])


def test_secrets_are_marked_secret() -> None:
    # A database URL carries a password; Claude Desktop keeps a `sensitive` value in the OS keychain.
    manifest = load("manifest.json")
    assert manifest["user_config"]["database_url"]["sensitive"] is True
    secret = {variable["name"]: variable["isSecret"] for variable in load("server.json")["packages"][0]["environmentVariables"]}
    assert secret["ENGAGEMENT_DATABASE_URL"] is True and secret["ENGAGEMENT_USER"] is False


def test_registry_entry_fits_the_registry() -> None:
    registry = load("server.json")
    package = registry["packages"][0]
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", registry["name"])
    assert 1 <= len(registry["description"]) <= 100
    assert (package["registryType"], package["runtimeHint"], package["transport"]) == ("pypi", "uvx", {"type": "stdio"})
    assert package["identifier"] == pyproject()["name"]


def test_publishing_is_wired() -> None:
    # The registry proves PyPI ownership by an `mcp-name:` line in the README, and `uvx <package>` runs
    # the console script named like the package.
    name = load("server.json")["name"]
    assert f"mcp-name: {name}" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert pyproject().get("scripts", {}).get(pyproject()["name"]) == "server:main"


@pytest.mark.skipif(not MCPB.exists(), reason="the mcpb CLI is not installed: run `npm ci` (scripts/bundle does)")
async def test_the_packed_bundle_starts_the_server_from_its_own_files(tmp_path: Path, demo_settings: Settings) -> None:
    bundle = tmp_path / "engagement.mcpb"
    packed = subprocess.run([str(MCPB), "pack", str(ROOT), str(bundle)], capture_output=True, text=True, check=False)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        archive.extractall(unpacked)
    assert {"manifest.json", "pyproject.toml", "README.md", "server.py", "engagement/scoring.toml"} <= names
    assert not {name for name in names if name.startswith(("tests/", ".venv/", "node_modules/"))}

    # This venv stands in for the one uv builds from the bundle's pyproject; the code is the bundle's.
    probe = "import sys, engagement, tools, prompts; print(engagement.__file__, tools.__file__, prompts.__file__)"
    where = subprocess.run([sys.executable, "-c", probe], cwd=unpacked, capture_output=True, text=True, check=True).stdout
    assert all(Path(path).is_relative_to(unpacked) for path in where.split())
    env = {"ENGAGEMENT_DATABASE_URL": demo_settings.resolved_database_url(), "ENGAGEMENT_USER": "all"}
    params = StdioServerParameters(command=sys.executable, args=[str(unpacked / "server.py")], env=env, cwd=unpacked)
    async with Client(params) as client:
        listed = await client.list_tools()
        answer = await client.call_tool("get_portfolio_engagement", {})
    assert "log_activity" in {tool.name for tool in listed.tools}
    assert not answer.is_error, answer.content
    shutil.rmtree(unpacked)
