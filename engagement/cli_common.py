"""What every command module shares: the stderr console, user-error handling, the service."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from engagement.errors import EngagementError
from engagement.settings import Settings

if TYPE_CHECKING:
    from engagement.engine import EngagementService

errors = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Bad input or settings: a red message and exit code 1, never a traceback (nor a secret)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (EngagementError, ValidationError) as exc:
            errors.print(f"[red]Error:[/red] {exc}", highlight=False, soft_wrap=True)  # no line breaks inside paths
            raise typer.Exit(1) from exc

    return wrapper


def open_service() -> EngagementService:
    """The engine over the configured store; imported late so `--help` stays fast."""
    from server import create_service

    return create_service(Settings())
