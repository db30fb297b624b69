"""What every command module shares: the stderr console, the one error mapping as exit codes, the core."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from pydantic import BaseModel
from rich.text import Text

from engagement.caller import Caller
from cli.text import plain, safe_console
from engagement.errors import fault_of
from engagement.settings import Settings

if TYPE_CHECKING:
    from engagement.core import Core

errors = safe_console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]


def print_json(answer: BaseModel) -> None:
    """An answer as indented JSON on stdout for `--json`, flushed so a script reading a pipe (or a
    repeating `sync --every`) gets each answer as it comes."""
    sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    sys.stdout.flush()


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Any failure as one red message and exit code 1, never a traceback (engagement.errors.fault_of):
    bad input or settings say what is accepted; a database failure or our own bug says that nothing the
    command wrote was kept (every write is one transaction) and gives the reference of the logged details."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except Exception as exc:
            fault = fault_of(exc, f"command {fn.__name__}")
            message = fault.message
            if not fault.callers:
                message += (
                    " The command stopped and nothing it wrote was kept; set ENGAGEMENT_LOG_LEVEL=DEBUG to see the details."
                )
            errors.print(Text.assemble(("Error: ", "red"), plain(message, multiline=True)), soft_wrap=True)  # no line breaks inside paths
            raise typer.Exit(1) from exc

    return wrapper


def log_to_stderr(settings: Settings) -> None:
    """Log lines to stderr at the configured level, tracebacks only at DEBUG where someone asked for them
    (unless logging is set up already, as when the commands run inside another program or a test)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    if settings.log_level != "DEBUG":
        handler.addFilter(_without_traceback)
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def _without_traceback(record: logging.LogRecord) -> bool:
    record.exc_info, record.exc_text = None, None
    return True


def load() -> Settings:
    """The settings from the environment (a bad value is a clear error), with logging set from them."""
    from engagement.app import load_settings

    settings = load_settings()
    log_to_stderr(settings)
    return settings


def open_core() -> Core:
    """The core over the configured store; imported late so `--help` stays fast."""
    from engagement.app import create_core

    return create_core(load())


def local_caller(core: Core) -> Caller:
    """Whoever runs the command: the configured user, as of today (or ENGAGEMENT_AS_OF)."""
    return Caller.local(core.settings)
