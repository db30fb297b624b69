"""The tool contract (names, titles, schemas, annotations, server instructions, prompts) matches tools.json.

A client, a prompt or a saved conversation depends on these; a change must be a decision seen in
review, never a side effect. `UPDATE_SNAPSHOTS=1` rewrites the snapshot on purpose.
"""

from __future__ import annotations

import difflib
import os

import pytest

from tests.contract.contract import SNAPSHOT, UPDATE_HINT, Contract, render, snapshot_of

pytestmark = pytest.mark.anyio


async def test_tool_contract_matches_the_snapshot(contract: Contract) -> None:
    current = render(snapshot_of(contract))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(current, encoding="utf-8")
        return
    assert SNAPSHOT.exists(), f"No contract snapshot at {SNAPSHOT}.\n{UPDATE_HINT}"
    recorded = SNAPSHOT.read_text(encoding="utf-8")
    if current != recorded:
        diff = "".join(
            difflib.unified_diff(
                recorded.splitlines(keepends=True), current.splitlines(keepends=True), "tools.json (recorded)", "server (now)", n=2
            )
        )
        pytest.fail(f"The MCP tool contract changed:\n{diff}\n{UPDATE_HINT}", pytrace=False)


async def test_snapshot_names_every_tool_once(contract: Contract) -> None:
    # Guards the comparison itself: a snapshot that silently dropped tools would always "match".
    names = [tool.name for tool in contract.tools]
    assert len(names) == len(set(names))
    assert [tool["name"] for tool in snapshot_of(contract)["tools"]] == sorted(names)
    assert contract.instructions, "the server sends no instructions"
    prompts = [prompt.name for prompt in contract.prompts]
    assert [prompt["name"] for prompt in snapshot_of(contract)["prompts"]] == sorted(set(prompts)) == sorted(prompts)
