"""External ids for activities told in words: the same sentence about the same touchpoint gives the same id.

An agent that logs "I just had a 30 minute call with Sarah at Acme" twice must store one activity;
the store keeps one row per (source, external_id), so the id is derived from what was said, not drawn.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?,;:]+$")


def normalize(text: str) -> str:
    """The sentence as compared: Unicode-normalized, case-folded, runs of space as one, no trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _TRAILING.sub("", _SPACE.sub(" ", folded).strip())


def from_sentence(sentence: str, *context: str) -> str:
    """A stable id for an activity told in `sentence`, told apart by `context` (customer, date, type, ordinal).

    Spacing, case and closing punctuation do not change it; any other word does.
    """
    parts = [normalize(sentence), *(normalize(part) for part in context)]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"said:{digest[:32]}"
