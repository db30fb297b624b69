"""Period tokens resolved against the as-of date, with the previous period each compares to (SPEC.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from engagement.errors import EngagementError

PERIOD_FORMS = "this_quarter, last_quarter, this_month, last_month, last_30_days, last_90_days, YYYY-Qn or YYYY-MM"
DEFAULT_PERIOD = "this_quarter"
Granularity = Literal["month", "quarter"]
# The calendar the product knows (docs/rules.md, "Calendar"): activities, periods and as-of dates all lie
# in it. Earlier dates are typos; later ones would reach past what dates and the databases hold.
FIRST_YEAR, LAST_YEAR = 1990, 2100
FIRST_DAY, LAST_DAY = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)
CALENDAR = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# ASCII digits only: \d would take '٢٠٢٦' for 2026.
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """Whole UTC days `start`..`end`, both inclusive. `full_end` is where the period would end uncut."""

    label: str
    start: dt.date
    end: dt.date
    full_end: dt.date
    kind: str  # "quarter", "month" or "days"

    @property
    def to_date(self) -> bool:
        """True when the period was cut at the as-of date (quarter- or month-to-date)."""
        return self.end < self.full_end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def start_dt(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    def end_exclusive_dt(self) -> dt.datetime:
        """The first instant after the period, for `date < end_exclusive` queries."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())


def check_in_calendar(day: dt.date, what: str) -> dt.date:
    """`day` itself when it lies in the calendar; else an error naming `what` and the accepted range."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise EngagementError(f"{what} {day.isoformat()} is outside the accepted range {CALENDAR}.")
    return day


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(first_of_month: dt.date, months: int) -> dt.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def quarter_label(start: dt.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def calendar_period(start: dt.date, kind: str, as_of: dt.date, label: str | None = None) -> Period:
    """The quarter or month beginning at `start`, cut at the as-of date if it runs past it."""
    months = 3 if kind == "quarter" else 1
    full_end = add_months(start, months) - dt.timedelta(days=1)
    if start > as_of:
        raise EngagementError(
            f"Period {label or start.isoformat()} starts after the as-of date {as_of.isoformat()}; "
            "choose a period that has begun."
        )
    default_label = quarter_label(start) if kind == "quarter" else start.strftime("%Y-%m")
    return Period(label or default_label, start, min(full_end, as_of), full_end, kind)


def resolve_period(token: str | None, as_of: dt.date) -> Period:
    """Turn a period token into dates; an unknown token is an error listing the valid forms."""
    token = (token or DEFAULT_PERIOD).strip()
    check_in_calendar(as_of, "The as-of date")
    period = _resolve(token, as_of)
    if period.start < FIRST_DAY:  # a relative period from an as-of date at the calendar's start
        raise EngagementError(
            f"Period {period.label} would start on {period.start.isoformat()}, outside the accepted range {CALENDAR}; "
            f"choose a period from {FIRST_YEAR}-01 on."
        )
    return period


def _resolve(token: str, as_of: dt.date) -> Period:
    lowered = token.lower()
    if lowered == "this_quarter":
        return calendar_period(quarter_start(as_of), "quarter", as_of, "this_quarter")
    if lowered == "last_quarter":
        return calendar_period(add_months(quarter_start(as_of), -3), "quarter", as_of, "last_quarter")
    if lowered == "this_month":
        return calendar_period(month_start(as_of), "month", as_of, "this_month")
    if lowered == "last_month":
        return calendar_period(add_months(month_start(as_of), -1), "month", as_of, "last_month")
    if lowered in ("last_30_days", "last_90_days"):
        days = 30 if lowered == "last_30_days" else 90
        start = as_of - dt.timedelta(days=days - 1)
        return Period(lowered, start, as_of, as_of, "days")
    if match := _QUARTER.match(token):
        year, quarter = _year(token, match[1]), int(match[2])
        return calendar_period(dt.date(year, 3 * quarter - 2, 1), "quarter", as_of, f"{year}-Q{quarter}")
    if match := _MONTH.match(token):
        return calendar_period(dt.date(_year(token, match[1]), int(match[2]), 1), "month", as_of, token)
    raise EngagementError(f"Unknown period '{token}'. Use {PERIOD_FORMS}.")


def _year(token: str, digits: str) -> int:
    year = int(digits)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise EngagementError(f"Period {token} is outside the accepted range {CALENDAR}; give a year {FIRST_YEAR}-{LAST_YEAR}.")
    return year


def previous_period(period: Period) -> Period:
    """The period the trend compares with: the same kind just before, cut to the same elapsed days."""
    if period.kind == "days":
        end = period.start - dt.timedelta(days=1)
        start = end - dt.timedelta(days=period.days - 1)
        return Period(f"previous {period.label}", start, end, end, "days")
    months = 3 if period.kind == "quarter" else 1
    start = add_months(period.start, -months)
    full_end = period.start - dt.timedelta(days=1)
    end = min(start + dt.timedelta(days=period.days - 1), full_end) if period.to_date else full_end
    default_label = quarter_label(start) if period.kind == "quarter" else start.strftime("%Y-%m")
    return Period(default_label, start, end, full_end, period.kind)


def recent_periods(count: int, granularity: Granularity | str, as_of: dt.date) -> list[Period]:
    """The last `count` months or quarters, oldest first, the current one to date; near the calendar's
    start only those from its first month on (fewer than `count`, never a period before it)."""
    if granularity not in ("month", "quarter"):
        raise EngagementError(f"Unknown granularity '{granularity}'. Use month or quarter.")
    check_in_calendar(as_of, "The as-of date")
    months = 3 if granularity == "quarter" else 1
    current = quarter_start(as_of) if granularity == "quarter" else month_start(as_of)
    starts = [add_months(current, -months * back) for back in range(count - 1, -1, -1)]
    return [calendar_period(start, granularity, as_of) for start in starts if start >= FIRST_DAY]
