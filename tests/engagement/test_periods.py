"""Period tokens resolved by hand against SPEC.md, and the previous period each compares with."""

from __future__ import annotations

import datetime as dt

import pytest

from engagement.errors import EngagementError
from engagement.periods import previous_period, recent_periods, resolve_period

D = dt.date.fromisoformat
AS_OF = D("2026-11-24")


@pytest.mark.parametrize(
    ("token", "as_of", "period", "previous"),
    [
        # SPEC.md's example: quarter to date, and the quarter before cut to the same elapsed days.
        ("this_quarter", AS_OF, ("2026-10-01", "2026-11-24"), ("2026-07-01", "2026-08-24")),
        (None, AS_OF, ("2026-10-01", "2026-11-24"), ("2026-07-01", "2026-08-24")),
        ("last_quarter", AS_OF, ("2026-07-01", "2026-09-30"), ("2026-04-01", "2026-06-30")),
        ("this_month", AS_OF, ("2026-11-01", "2026-11-24"), ("2026-10-01", "2026-10-24")),
        ("last_month", AS_OF, ("2026-10-01", "2026-10-31"), ("2026-09-01", "2026-09-30")),
        ("last_30_days", AS_OF, ("2026-10-26", "2026-11-24"), ("2026-09-26", "2026-10-25")),
        ("last_90_days", AS_OF, ("2026-08-27", "2026-11-24"), ("2026-05-29", "2026-08-26")),
        ("2026-Q3", AS_OF, ("2026-07-01", "2026-09-30"), ("2026-04-01", "2026-06-30")),
        ("2026-q4", AS_OF, ("2026-10-01", "2026-11-24"), ("2026-07-01", "2026-08-24")),
        ("2026-02", AS_OF, ("2026-02-01", "2026-02-28"), ("2026-01-01", "2026-01-31")),
        # SPEC.md: on 31 March, this_month's previous period is all of February, never past its own end.
        ("this_month", D("2026-03-31"), ("2026-03-01", "2026-03-31"), ("2026-02-01", "2026-02-28")),
        ("this_month", D("2026-05-31"), ("2026-05-01", "2026-05-31"), ("2026-04-01", "2026-04-30")),
        ("this_quarter", D("2026-01-01"), ("2026-01-01", "2026-01-01"), ("2025-10-01", "2025-10-01")),
    ],
)
def test_period_tokens_resolve_to_the_days_spec_md_gives(
    token: str | None, as_of: dt.date, period: tuple[str, str], previous: tuple[str, str]
) -> None:
    resolved = resolve_period(token, as_of)
    before = previous_period(resolved)

    assert (resolved.start, resolved.end) == (D(period[0]), D(period[1]))
    assert (before.start, before.end) == (D(previous[0]), D(previous[1]))


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("Q5", "Unknown period 'Q5'. Use this_quarter"),
        ("2026-13", "Unknown period '2026-13'"),
        ("next_quarter", "YYYY-Qn or YYYY-MM"),
        ("2027-Q1", "starts after the as-of date 2026-11-24"),
        ("2026-12", "starts after the as-of date"),
    ],
)
def test_a_bad_period_is_an_error_listing_the_valid_forms(token: str, says: str) -> None:
    with pytest.raises(EngagementError, match=says.replace("(", r"\(")):
        resolve_period(token, AS_OF)


def test_recent_months_end_with_the_current_month_to_date() -> None:
    months = recent_periods(3, "month", AS_OF)

    assert [(p.label, p.start, p.end) for p in months] == [
        ("2026-09", D("2026-09-01"), D("2026-09-30")),
        ("2026-10", D("2026-10-01"), D("2026-10-31")),
        ("2026-11", D("2026-11-01"), D("2026-11-24")),
    ]


@pytest.mark.parametrize("token", ["9999-12", "9999-Q4", "0000-01", "0001-01", "0001-Q1", "1000-01", "1989-12", "2101-01"])
def test_a_period_outside_the_calendar_is_refused_with_the_accepted_range(token: str) -> None:
    with pytest.raises(EngagementError, match=f"Period {token} is outside the accepted range 1990-01-01 to 2100-12-31"):
        resolve_period(token, D("2100-12-31"))


@pytest.mark.parametrize("token", ["٢٠٢٦-Q1", "２０２６-01", "2026-Q١"])
def test_period_digits_are_ascii_only(token: str) -> None:
    with pytest.raises(EngagementError, match="Unknown period"):
        resolve_period(token, AS_OF)


@pytest.mark.parametrize("as_of", [D("1989-12-31"), D("2101-01-01"), D("9999-12-31"), D("0001-01-01")])
def test_an_as_of_date_outside_the_calendar_is_refused(as_of: dt.date) -> None:
    for resolve in (lambda: resolve_period(None, as_of), lambda: recent_periods(6, "month", as_of)):
        with pytest.raises(EngagementError, match=f"as-of date {as_of.isoformat()} is outside the accepted range"):
            resolve()


def test_the_calendars_edges_resolve_and_their_previous_periods_do_not_crash() -> None:
    first, last = resolve_period("1990-01", D("1990-01-01")), resolve_period("2100-Q4", D("2100-12-31"))

    assert (first.start, first.end) == (D("1990-01-01"), D("1990-01-01"))
    assert (last.start, last.end) == (D("2100-10-01"), D("2100-12-31"))
    # The period before the first month lies before 1990: it holds no activity (none is stored before it).
    assert previous_period(first).label == "1989-12"
    assert previous_period(last).label == "2100-Q3"


@pytest.mark.parametrize("token", ["last_quarter", "last_month", "last_30_days", "last_90_days"])
def test_a_relative_period_reaching_before_1990_is_refused(token: str) -> None:
    with pytest.raises(EngagementError, match="outside the accepted range 1990-01-01 to 2100-12-31"):
        resolve_period(token, D("1990-01-05"))


def test_trends_stop_at_the_calendars_first_month() -> None:
    months = recent_periods(6, "month", D("1990-03-05"))
    quarters = recent_periods(24, "quarter", D("1990-01-01"))

    assert [p.label for p in months] == ["1990-01", "1990-02", "1990-03"]
    assert [p.label for p in quarters] == ["1990-Q1"]
