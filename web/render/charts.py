"""Geometry of the inline SVG charts, from the answers' values: where each bar ends, where each point of
a trend sits. The templates draw it (and escape every label); nothing here computes a score."""

from __future__ import annotations

from dataclasses import dataclass

from engagement.schemas import CategoryCount, EngagementTrends
from web.render.format import score

# The category bands a score falls in (SPEC.md), bottom to top, for the trend chart's background.
BANDS = (("at_risk", 0, 40), ("low", 40, 60), ("healthy", 60, 80), ("high", 80, 100))


def bar(value: float, maximum: float) -> float:
    """A bar's length in percent of its track: `value` against the longest bar's `maximum`."""
    if maximum <= 0 or value <= 0:
        return 0.0
    return round(min(100.0, value * 100 / maximum), 2)


@dataclass(frozen=True)
class Segment:
    category: str
    x: float
    width: float
    count: int


def stacked(categories: list[CategoryCount]) -> list[Segment]:
    """A 0..100 wide bar split by the answer's category shares (they add up to 100, give or take rounding)."""
    total = sum(item.share for item in categories) or 1.0
    segments, x = [], 0.0
    for item in categories:
        width = round(item.share * 100 / total, 2)
        if width > 0:
            segments.append(Segment(item.category, round(x, 2), width, item.count))
        x += width
    return segments


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the month, e.g. "Nov"
    value: str  # the score as shown
    category: str
    title: str  # the tooltip: period and score


@dataclass(frozen=True)
class Band:
    category: str
    y: float
    height: float


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[Point]
    bands: list[Band]
    ticks: list[Tick]

    @property
    def line(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)


def trend_chart(trends: EngagementTrends, width: int = 640, height: int = 260) -> TrendChart:
    """Scores 0..100 up the side, the periods along the bottom (oldest left), category bands behind."""
    left, right, top, bottom = 44, width - 24, 34, height - 40

    def y_of(value: float) -> float:
        return round(bottom - (bottom - top) * max(0.0, min(100.0, value)) / 100, 1)

    count = len(trends.points)
    inset = 28  # keeps the first and last value labels clear of the axis and the edge
    step = (right - left - 2 * inset) / (count - 1) if count > 1 else 0
    points = [
        Point(
            x=round(left + inset + step * i if count > 1 else (left + right) / 2, 1),
            y=y_of(p.engagement_score),
            label=f"{p.start:%b}" if trends.granularity == "month" else p.period,
            value=score(p.engagement_score),
            category=p.category,
            title=f"{p.period}: {score(p.engagement_score)}",
        )
        for i, p in enumerate(trends.points)
    ]
    bands = [Band(name, y_of(high), round(y_of(low) - y_of(high), 1)) for name, low, high in BANDS]
    ticks = [Tick(y_of(value), str(value)) for value in (0, 40, 60, 80, 100)]
    return TrendChart(width, height, left, right, top, bottom, points, bands, ticks)
