"""Derived columns of a scored table that several analyses share: rates scaled to a period, touchpoints,
outcomes as numbers, and the segment benchmarks they are compared with."""

from __future__ import annotations

from typing import Any

import numpy as np

from engagement.metrics import ScoredTable
from engagement.periods import Period
from engagement.scoring import Benchmark

DAYS_PER_MONTH = 365.25 / 12
DAYS_PER_QUARTER = 365.25 / 4
TOUCHPOINT_COLUMNS = (
    "emails_sent", "emails_received", "meetings_held", "calls_made", "calls_received", "messages_sent", "messages_received",
)


def per_month(counts: Any, period: Period) -> Any:
    """A period's counts as a monthly pace (a to-date period counts its elapsed days only)."""
    return counts * DAYS_PER_MONTH / period.days


def per_quarter(counts: Any, period: Period) -> Any:
    return counts * DAYS_PER_QUARTER / period.days


def touchpoints(table: ScoredTable) -> np.ndarray:
    """Emails, meetings (QBRs included), calls and messages of the period, both directions."""
    total = np.zeros(len(table), dtype=np.int64)
    for name in TOUCHPOINT_COLUMNS:
        total = total + table[name]
    return total


def health(table: ScoredTable) -> np.ndarray:
    """Each customer's health score, NaN when unknown (kept with the table, and by a write that leaves it)."""
    return table.derived("health_score", "float", lambda values: np.array(values, dtype=float))


def renewal_days(table: ScoredTable) -> np.ndarray:
    """Each customer's renewal date as datetime64[D], NaT when unknown (kept like `health`)."""
    return table.derived("renewal_date", "days", lambda values: np.array(values, dtype="datetime64[D]"))


def effort_ratio(emails_sent: Any, meetings_held: Any, period: Period, benchmark: Benchmark) -> Any:
    """How many times the benchmark's top the email or meeting pace is, whichever is higher (arrays or numbers)."""
    emails = per_month(emails_sent, period) / benchmark.emails_per_month[1]
    meetings = per_quarter(meetings_held, period) / benchmark.meetings_per_quarter[1]
    return np.maximum(emails, meetings)


def fmt(value: float) -> str:
    """A number as people write it: no trailing .0, one decimal otherwise."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def band(low: float, high: float) -> str:
    return f"{fmt(low)}-{fmt(high)}"
