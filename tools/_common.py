"""What every tool module shares: error translation, annotations and argument types."""

from __future__ import annotations

import functools
import logging
import secrets
import sqlite3
import sys
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

import prompts
from engagement.errors import EngagementError
from engagement.periods import PERIOD_FORMS

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


def description(name: str) -> str:
    return prompts.load(f"tools/{name}")


def database_trouble(exc: BaseException) -> str | None:
    """What keeps the store from answering, in words without addresses; None when it is not that.

    A database that is down, restarting, unreachable or locked past the busy wait is not a bug: the
    caller should try again. Anything else from the database (a missing table, a constraint) is one.
    """
    if isinstance(exc, PoolTimeoutError):
        return "every connection is in use"
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return "the connection was lost"
    # psycopg is imported only when the store is PostgreSQL; an error of its kind means it is loaded.
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc.orig, psycopg.OperationalError):
        return "it cannot be reached or is restarting"
    if isinstance(exc.orig, sqlite3.OperationalError):
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text:
            return "another writer holds its lock"
        if "unable to open" in text or "disk i/o" in text:
            return "its file cannot be opened"
    return None


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(isinstance(item, str) and "\x00" in item for item in value)


def caller_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn the caller's mistakes (EngagementError) into tool errors the model can read and fix, and a
    database that is away or busy into one that says to try again (the next call reconnects)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for name, value in kwargs.items():
            if _has_nul(value):  # PostgreSQL refuses NUL in text; SQLite would store it: refuse it on both
                raise ToolError(f"{name} contains a NUL character (\\x00), which cannot be stored; remove it.")
        try:
            return fn(*args, **kwargs)
        except EngagementError as exc:
            raise ToolError(str(exc)) from exc
        except (DBAPIError, PoolTimeoutError) as exc:
            if (trouble := database_trouble(exc)) is None:
                raise
            ref = secrets.token_hex(4)
            # Ids only: the driver's message names hosts and ports, and the statement's values are user data.
            orig = getattr(exc, "orig", None)
            code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
            logger.warning("tool %s: database unavailable (%s, %s) ref=%s", fn.__name__, type(orig or exc).__name__, code, ref)
            raise ToolError(
                f"The engagement database is unavailable right now ({trouble}); try again shortly. "
                f"A retried log_activity with the same external_id is stored once. (ref {ref})"
            ) from None

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
