"""Scored portfolios kept per period and reused while the store's version stands still.

An entry is the whole portfolio (churned customers included) scored for one period by the same
`score_table` as everything else, held as numpy columns: filtering, ranking and patching a row
then cost microseconds. A write in this process patches the customers it touched; any other change
moves the version and the next read recomputes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from engagement.freshness import current_version
from engagement.metrics import ScoredTable
from engagement.periods import Period

Key = tuple[str, object, object]
MAX_ENTRIES = 32


@dataclass(frozen=True)
class Entry:
    period: Period
    version: int
    table: ScoredTable


class ScoreCache:
    def __init__(self) -> None:
        self._entries: dict[Key, Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(period: Period) -> Key:
        return (period.label, period.start, period.end)

    def scored(self, session: Session, period: Period, compute: Callable[[], ScoredTable]) -> ScoredTable:
        """The portfolio scored for `period`, recomputed only when the store changed since."""
        version = current_version(session)
        with self._lock:
            entry = self._entries.get(self.key(period))
        if entry is not None and entry.version == version:
            return entry.table
        table = compute()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[self.key(period)] = Entry(period, version, table)
        return table

    def tables_at(self, version: int) -> dict[Period, ScoredTable]:
        """The entries built at `version`, by period."""
        with self._lock:
            return {entry.period: entry.table for entry in self._entries.values() if entry.version == version}

    def patch(self, period: Period, expected: int, version: int, rows: ScoredTable | None) -> None:
        """Write `rows` into the period's entry if it is still at `expected`, and mark it at `version`
        (`rows` None: the write changed nothing of this period)."""
        with self._lock:
            entry = self._entries.get(self.key(period))
            if entry is None or entry.version != expected:
                return
            try:
                table = entry.table if rows is None else entry.table.patched(rows)
            except KeyError:  # a customer new since the entry was built: recompute on next read
                del self._entries[self.key(period)]
                return
            self._entries[self.key(period)] = Entry(period, version, table)
