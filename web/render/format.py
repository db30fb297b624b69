"""How the pages write the answers' values: scores, changes, shares, dates, money. Text only; the
templates escape it (autoescape), so nothing here returns markup."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

CATEGORY_LABEL = {"high": "High", "healthy": "Healthy", "low": "Low", "at_risk": "At risk"}
CATEGORY_RANGE = {"high": "80+", "healthy": "60–79", "low": "40–59", "at_risk": "below 40"}
TREND_ARROW = {"improving": "↑", "stable": "→", "declining": "↓"}
PERIODS = (
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("last_30_days", "Last 30 days"),
    ("last_90_days", "Last 90 days"),
)
ACTIVITY_LABEL = {"email": "Email", "meeting": "Meeting", "call": "Call", "qbr": "QBR", "message": "Message", "event": "Event"}


def score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def signed(value: float | None) -> str:
    """A change with its sign; a true minus sign, so it reads as one in every font."""
    if value is None:
        return "–"
    if value == 0:
        return "±0.0"
    return f"{value:+.1f}".replace("-", "−")


def direction(value: float | None) -> str:
    """A CSS word for a change: up, down or flat."""
    if value is None or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


def percent(share: float) -> str:
    """A 0..1 share as a whole percent."""
    return f"{share * 100:.0f}%"


def share(value: float) -> str:
    """An answer's percent (0..100, one decimal) as a whole percent."""
    return f"{value:.0f}%"


def period_name(label: str) -> str:
    return dict(PERIODS).get(label, label)


def span(start: dt.date, end: dt.date) -> str:
    """Two dates as a short range: 'Oct 1 – Nov 24, 2026'."""
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "–"
    return f"{value:%b} {value.day}, {value.year}"


def short_day(value: dt.date | dt.datetime) -> str:
    return f"{value:%b} {value.day}"


def days_ago(days: int | None) -> str:
    """The answer's whole days since the last contact, in words."""
    if days is None:
        return "never"
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 70:
        return f"{days // 7} weeks ago"
    return f"{days // 30} months ago"


def since(when: dt.datetime | None, end: dt.date) -> str:
    """How long before `end` (the period's last day) a dated contact was."""
    return days_ago(None if when is None else (end - when.date()).days)


def money(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"


def hours(minutes: float) -> str:
    return f"{minutes / 60:.1f} h"


def minutes(value: float | None) -> str:
    return "" if not value else f"{value:.0f} min"


def words(name: str) -> str:
    """A component or field name for people: 'email_volume' -> 'Email volume'."""
    return name.replace("_", " ").capitalize()


def path(*parts: str) -> str:
    """A URL path from segments, each fully quoted (a customer id may hold '/', '?' or '#')."""
    return "/" + "/".join(quote(part, safe="") for part in parts)


def href(base: str, params: dict[str, str | int | None], **changes: str | int | None) -> str:
    """`base` with the page's filters and some changed; empty ones left out."""
    merged = {**params, **changes}
    query = urlencode([(key, value) for key, value in merged.items() if value not in (None, "", 0)])
    return f"{base}?{query}" if query else base
