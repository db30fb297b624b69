"""What went wrong, in one mapping every edge shares (MCP tools, CLI, REST).

Three kinds of fault: the caller's (bad input, a record they named that is not there, or a write
that conflicts with what is stored: the message says what is accepted), the database's (away or
busy: try again), and ours (a bug: logged with its traceback under a short reference, and only
"internal error (ref ...)" goes out, never the exception's own text, which can carry SQL, file paths
or someone's data).
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import sys
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)


class EngagementError(ValueError):
    """Bad input from a caller: the message says what was wrong and what is accepted."""


class NotFoundError(EngagementError):
    """A customer, CSM or other record named by the caller does not exist, is not theirs to see, or is ambiguous."""


class ConflictError(EngagementError):
    """A write the store cannot take as sent (an external_id another activity holds): nothing was stored,
    and the message says what to send instead. It never describes what holds the key."""


class ConfigError(EngagementError):
    """A setting or config file is invalid; raised at start-up."""


NESTED_TOO_DEEPLY = (
    "The input is nested too deeply to read (thousands of levels of brackets); nothing was read from it. "
    "Give the file or body as its format expects: a JSON or TOML document a few levels deep."
)

FaultKind = Literal["invalid", "not_found", "conflict", "unavailable", "internal"]
STATUS: dict[FaultKind, int] = {"invalid": 400, "not_found": 404, "conflict": 409, "unavailable": 503, "internal": 500}


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    message: str

    @property
    def status(self) -> int:
        """The HTTP status that fits."""
        return STATUS[self.kind]

    @property
    def callers(self) -> bool:
        """True when the caller can fix it by changing what they sent."""
        return self.kind in ("invalid", "not_found", "conflict")


def database_trouble(exc: BaseException) -> str | None:
    """What keeps the store from answering, in words without addresses; None when it is not that.

    A database that is down, restarting, unreachable or locked past the busy wait is not a bug: the
    caller should try again. Anything else from the database (a missing table, a constraint) is one.
    """
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

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


def fault_of(exc: BaseException, where: str) -> Fault:
    """The fault an exception raised while answering `where` (a tool or command name) stands for.

    Database trouble and our own bugs are logged here, once, under the reference the message gives.
    """
    if isinstance(exc, NotFoundError):
        return Fault("not_found", str(exc))
    if isinstance(exc, ConflictError):
        return Fault("conflict", str(exc))
    if isinstance(exc, EngagementError):
        return Fault("invalid", str(exc))
    if isinstance(exc, RecursionError):
        # Python's JSON and TOML readers recurse once per level: a file or body nested thousands deep (a
        # hostile credential file, say) ends here, before anything was read from it.
        logger.info("%s: input nested too deeply to read", where)
        return Fault("invalid", NESTED_TOO_DEEPLY)
    ref = secrets.token_hex(4)
    if (trouble := database_trouble(exc)) is not None:
        # Ids only: the driver's message names hosts and ports, and the statement's values are user data.
        orig = getattr(exc, "orig", None)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        logger.warning("%s: database unavailable (%s, %s) ref=%s", where, type(orig or exc).__name__, code, ref)
        return Fault(
            "unavailable",
            f"The engagement database is unavailable right now ({trouble}); try again shortly. "
            f"A retried write with the same external_id is stored once. (ref {ref})",
        )
    logger.error("%s: internal error ref=%s", where, ref, exc_info=exc)
    return Fault("internal", f"Internal error (ref {ref}); the details are logged under that reference.")
