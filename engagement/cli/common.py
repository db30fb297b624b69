"""What every command module shares: the stderr console, user-error handling, the service."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import psycopg
import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from engagement.errors import EngagementError
from engagement.settings import Settings

if TYPE_CHECKING:
    from engagement.engine import EngagementService

errors = Console(stderr=True)
logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Bad input, bad settings or a failing database: a red message and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (EngagementError, ValidationError) as exc:
            errors.print(f"[red]Error:[/red] {exc}", highlight=False, soft_wrap=True)  # no line breaks inside paths
            raise typer.Exit(1) from exc
        except (SQLAlchemyError, sqlite3.Error, psycopg.Error) as exc:  # bulk paths use the drivers directly
            # Every write is one transaction, so a failure means nothing of this command was kept.
            # The class names the fault; the message would carry the statement and its host.
            logger.debug("database error in %s", fn.__name__, exc_info=True)
            errors.print(
                f"[red]Database error[/red] ({type(exc).__name__}): the command stopped and nothing it wrote was "
                "kept. Check the database (ENGAGEMENT_DATABASE_URL) and run it again.",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from exc

    return wrapper


def open_service() -> EngagementService:
    """The engine over the configured store; imported late so `--help` stays fast."""
    from server import create_service

    return create_service(Settings())
