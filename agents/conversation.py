"""One conversation with the agents: each question routed, answered by the SDK's streaming tool runner.

The runner (`client.beta.messages.tool_runner`) does the loop: it streams each reply, runs the tools
the model calls over MCP and sends their results back (an MCP tool error as `is_error`), for at most
`max_rounds` replies. This module picks the agent, passes the stream on to a listener as it arrives,
adds up the tokens, and keeps the history for the next question (`engagement chat`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types.beta import BetaMessageParam, BetaTextBlockParam, BetaUsage

from agents.bridge import CACHED, ToolBridge, ToolCall
from agents.catalog import Agent, system_prompt, tool_names
from agents.errors import AgentError, describe
from agents.grounding import tool_answers, unsupported
from agents.routing import Route, forced, route

MAX_ROUNDS = 8
MAX_TOKENS = 4096


class Listener(Protocol):
    """Who shows an answer as it happens (the terminal, or a test)."""

    def routed(self, route: Route) -> None: ...
    def text(self, fragment: str) -> None: ...
    def tool_finished(self, call: ToolCall) -> None: ...


@dataclass
class Usage:
    """Tokens of one answer over all its replies; `input_tokens` counts only what was neither read nor written to cache."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    replies: int = 0

    def add(self, usage: BetaUsage) -> None:
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_read_input_tokens += usage.cache_read_input_tokens or 0
        self.cache_creation_input_tokens += usage.cache_creation_input_tokens or 0
        self.replies += 1

    @property
    def total_input_tokens(self) -> int:
        return self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens


@dataclass
class Answer:
    route: Route
    text: str
    calls: list[ToolCall]
    usage: Usage
    seconds: float
    stop_reason: str | None = None
    """Why the last reply ended: end_turn; tool_use when the tool rounds ran out first; max_tokens; refusal."""
    unsupported: list[str] = field(default_factory=list)
    """One-decimal numbers (scores, averages, changes) in the text that no tool answered."""

    @property
    def finished(self) -> bool:
        """False when the tool rounds ran out before the model gave its answer."""
        return self.stop_reason != "tool_use"


class Conversation:
    def __init__(
        self,
        client: AsyncAnthropic,
        bridge: ToolBridge,
        *,
        model: str,
        agent: Agent | None = None,
        max_rounds: int = MAX_ROUNDS,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self._client = client
        self._bridge = bridge
        self._model = model
        self._agent = agent
        self._max_rounds = max_rounds
        self._max_tokens = max_tokens
        self.history: list[BetaMessageParam] = []
        self._used: list[Agent] = []
        self._untold: list[str] = []  # what the CSM said since the last logged activity

    async def ask(self, question: str, listener: Listener) -> Answer:
        """Answer `question`, streaming to `listener`; the history grows only when the answer completes."""
        chosen = forced(self._agent) if self._agent is not None else route(question)
        listener.routed(chosen)
        # Earlier answers' tool calls stay in the history, so their tools stay offered: the list only grows,
        # at its end, so the cached prefix of the requests stays the same.
        self._used += [agent for agent in chosen.agents if agent not in self._used]
        self._bridge.listener = listener
        self._bridge.start_answer("\n".join([*self._untold, question]))
        turn: list[BetaMessageParam] = [{"role": "user", "content": question}]
        usage, texts, stop_reason, start = Usage(), [], None, time.perf_counter()
        spoken = False
        runner = self._client.beta.messages.tool_runner(
            model=self._model,
            max_tokens=self._max_tokens,
            system=[self._system(chosen)],
            tools=self._bridge.tools(tool_names(self._used)),
            messages=[*self.history, *turn],
            stream=True,
            max_iterations=self._max_rounds,
            thread=False,  # each request carries the whole history, so any agent can take the next question
            cache_control=CACHED,  # and the history read so far is cached too, round after round
        )
        try:
            async for stream in runner:
                async for event in stream:
                    if event.type == "content_block_start" and event.content_block.type == "text" and spoken:
                        listener.text("\n")  # a new paragraph: the model spoke before a tool call, or in two blocks
                    elif event.type == "text":
                        listener.text(event.text)
                        spoken = True
                message = await stream.get_final_message()
                usage.add(message.usage)
                texts += [block.text for block in message.content if block.type == "text"]
                turn.append(message.to_param())
                stop_reason = message.stop_reason
                if stop_reason == "tool_use":  # the runner runs these once and reuses them for its next request
                    results = await runner.generate_tool_call_response()
                    if results is not None:
                        turn.append(results)
        except anthropic.APIError as exc:
            raise AgentError(describe(exc, self._client)) from exc
        finally:
            await runner.close()
        self.history += turn
        stored = any(call.name == "log_activity" and not call.is_error for call in self._bridge.made)
        self._untold = [] if stored else [*self._untold, question]
        said = "\n".join(texts)
        return Answer(chosen, said, list(self._bridge.made), usage, time.perf_counter() - start, stop_reason,
                      unsupported(said, tool_answers(self.history)))  # fmt: skip

    @staticmethod
    def _system(chosen: Route) -> BetaTextBlockParam:
        return {"type": "text", "text": system_prompt(chosen.agents), "cache_control": CACHED}
