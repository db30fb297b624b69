"""Agent prompts and MCP tool descriptions, kept as markdown beside their names and loaded by code."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of `prompts/<name>.md`, e.g. `load("tools/log_activity")`."""
    return resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8").strip()
