"""`engagement ask` and `engagement chat`: the agents in the terminal, the answer streaming as it arrives.

The agents (top-level package `agents`, which brings in the anthropic SDK) are imported when a command
runs, so `engagement --help` and the other commands stay as fast as before. Everything the model or
the data says is printed as plain text, never as rich markup.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.text import Text

from cli.common import errors, load, user_errors
from cli.text import plain, safe_console

if TYPE_CHECKING:
    from agents.bridge import ToolCall
    from agents.conversation import Answer, Conversation
    from agents.routing import Route

AgentName = Literal["monitor", "researcher", "communicator"]
AgentOption = Annotated[
    AgentName | None,
    typer.Option("--agent", help="Ask this agent only: monitor, researcher or communicator (default: the one that fits)."),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Show each tool call with its arguments and time, and the tokens used.")
]
out = safe_console()


class Terminal:
    """Shows an answer as it streams: the text on stdout, the agent, tool calls and tokens on stderr."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self._midline = False

    def routed(self, route: Route) -> None:
        errors.print(Text.assemble(plain(route.title, "bold cyan"), plain(f"  {route.lead.role}", "dim")), soft_wrap=True)

    def text(self, fragment: str) -> None:
        out.print(plain(fragment, multiline=True), end="", soft_wrap=True)
        self._midline = not fragment.endswith("\n")

    def tool_finished(self, call: ToolCall) -> None:
        if not self.verbose:
            return
        self._end_line()
        arguments = ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in call.arguments.items())
        line = Text.assemble(("  tool ", "dim"), plain(call.name, "cyan"), plain(f"({arguments})", "dim"), f"  {call.seconds * 1000:.0f} ms")
        if call.is_error:
            line.append("  error (sent to the model)", style="yellow")
        errors.print(line, soft_wrap=True)

    def finished(self, answer: Answer) -> None:
        self._end_line()
        cut_short = {
            "tool_use": f"Stopped after {answer.usage.replies} replies of tool calls without a final answer; "
            "ask something narrower.",
            "max_tokens": "The answer was cut off at its length limit; ask for less at a time.",
            "refusal": "The model declined to answer this.",
        }.get(answer.stop_reason or "")
        if cut_short:
            errors.print(Text(cut_short, style="yellow"), soft_wrap=True)
        if answer.unsupported:
            errors.print(
                plain(f"No tool answered {', '.join(answer.unsupported)}: do not rely on "
                      f"{'it' if len(answer.unsupported) == 1 else 'them'} without checking.", "yellow"),
                soft_wrap=True,
            )  # fmt: skip
        if self.verbose:
            usage = answer.usage
            errors.print(
                Text(
                    f"  {usage.total_input_tokens:,} tokens in ({usage.cache_read_input_tokens:,} read from cache, "
                    f"{usage.cache_creation_input_tokens:,} written to cache), {usage.output_tokens:,} out; "
                    f"{_count(usage.replies, 'reply', 'replies')}, {_count(len(answer.calls), 'tool call')}, "
                    f"{answer.seconds:.1f} s",
                    style="dim",
                ),
                soft_wrap=True,
            )

    def failed(self, message: str) -> None:
        self._end_line()
        errors.print(Text.assemble(("Error: ", "red"), plain(message, multiline=True)), soft_wrap=True)

    def _end_line(self) -> None:
        if self._midline:
            out.print()
            self._midline = False


async def _answer(conversation: Conversation, question: str, terminal: Terminal) -> bool:
    from agents.errors import AgentError

    try:
        answer = await conversation.ask(question, terminal)
    except AgentError as exc:
        terminal.failed(str(exc))
        return False
    terminal.finished(answer)
    return True


@user_errors
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in words.")],
    agent: AgentOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Ask about your customers in words; the fitting agent answers from the tools, streaming.

    Example: engagement ask "Which customers have I not contacted recently?"
    """
    from agents.connect import open_conversation

    async def run() -> bool:
        async with open_conversation(load(), agent=agent) as conversation:
            return await _answer(conversation, question, Terminal(verbose))

    if not _interruptible(run):
        raise typer.Exit(1)


@user_errors
def chat(agent: AgentOption = None, verbose: VerboseOption = False) -> None:
    """A conversation with the agents: each question sees the ones before. Ctrl-D ends it.

    Example: engagement chat --verbose
    """
    from agents.connect import open_conversation

    async def run() -> bool:
        terminal = Terminal(verbose)
        async with open_conversation(load(), agent=agent) as conversation:
            errors.print(Text("Ask about your customers; Ctrl-D ends the conversation.", style="dim"))
            while (question := await asyncio.to_thread(_read_question)) is not None:
                if question.strip():
                    await _answer(conversation, question.strip(), terminal)
        return True

    _interruptible(run)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _read_question() -> str | None:
    try:
        return out.input(Text("you> ", style="bold green"))
    except EOFError:
        out.print()
        return None


def _interruptible(run: Any) -> Any:
    """Run the async command; Ctrl-C ends it quietly (exit code 130), as a shell expects."""
    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        out.print()
        raise typer.Exit(130) from None
