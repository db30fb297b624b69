"""Text from data or from a user, made safe for a terminal: never rich markup, never an emoji code, and
every control character shown rather than obeyed (docs/data-safety.md, "Safe to print").

Every console of the command line is `safe_console()`: a string it prints is plain text (no `[b]`, no
`[link=...]`, no `:x:`), with its control characters made visible. Text put together by hand (`Text`,
a panel's title) takes each value through `plain()` / `visible()`.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console
from rich.text import Text

# C0 and C1 controls and DEL, and the bidirectional overrides and isolates that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # keeps \t and \n


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object, *, multiline: bool = False) -> str:
    """`value` as a string whose control characters are written out as escapes: ESC as `\\x1b`, U+202E as
    `\\u202e`. A multi-line text keeps its newlines and tabs; a one-line field shows them as `\\n`, `\\t`."""
    return (_LINE_CONTROLS if multiline else _CONTROLS).sub(_escape, str(value))


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
