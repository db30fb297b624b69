"""What every tool module shares: the caller of each call, error translation, annotations, and the tools
made from a question's typed query (`QuestionTool`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, get_type_hints

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

import prompts
from engagement.access.grants import WRITE
from engagement.caller import Caller
from engagement.checks import has_nul
from engagement.core import Core
from engagement.errors import fault_of
from engagement.query import Query, field_type, parse

P = ParamSpec("P")
R = TypeVar("R")

CallerOf = Callable[[], Caller]
"""Who asks, made for each tool call: over stdio the configured user as of today; on the team server the
signed-in user of the request."""

def requiring(scope: str, caller_of: CallerOf) -> CallerOf:
    """`caller_of`, refusing a caller whose app was not granted `scope` (an OAuth connection; the local user,
    API tokens and the dashboard have every scope). The role still decides which customers."""

    def who() -> Caller:
        caller = caller_of()
        if not caller.may(scope):
            granted = " ".join(sorted(caller.scopes or ())) or "none"
            raise ToolError(
                f"This tool needs the {scope} scope, which this app was not granted (it has: {granted}). Disconnect "
                f"the app on the dashboard's Connected apps page and connect it again allowing {scope}."
            )
        return caller

    return who


READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


def description(name: str) -> str:
    return prompts.load(f"tools/{name}")


def tool_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Every failure as a tool error the model can read (engagement.errors.fault_of): the caller's mistake
    with what is accepted, a database that is away or busy with "try again", and our own bug as
    "internal error (ref ...)" with its traceback logged, never the exception's own text."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for name, value in kwargs.items():
            if has_nul(value):  # PostgreSQL refuses NUL in text; SQLite would store it: refuse it on both (a
                # question's query refuses it in the same words; this guards the tools that take no query)
                raise ToolError(f"{name} contains a NUL character (\\x00), which cannot be stored; remove it.")
        try:
            return fn(*args, **kwargs)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(fault_of(exc, f"tool {fn.__name__}").message) from None

    return wrapper


@dataclass(frozen=True)
class QuestionTool:
    """A tool that answers one question: its arguments are the query's fields (type, bounds, description,
    default: the SDK makes the input schema from them), its output schema the answer function's return
    model, its description prompts/tools/NAME.md."""

    name: str
    title: str
    answer: Callable[[Core, Caller, Any], Any]
    query: type[Query]
    annotations: ToolAnnotations = field(default_factory=lambda: READ_ONLY)


def register_questions(server: MCPServer, core: Core, caller_of: CallerOf, questions: Sequence[QuestionTool]) -> None:
    """Each question as a tool on `server`, answered against `core` for whoever `caller_of` says asks. A tool
    whose annotations say it writes (readOnlyHint false) asks its caller for engagement:write as well."""
    for question in questions:
        who = requiring(WRITE, caller_of) if question.annotations.read_only_hint is False else caller_of
        server.tool(
            name=question.name, title=question.title, description=description(question.name), annotations=question.annotations
        )(tool_errors(_handler(question, core, who)))


def _handler(question: QuestionTool, core: Core, caller_of: CallerOf) -> Callable[..., Any]:
    """A function whose keyword parameters are the query's fields, as the SDK reads a tool's arguments."""
    answer, query = question.answer, question.query

    def tool(**arguments: Any) -> Any:
        # The SDK checked each argument against the field it was made from; making the query adds the
        # query's own rules (an empty search, a customer with a csm_id) and is what the core answers.
        return answer(core, caller_of(), parse(query, arguments))

    tool.__name__ = tool.__qualname__ = question.name  # the SDK names the input schema "<name>Arguments"
    tool.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=field_type(info),
                default=inspect.Parameter.empty if info.is_required() else info.default,
            )
            for name, info in query.model_fields.items()
        ],
        return_annotation=get_type_hints(answer)["return"],
    )
    return tool
