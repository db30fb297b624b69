"""This server's MCP tools as the anthropic tool runner's tools, over one in-memory MCP client session.

`anthropic.lib.tools.mcp.async_mcp_tool` makes each tool; the session it calls through is wrapped so
every call is timed and reported, and so `log_activity` gets its `external_id` from the sentence the
CSM said and the customer as the server resolves it (the model never sees or sets that argument): the
same sentence about the same touchpoint stores nothing new, however the model spells the customer.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from anthropic.lib.tools import BetaAsyncFunctionTool
from anthropic.lib.tools.mcp import async_mcp_tool
from anthropic.types.beta import BetaCacheControlEphemeralParam
from mcp import Client
from mcp.client.session import ClientSession
from mcp.types import CallToolResult, Tool

from engagement import external_ids

CACHED: BetaCacheControlEphemeralParam = {"type": "ephemeral"}
# Arguments the runner sets itself, left out of the schema the model sees.
HIDDEN = {"log_activity": ("external_id", "source")}
ActivityKey = tuple[str, str, str]  # customer id, day, type


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    seconds: float
    is_error: bool


class ToolListener(Protocol):
    def tool_finished(self, call: ToolCall) -> None: ...


class _ReportingSession:
    """Stands in for the ClientSession `async_mcp_tool` calls: fills hidden arguments, times and reports each call."""

    def __init__(self, bridge: ToolBridge) -> None:
        self._bridge = bridge

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **options: Any) -> CallToolResult:
        bridge = self._bridge
        start, failed, key = time.perf_counter(), True, None
        arguments = dict(arguments or {})
        try:
            arguments, key = await bridge.complete(name, arguments)
            result = await bridge.session.call_tool(name, arguments, **options)
            failed = bool(result.is_error)
            return result
        finally:  # a call that raised (the runner sends the model its error) is reported as failed too
            bridge.done(ToolCall(name, arguments, time.perf_counter() - start, failed), key)


class ToolBridge:
    """The server's tools, listed once; per answer, the ones an agent may call, ready for `tool_runner`."""

    def __init__(self, client: Client, today: dt.date) -> None:
        self.session: ClientSession = client.session
        self._client = client
        self._today = today
        self.listener: ToolListener | None = None
        self._tools: dict[str, Tool] = {}
        self._proxy = cast(ClientSession, _ReportingSession(self))
        self.sentence = ""
        self.made: list[ToolCall] = []
        self._logged: Counter[ActivityKey] = Counter()
        self._customers: dict[str, str] = {}  # customer as the model wrote it -> its id, per answer

    async def load(self) -> None:
        cursor: str | None = None
        while True:
            page = await self._client.list_tools(cursor=cursor)
            self._tools.update((tool.name, tool) for tool in page.tools)
            if (cursor := page.next_cursor) is None:
                return

    def available(self, names: Sequence[str]) -> list[str]:
        """`names` that the server lists, each once, in their order (an agent may name tools that arrive later)."""
        return [name for name in dict.fromkeys(names) if name in self._tools]

    def tools(self, names: Sequence[str]) -> list[BetaAsyncFunctionTool[Any]]:
        """The runner's tools for `names`; the last carries the cache breakpoint, so the whole list is cached."""
        chosen = self.available(names)
        return [
            async_mcp_tool(self._shown(self._tools[name]), self._proxy, cache_control=CACHED if i == len(chosen) - 1 else None)
            for i, name in enumerate(chosen)
        ]

    def start_answer(self, sentence: str) -> None:
        """A new answer to what the CSM said in `sentence` (the text log_activity's external ids derive from)."""
        self.sentence = sentence
        self.made = []
        self._logged.clear()
        self._customers.clear()

    async def complete(self, name: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], ActivityKey | None]:
        """The arguments sent (as the model gave them, plus the ones the runner sets) and, for log_activity,
        the activity's key."""
        if name != "log_activity":
            return arguments, None
        key = await self._activity_key(arguments)
        occurrence = self._logged[key] + 1  # two calls of one kind in one sentence are two activities
        external_id = external_ids.from_sentence(self.sentence, *key, str(occurrence))
        return {**arguments, "source": "agent", "external_id": external_id}, key

    def done(self, call: ToolCall, key: ActivityKey | None = None) -> None:
        self.made.append(call)
        if key is not None and not call.is_error:
            self._logged[key] += 1
        if self.listener is not None:
            self.listener.tool_finished(call)

    async def _activity_key(self, arguments: dict[str, Any]) -> ActivityKey:
        """Customer (its id, as the server resolves what the model wrote), day and type: what tells two
        activities in one sentence apart, beside their order."""
        day = str(arguments.get("date") or self._today.isoformat())[:10]
        return (await self._customer_id(str(arguments.get("customer", ""))), day, str(arguments.get("type", "")))

    async def _customer_id(self, ref: str) -> str:
        """The id of the customer `ref` names, found as log_activity finds it (the same lookup, in the same
        scope); a reference it cannot resolve stays as written (log_activity then refuses it anyway)."""
        if ref not in self._customers:
            found = await self.session.call_tool("get_customer_engagement", {"customer": ref})
            answer = found.structured_content or {}
            self._customers[ref] = str(answer.get("customer_id") or ref) if not found.is_error else ref
        return self._customers[ref]

    @staticmethod
    def _shown(tool: Tool) -> Tool:
        hidden = HIDDEN.get(tool.name)
        if not hidden:
            return tool
        schema = copy.deepcopy(tool.input_schema)
        for name in hidden:
            schema.get("properties", {}).pop(name, None)
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in hidden]
        return tool.model_copy(update={"input_schema": schema})
