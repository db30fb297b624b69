"""What every tool module shares: the caller of each call, error translation, annotations, argument types."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field, TypeAdapter, WithJsonSchema

import prompts
from engagement.answers import MAX_LIMIT, MAX_OFFSET
from engagement.caller import Caller
from engagement.checks import has_nul
from engagement.errors import fault_of
from engagement.models import (
    MAX_DURATION_MINUTES,
    ActivityType,
    Direction,
    StakeholderLevel,
    MAX_ID_LENGTH,
    MAX_PARTICIPANT_LENGTH,
    MAX_PARTICIPANTS,
    MAX_RESPONSE_HOURS,
    MAX_SOURCE_LENGTH,
    MAX_SUBJECT_LENGTH,
)
from engagement.periods import PERIOD_FORMS

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
            if has_nul(value):  # PostgreSQL refuses NUL in text; SQLite would store it: refuse it on both
                raise ToolError(f"{name} contains a NUL character (\\x00), which cannot be stored; remove it.")
        try:
            return fn(*args, **kwargs)
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(fault_of(exc, f"tool {fn.__name__}").message) from None

    return wrapper


MAX_CUSTOMER_REF = 200
CustomerRef = Annotated[
    str,
    Field(description="Customer id or name (case-insensitive; a unique part of the name works).", max_length=MAX_CUSTOMER_REF),
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
Limit = Annotated[int, Field(description=f"Rows per page, 1-{MAX_LIMIT}.", ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Field(description=f"Rows to skip, for the next page, 0-{MAX_OFFSET:,}.", ge=0, le=MAX_OFFSET)]

# One touchpoint's fields, bounded as the store holds them: log_activity's arguments and the REST API's
# body (web/api.py ActivityIn) both use these, each adding its own descriptions. Each is published with the
# JSON schema of its type but taken as the caller sent it: the activity rules check it (ActivityCreate,
# strict: engagement/checks.py), so pydantic neither coerces it (`true` made 1.0 minutes) nor words a refusal.


def _as_sent(schema: Any) -> WithJsonSchema:
    return WithJsonSchema(TypeAdapter(schema).json_schema())


ActivityKind = Annotated[Any, _as_sent(ActivityType)]
ActivityDirection = Annotated[Any, _as_sent(Direction)]
ActivityDate = Annotated[Any, _as_sent(Annotated[str | None, Field(max_length=40)])]
DurationMinutes = Annotated[Any, _as_sent(Annotated[float | None, Field(ge=0, le=MAX_DURATION_MINUTES)])]
Participants = Annotated[
    Any,
    _as_sent(
        Annotated[list[Annotated[str, Field(max_length=MAX_PARTICIPANT_LENGTH)]] | None, Field(max_length=MAX_PARTICIPANTS)]
    ),
]
Level = Annotated[Any, _as_sent(StakeholderLevel | None)]
ResponseReceived = Annotated[Any, _as_sent(bool | None)]
ResponseHours = Annotated[Any, _as_sent(Annotated[float | None, Field(ge=0, le=MAX_RESPONSE_HOURS)])]
Subject = Annotated[Any, _as_sent(Annotated[str | None, Field(max_length=MAX_SUBJECT_LENGTH)])]
Source = Annotated[Any, _as_sent(Annotated[str, Field(min_length=1, max_length=MAX_SOURCE_LENGTH)])]
ExternalId = Annotated[Any, _as_sent(Annotated[str | None, Field(max_length=MAX_ID_LENGTH)])]
