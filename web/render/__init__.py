"""The dashboard's HTML: Jinja2 templates (web/templates) with autoescape on, so every value from the
data is text, never markup, and its control characters are shown, not obeyed (engagement.text's one rule,
for every `{{ }}` in HTML and SVG alike); `format` writes values for people and `charts` lays out the SVG."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from engagement.text import visible
from web.render import charts, format


def shown(value: Any) -> Any:
    """What a template writes for `value`: its text with control characters made visible, so a bidirectional
    override or an ESC in a name cannot change how the page reads (`Acme\u202eexe.TXT`). A macro's output is
    markup the templates made from values already shown."""
    return value if hasattr(value, "__html__") else visible(value)


_ENV = Environment(
    loader=PackageLoader("web", "templates"),
    autoescape=True,  # every template is HTML (with inline SVG); `|safe` is never used
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=shown,
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
