"""Text from data or from a user, made safe for a terminal: never rich markup, never an emoji code, and
every control character shown rather than obeyed by engagement.text's one rule (docs/data-safety.md, "Safe to show").

Every console of the command line is `safe_console()`: a string it prints is plain text (no `[b]`, no
`[link=...]`, no `:x:`), with its control characters made visible. Text put together by hand (`Text`,
a panel's title) takes each value through `plain()` / `visible()`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from engagement.text import visible

__all__ = ["SafeConsole", "plain", "safe_console", "visible"]


def plain(value: object, style: str = "", *, multiline: bool = False) -> Text:
    """`value` as rich Text: printed as it is written, never read as markup or emoji codes."""
    return Text(visible(value, multiline=multiline), style=style)


class SafeConsole(Console):
    """A console whose strings are plain text with their control characters made visible."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # Every string printed, in a table cell or a title too, comes through here; markup stays off whatever
        # a caller asks, since a string here may carry data.
        kwargs.update(markup=False, emoji=False)
        return super().render_str(visible(text, multiline=True), **kwargs)


def safe_console(*, stderr: bool = False, soft_wrap: bool = False) -> SafeConsole:
    return SafeConsole(stderr=stderr, soft_wrap=soft_wrap)
