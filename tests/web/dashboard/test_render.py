"""The dashboard's value formatting and chart geometry, on hand-made answers."""

from __future__ import annotations

import datetime as dt

from engagement.schemas import CategoryCount, Components, EngagementTrends, TrendPoint
from web.render import charts, format


def trends(*scores: float) -> EngagementTrends:
    zero = Components(email_volume=0, email_response=0, meeting_frequency=0, meeting_quality=0, stakeholder_breadth=0, recency=0)
    points = [
        TrendPoint(
            period=f"2026-{month:02d}",
            start=dt.date(2026, month, 1),
            end=dt.date(2026, month, 28),
            engagement_score=score,
            category="healthy",
            change_from_last_period=0,
            trend="stable",
            components=zero,
        )
        for month, score in enumerate(scores, start=6)
    ]
    return EngagementTrends(customer_id="c", name="C", granularity="month", points=points)


def test_bars_are_a_share_of_the_longest_and_never_overflow() -> None:
    assert charts.bar(5, 10) == 50.0
    assert charts.bar(12, 10) == 100.0
    assert charts.bar(3, 0) == 0.0 and charts.bar(0, 10) == 0.0


def test_stacked_bar_lays_the_answers_shares_end_to_end_and_skips_empty_ones() -> None:
    parts = charts.stacked(
        [
            CategoryCount(category="high", count=1, share=25.0),
            CategoryCount(category="healthy", count=0, share=0.0),
            CategoryCount(category="low", count=2, share=50.0),
            CategoryCount(category="at_risk", count=1, share=25.0),
        ]
    )
    assert [(p.category, p.x, p.width) for p in parts] == [("high", 0.0, 25.0), ("low", 25.0, 50.0), ("at_risk", 75.0, 25.0)]


def test_trend_chart_puts_higher_scores_higher_and_months_left_to_right() -> None:
    chart = charts.trend_chart(trends(0, 50, 100), width=400, height=200)
    low, middle, high = chart.points
    assert low.y == chart.bottom and high.y == chart.top and low.y > middle.y > high.y
    assert chart.left < low.x < middle.x < high.x < chart.right
    assert [p.label for p in chart.points] == ["Jun", "Jul", "Aug"]
    assert [p.value for p in chart.points] == ["0.0", "50.0", "100.0"]
    assert chart.line == " ".join(f"{p.x},{p.y}" for p in chart.points)
    assert [b.category for b in chart.bands] == ["at_risk", "low", "healthy", "high"]


def test_one_point_sits_in_the_middle() -> None:
    chart = charts.trend_chart(trends(42), width=400, height=200)
    assert chart.points[0].x == (chart.left + chart.right) / 2


def test_changes_carry_a_true_minus_and_zero_is_plus_minus() -> None:
    assert format.signed(-3.2) == "−3.2"
    assert format.signed(4.0) == "+4.0" and format.signed(0.0) == "±0.0" and format.signed(None) == "–"


def test_days_since_contact_read_as_words() -> None:
    assert [format.days_ago(d) for d in (None, 0, 1, 5, 20, 100)] == [
        "never", "today", "yesterday", "5 days ago", "2 weeks ago", "3 months ago"
    ]


def test_links_quote_every_id_character_and_drop_empty_filters() -> None:
    assert format.path("customers", "a/b #1?") == "/customers/a%2Fb%20%231%3F"
    filters = {"period": "this_quarter", "csm": "", "segment": None, "category": "low"}
    assert format.href("/", filters, offset=25) == "/?period=this_quarter&category=low&offset=25"
    assert format.href("/", filters, category=None, offset=0) == "/?period=this_quarter"
