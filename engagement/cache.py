"""Scored portfolios kept in memory per period, each at the store version it is exact for.

An entry is the whole portfolio (churned customers included) scored for one period by the same
`score_table` as everything else, held as numpy columns: filtering, ranking and patching a row
then cost microseconds. A write in this process patches the customers it touched; any other change
moves the version, and the next read brings the entry up to it from the change log (engagement.scorer).
The last two versions of a period are kept, so a request reading a snapshot just before someone
else's write still finds its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from engagement.metrics import ScoredTable
from engagement.periods import Period

Key = tuple[str, object, object]
MAX_PERIODS = 32
VERSIONS_KEPT = 2


@dataclass(frozen=True)
class Entry:
    period: Period
    version: int
    table: ScoredTable
    unsaved: int  # customers rescored since the table was last saved as the period's snapshot (or read from it)


class ScoreCache:
    def __init__(self) -> None:
        self._entries: dict[Key, list[Entry]] = {}  # newest version first; periods in order of last use
        self._lock = threading.Lock()

    @staticmethod
    def key(period: Period) -> Key:
        return (period.label, period.start, period.end)

    def at_or_before(self, period: Period, version: int) -> Entry | None:
        """The newest entry of `period` exact at `version` or earlier (a later one cannot serve it)."""
        with self._lock:
            entries = self._entries.pop(self.key(period), [])
            if entries:
                self._entries[self.key(period)] = entries  # used last: evicted last
        return next((entry for entry in entries if entry.version <= version), None)

    def put(self, entry: Entry) -> None:
        with self._lock:
            entries = [e for e in self._entries.pop(self.key(entry.period), []) if e.version != entry.version]
            self._entries[self.key(entry.period)] = sorted([entry, *entries], key=lambda e: -e.version)[:VERSIONS_KEPT]
            while len(self._entries) > MAX_PERIODS:
                del self._entries[next(iter(self._entries))]

    def tables_at(self, version: int) -> dict[Period, ScoredTable]:
        """The entries exact at `version`, by period."""
        with self._lock:
            return {e.period: e.table for entries in self._entries.values() for e in entries if e.version == version}

    def patch(self, period: Period, expected: int, version: int, rows: ScoredTable | None) -> Entry | None:
        """Write `rows` into the period's entry at `expected` and keep the result at `version` (`rows` None:
        the write changed nothing of this period); the new entry, if there was one to patch."""
        with self._lock:
            entry = next((e for e in self._entries.get(self.key(period), []) if e.version == expected), None)
        if entry is None:
            return None
        table, unsaved = entry.table, entry.unsaved
        if rows is not None:
            table, unsaved = table.merged(rows, ()), unsaved + len(rows)
        patched = Entry(period, version, table, unsaved)
        self.put(patched)
        return patched
