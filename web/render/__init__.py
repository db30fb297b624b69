"""The dashboard's HTML: Jinja2 templates (web/templates) with autoescape on, so every value from the
data is text, never markup; `format` writes values for people and `charts` lays out the inline SVG."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from web.render import charts, format

_ENV = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=True,  # every template is HTML (with inline SVG); `|safe` is never used
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(
    score=format.score,
    signed=format.signed,
    direction=format.direction,
    percent=format.percent,
    share=format.share,
    day=format.day,
    short_day=format.short_day,
    days_ago=format.days_ago,
    money=format.money,
    hours=format.hours,
    minutes=format.minutes,
    words=format.words,
    period_name=format.period_name,
)
_ENV.globals.update(
    CATEGORY_LABEL=format.CATEGORY_LABEL,
    CATEGORY_RANGE=format.CATEGORY_RANGE,
    TREND_ARROW=format.TREND_ARROW,
    ACTIVITY_LABEL=format.ACTIVITY_LABEL,
    span=format.span,
    since=format.since,
    path=format.path,
    href=format.href,
    bar=charts.bar,
    stacked=charts.stacked,
    trend_chart=charts.trend_chart,
)


def render(template: str, **context: Any) -> str:
    return _ENV.get_template(template).render(**context)
