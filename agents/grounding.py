"""Did the answer's scores come from the tools? Scores, averages, changes and shares are one-decimal numbers;
one in an answer that no tool answered in the conversation is named, so the CSM knows not to rely on it.

The system prompt forbids such numbers; this catches the model when it does it anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Not part of a word, a version or a name like "sonnet-5.5"; the sign is left out (a fall of 3.2 is -3.2).
ONE_DECIMAL = re.compile(r"(?<![\w.])(?<!\w-)\d{1,3}\.\d(?![\d.]*\d)")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def tool_answers(messages: Iterable[Any]) -> str:
    """The text of every tool result in `messages` (the request history the tools answered into)."""
    texts: list[str] = []
    for message in messages:
        content = message["content"] if isinstance(message, dict) else []
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                inner = block.get("content")
                texts += [inner] if isinstance(inner, str) else [part.get("text", "") for part in inner or []]
    return "\n".join(texts)


def unsupported(answer: str, told: str) -> list[str]:
    """The one-decimal numbers of 0-100 in `answer` that no tool said (to the first decimal), in order."""
    known = {round(float(number), 1) for number in NUMBER.findall(told)}
    found = [number for number in ONE_DECIMAL.findall(answer) if float(number) <= 100]
    return list(dict.fromkeys(number for number in found if round(float(number), 1) not in known))
