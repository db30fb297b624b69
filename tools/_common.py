"""What every tool module shares: error translation, annotations and argument types."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

import prompts
from engagement.errors import EngagementError
from engagement.periods import PERIOD_FORMS

P = ParamSpec("P")
R = TypeVar("R")

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


def description(name: str) -> str:
    return prompts.load(f"tools/{name}")


def caller_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the caller's mistakes (EngagementError) into tool errors the model can read and fix."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except EngagementError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper


CustomerRef = Annotated[
    str, Field(description="Customer id or name (case-insensitive; a unique part of the name works).", max_length=200)
]
PeriodToken = Annotated[str | None, Field(description=f"Period: {PERIOD_FORMS}. Default this_quarter.", max_length=32)]
CsmRef = Annotated[
    str | None,
    Field(
        description="A CSM's id or email (a manager means their team), or 'all'. Default: the configured user's "
        "accounts, else all.",
        max_length=320,
    ),
]
SegmentName = Annotated[str | None, Field(description="Enterprise, Mid-Market or SMB.", max_length=32)]
Limit = Annotated[int, Field(description="Rows per page, 1-500.", ge=1, le=500)]
Offset = Annotated[int, Field(description="Rows to skip, for the next page.", ge=0)]
