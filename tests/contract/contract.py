"""The tool contract as a client sees it: what `list_tools` and the handshake return, in snapshot form."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.types import Prompt, Tool

SNAPSHOT = Path(__file__).with_name("tools.json")
UPDATE_HINT = (
    "If the change is on purpose, regenerate the snapshot and commit it with the change:\n"
    "    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/contract\n"
    "then review `git diff tests/contract/tools.json` like any other contract change."
)


@dataclass(frozen=True)
class Contract:
    server_name: str
    instructions: str | None
    tools: list[Tool]
    prompts: list[Prompt]

    def by_name(self) -> dict[str, Tool]:
        return {tool.name: tool for tool in self.tools}


async def fetch_contract(client: Client) -> Contract:
    """Every tool and prompt, following `next_cursor`, and the server's instructions, through the real client."""
    tools: list[Tool] = await every_page(client.list_tools, "tools")
    prompts: list[Prompt] = await every_page(client.list_prompts, "prompts")
    name = client.server_info.name if client.server_info else ""
    return Contract(
        name, client.instructions, sorted(tools, key=lambda tool: tool.name), sorted(prompts, key=lambda p: p.name)
    )


async def every_page(list_page: Callable[..., Awaitable[Any]], field: str) -> list[Any]:
    """The `field` items of every page a list call returns, fresh from the server (no client cache)."""
    found: list[Any] = []
    cursor: str | None = None
    while True:
        page = await list_page(cursor=cursor, cache_mode="refresh")
        found.extend(getattr(page, field))
        if (cursor := page.next_cursor) is None:
            return found


def wire(tool: Tool) -> dict[str, Any]:
    """The tool exactly as it goes over the wire (camelCase keys, unset fields left out)."""
    return tool.model_dump(mode="json", by_alias=True, exclude_none=True)


def snapshot_of(contract: Contract) -> dict[str, Any]:
    """What the snapshot pins: names, titles, schemas, annotations, instructions; prompts' names, titles and
    arguments (name, required).

    Descriptions stay out on purpose: they are prose in prompts/tools/*.md that is tuned often, and
    the rule test checks them instead; a schema or annotation change is what breaks a client.
    """
    tools = []
    for tool in contract.tools:
        data = wire(tool)
        tools.append({key: data[key] for key in ("name", "title", "inputSchema", "outputSchema", "annotations") if key in data})
    prompts = [
        {
            "name": prompt.name,
            "title": prompt.title,
            "arguments": [{"name": arg.name, "required": bool(arg.required)} for arg in prompt.arguments or []],
        }
        for prompt in contract.prompts
    ]
    server = {"name": contract.server_name, "instructions": contract.instructions}
    return {"server": server, "tools": tools, "prompts": prompts}


def render(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
