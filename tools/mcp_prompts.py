"""MCP prompts: the agents' workflows as prompts with arguments, for a person in Claude Desktop or Claude Code.

Each renders its task from prompts/mcp/ followed by the guidance of the agent that does it
(prompts/agents/), the same text `engagement ask` gives that agent as its system prompt.
"""

from __future__ import annotations

from string import Template
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts.base import Prompt
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from pydantic import Field, ValidationError

import prompts
from engagement import external_ids

MAX_NOTES = 20_000


def render(task: str, agent: str, **arguments: str) -> str:
    """The task's markdown with its $arguments filled in, then how the agent that does it works."""
    text = Template(prompts.load(f"mcp/{task}")).safe_substitute(arguments)
    guidance = prompts.load("agents/common") + "\n\n" + prompts.load(f"agents/{agent}")
    return f"{text}\n\n---\n\n{guidance}"


def weekly_portfolio_review() -> str:
    return render("weekly_portfolio_review", "monitor")


def pre_qbr_brief(
    customer: Annotated[str, Field(description="The customer's name or id, e.g. Acme Corp.", min_length=1, max_length=200)],
) -> str:
    return render("pre_qbr_brief", "researcher", customer=customer.strip())


def log_call_notes(
    notes: Annotated[
        str,
        Field(description="The notes as written, e.g. '30 min call with Sarah Chen at Acme about the renewal'.",
              min_length=1, max_length=MAX_NOTES),
    ],
) -> str:  # fmt: skip
    # The id is the notes' own, so the same notes logged again (here or by `engagement ask`'s rules) store nothing new.
    return render("log_call_notes", "communicator", notes=notes.strip(), external_id=external_ids.from_sentence(notes))


PROMPTS = [
    (weekly_portfolio_review, "Weekly portfolio review",
     "Review my accounts for the week: scores and their change, low engagement, who has gone quiet, and the five "
     "accounts to spend time on."),
    (pre_qbr_brief, "Pre-QBR brief",
     "A brief for the quarterly business review with one customer: score, trend, stakeholders, recent touchpoints "
     "and talking points."),
    (log_call_notes, "Log call notes",
     "Turn call or meeting notes into logged touchpoints (each stored once, however often the same notes are "
     "logged) and say what was stored."),
]  # fmt: skip


class CheckedPrompt(Prompt):
    """A prompt whose missing or invalid argument is the caller's error (invalid params) saying what is needed.

    The SDK's own check raises a plain ValueError, which a client sees as "Internal server error".
    """

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> Any:
        given = arguments or {}
        missing = [arg for arg in self.arguments or [] if arg.required and not str(given.get(arg.name) or "").strip()]
        if missing:
            needs = "; ".join(f"{arg.name}: {arg.description}" for arg in missing)
            raise MCPError(INVALID_PARAMS, f"Prompt '{self.name}' needs {', '.join(a.name for a in missing)} ({needs})")
        try:
            return await super().render(arguments, context)
        except ValueError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.__cause__.errors())
            raise MCPError(INVALID_PARAMS, f"Prompt '{self.name}': {wrong}") from None


def register(server: MCPServer) -> None:
    for fn, title, description in PROMPTS:
        server.add_prompt(CheckedPrompt.from_function(fn, title=title, description=description))
