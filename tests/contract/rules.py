"""The connector directory's rules for tools, as checks that return every violation, naming tool and rule.

Pure functions over `mcp.types.Tool`, so the same check runs on the real server and on a deliberately
bad one (which proves each check can fail).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import validators
from mcp.types import Tool

from tests.contract.contract import wire

MAX_NAME_LENGTH = 64
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A tool's verb says whether it reads or writes; its annotations must agree.
READ_VERBS = ("get_", "find_", "search_", "list_", "compare_", "benchmark_")
WRITE_VERBS = ("log_", "sync_", "run_", "acknowledge_", "create_", "update_", "delete_", "set_", "add_", "remove_", "import_")
LIST_VERBS = ("find_", "search_", "list_")
OPEN_WORLD_PREFIX = "sync_"  # only the sync tools leave this machine (to Google or Microsoft 365)
EXAMPLE = re.compile(r"Examples?:\s*`(\{.*?\})`", re.DOTALL)
WHEN_TO_USE = re.compile(r"\bUse (it|this|when)\b")
MIN_DESCRIPTION = 120
MAX_TITLE = 60
MAX_DEFAULT_PAGE = 50

Check = Callable[[Tool], list[str]]


def examples(tool: Tool) -> list[dict[str, Any]]:
    """The example calls in a description (`Example: {...}` in backticks) that parse as JSON."""
    found = []
    for raw in EXAMPLE.findall(tool.description or ""):
        try:
            found.append(json.loads(raw))
        except json.JSONDecodeError:
            continue  # check_description reports it
    return found


def check_name(tool: Tool) -> list[str]:
    if NAME_PATTERN.match(tool.name):
        return []
    return [f"{tool.name}: name must match {NAME_PATTERN.pattern} (at most {MAX_NAME_LENGTH} characters)"]


def check_title(tool: Tool) -> list[str]:
    title = tool.title or ""
    human = title and title != tool.name and "_" not in title and " " in title and title[0].isupper()
    if human and len(title) <= MAX_TITLE:
        return []
    return [f"{tool.name}: title {title!r} should be a short phrase for people (≤ {MAX_TITLE}), e.g. 'Log an activity'"]


def check_description(tool: Tool) -> list[str]:
    text = tool.description or ""
    problems = []
    if len(text) < MIN_DESCRIPTION:
        problems.append(f"{tool.name}: description is {len(text)} characters; say what it returns and when to use it")
    if not WHEN_TO_USE.search(text):
        problems.append(f"{tool.name}: description never says when to use it ('Use it for ...')")
    raw_examples = EXAMPLE.findall(text)
    if not raw_examples:
        problems.append(f"{tool.name}: description has no example call (Example: `{{...}}`)")
    for raw in raw_examples:
        try:
            json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"{tool.name}: example {raw!r} is not JSON ({exc.msg})")
    return problems


def check_examples_are_valid_calls(tool: Tool) -> list[str]:
    # An example the schema rejects teaches the model a call that fails.
    validator = validators.validator_for(tool.input_schema)(tool.input_schema)
    return [
        f"{tool.name}: example {arguments} is rejected by the input schema: {error.message}"
        for arguments in examples(tool)
        for error in validator.iter_errors(arguments)
    ]


def check_annotations(tool: Tool) -> list[str]:
    hints = tool.annotations
    if hints is None:
        return [f"{tool.name}: no annotations"]
    problems = []
    verb = tool.name.split("_")[0] + "_"
    if hints.read_only_hint is None:
        problems.append(f"{tool.name}: readOnlyHint is not set")
    if tool.name.startswith(READ_VERBS) and hints.read_only_hint is not True:
        problems.append(f"{tool.name}: reads ({verb}), so readOnlyHint must be true")
    elif tool.name.startswith(WRITE_VERBS) and hints.read_only_hint is not False:
        problems.append(f"{tool.name}: writes ({verb}), so readOnlyHint must be false")
    elif not tool.name.startswith(READ_VERBS + WRITE_VERBS):
        problems.append(f"{tool.name}: verb {verb} is unknown; add it to READ_VERBS or WRITE_VERBS in tests/contract/rules.py")
    if hints.read_only_hint is False and (hints.destructive_hint is None or hints.idempotent_hint is None):
        problems.append(f"{tool.name}: a write must set destructiveHint and idempotentHint explicitly")
    reaches_out = tool.name.startswith(OPEN_WORLD_PREFIX)
    if hints.open_world_hint is not reaches_out:
        why = "it reaches Google or Microsoft 365" if reaches_out else "it only touches the local store"
        problems.append(f"{tool.name}: openWorldHint must be {str(reaches_out).lower()} ({why})")
    return problems


def is_list_tool(tool: Tool) -> bool:
    """A tool whose answer grows with the portfolio: a find_/search_/list_ verb, or one about many
    customers (a top-level array of rows carrying customer_id, and no single `customer` argument)."""
    if tool.name.startswith(LIST_VERBS):
        return True
    if "customer" in tool.input_schema.get("properties", {}):
        return False
    output = wire(tool).get("outputSchema", {})
    defs = output.get("$defs", {})
    for prop in output.get("properties", {}).values():
        items = prop.get("items", {}) if prop.get("type") == "array" else {}
        ref = items.get("$ref", "")
        row = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else items
        if "customer_id" in row.get("properties", {}):
            return True
    return False


def check_paging(tool: Tool) -> list[str]:
    if not is_list_tool(tool):
        return []
    params = tool.input_schema.get("properties", {})
    limit, offset = params.get("limit", {}), params.get("offset", {})
    output = wire(tool).get("outputSchema", {}).get("properties", {})
    problems = []
    if limit.get("type") != "integer" or "maximum" not in limit or limit.get("default", 10**9) > MAX_DEFAULT_PAGE:
        problems.append(f"{tool.name}: a list tool needs an integer `limit` with a maximum and a default ≤ {MAX_DEFAULT_PAGE}")
    if offset.get("type") != "integer" or offset.get("minimum") != 0:
        problems.append(f"{tool.name}: a list tool needs an integer `offset` (minimum 0) to fetch the next page")
    if "page" not in output:
        problems.append(f"{tool.name}: a list tool's answer needs `page` (total, has_more) so the model knows there is more")
    return problems


CHECKS: dict[str, Check] = {
    "name": check_name,
    "title": check_title,
    "description": check_description,
    "examples": check_examples_are_valid_calls,
    "annotations": check_annotations,
    "paging": check_paging,
}


def violations(check: Check, tools: Iterable[Tool], skip: Iterable[str] = ()) -> list[str]:
    skipped = set(skip)
    return [problem for tool in tools if tool.name not in skipped for problem in check(tool)]
