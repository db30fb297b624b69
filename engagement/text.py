"""Text from data or from a caller, shown rather than obeyed: the one rule every view and every log line uses
(docs/data-safety.md, "Safe to show"): the terminal, the dashboard's HTML and SVG, Slack digests, logs.

A control character would otherwise act on whoever reads it: ESC starts a terminal sequence, CR and LF
start a forged log line, and a bidirectional control reorders what follows (`Acme\\u202eexe.TXT` reads
as another name). Each is written out as a Python-style escape instead.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the line and paragraph separators; the bidirectional marks (LRM, RLM, ALM),
# embeddings, overrides and isolates that change the order in which the text around them is shown.
_SHOWN = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f{_SHOWN}]")
_LINE_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f{_SHOWN}]")  # keeps \t and \n


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return _NAMED.get(match[0]) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible(value: object, *, multiline: bool = False) -> str:
    """`value` as a string whose control characters are written out as escapes: ESC as `\\x1b`, U+202E as
    `\\u202e`. A multi-line text keeps its newlines and tabs; a one-line field shows them as `\\n`, `\\t`."""
    return (_LINE_CONTROLS if multiline else _CONTROLS).sub(_escape, str(value))
