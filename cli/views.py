"""Rich renderings of the engine's answers for the terminal (part of the CLI edge). Every value from the
store goes in through `plain()` (cli.text): shown as written, never as markup."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cli.text import plain
from engagement.schemas import CustomerEngagement, EngagementTrends, PortfolioEngagement

CATEGORY_STYLE = {"high": "green", "healthy": "cyan", "low": "yellow", "at_risk": "red"}
CATEGORY_LABEL = {"high": "High (80+)", "healthy": "Healthy (60-79)", "low": "Low (40-59)", "at_risk": "At Risk (<40)"}
TREND_ARROW = {"improving": "↑", "stable": "→", "declining": "↓"}
BAR_WIDTH = 24


def _bar(value: float, maximum: float, style: str) -> Text:
    filled = 0 if maximum <= 0 else round(BAR_WIDTH * value / maximum)
    return Text("█" * filled, style=style)


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}"


def _ago(when: dt.datetime | None, as_of: dt.date) -> str:
    if when is None:
        return "never"
    days = (as_of - when.date()).days
    return "today" if days == 0 else f"{days} days ago"


def portfolio(result: PortfolioEngagement, width: int = 120) -> Panel:
    summary = result.summary
    counts = {c.category: c for c in summary.categories}
    cards = Table.grid(expand=True, padding=(0, 2))
    for _ in range(3):
        cards.add_column()
    average = "n/a" if summary.average_score is None else f"{summary.average_score:.1f}/100"
    cards.add_row(
        Text.assemble(("Avg Score\n", "bold"), (average, "bold magenta"), f"\n{_signed(summary.average_change)} vs previous"),
        Text.assemble(("High Engaged\n", "bold"), (str(counts["high"].count), "bold green"), f"\n{counts['high'].share:.1f}% of portfolio"),
        Text.assemble(("At Risk\n", "bold"), (str(counts["at_risk"].count), "bold red"), "\nNeed attention"),
    )
    distribution = Table(show_header=False, box=None, pad_edge=False)
    top = max((c.count for c in summary.categories), default=0)
    for item in summary.categories:
        style = CATEGORY_STYLE[item.category]
        distribution.add_row(CATEGORY_LABEL[item.category], _bar(item.count, top, style), f"{item.count} ({item.share:.0f}%)")
    wide = width >= 110  # an 80-column terminal has no room for segment and CSM
    attention = Table(title="Customers needing attention", expand=True)
    for column in ("Customer", "Segment", "CSM")[: 3 if wide else 1]:
        attention.add_column(column, ratio=2 if column == "Customer" else 1)
    for column in ("Score", "Trend", "Last contact"):
        attention.add_column(column, no_wrap=True)
    attention.add_column("Why", ratio=3)
    for row in result.customers:
        if row.attention_reason is None:
            continue
        days = "never" if row.days_since_last_contact is None else f"{row.days_since_last_contact} days"
        attention.add_row(
            *(plain(row.name), plain(row.segment), plain(row.csm_id or ""))[: 3 if wide else 1],
            Text(f"{row.engagement_score:.1f}", style=CATEGORY_STYLE[row.category]),
            f"{TREND_ARROW[row.trend]} {row.change_from_last_period:+.1f}",
            days,
            plain(row.attention_reason),
        )
    period = result.period
    title = f"Engagement Metrics Report — {period.label} ({period.start} .. {period.end}) — {result.scope}"
    return Panel(Group(cards, Text("\nEngagement distribution", style="bold"), distribution, attention), title=plain(title))


def customer(detail: CustomerEngagement, trend: EngagementTrends) -> Panel:
    score = detail.score
    header = Text.assemble(
        ("Engagement score: ", "bold"),
        (f"{score.engagement_score:.1f}/100 ({score.category.replace('_', ' ').title()})", CATEGORY_STYLE[score.category]),
        plain(f"    Trend: {TREND_ARROW[score.trend]} {score.change_from_last_period:+.1f} vs {detail.previous_period.label}"),
    )
    acts, quality = detail.activities, detail.quality
    breakdown = Table(title=plain(f"Activity breakdown ({detail.period})"), show_header=False)
    for label, value in (
        ("Emails sent", acts.emails_sent),
        ("Emails received", acts.emails_received),
        ("Response rate", f"{quality.response_rate * 100:.0f}%"),
        ("Meetings held", acts.meetings_held),
        ("Meeting time", f"{acts.meeting_minutes / 60:.1f} hours"),
        ("Calls made / received", f"{acts.calls_made} / {acts.calls_received}"),
        ("QBRs", f"{acts.qbrs_completed} completed"),
        ("Executive touchpoints", quality.executive_touchpoints),
    ):
        breakdown.add_row(label, str(value))
    parts = Table(title="Score components (0-100)", show_header=False)
    for name, value in score.components.model_dump().items():
        parts.add_row(name.replace("_", " "), f"{value:.1f}", _bar(value, 100, "magenta"))
    coverage = Table(title="Stakeholder coverage", show_header=False)
    top = max((s.touchpoints for s in detail.stakeholders), default=0)
    for person in detail.stakeholders[:8]:
        who = person.name or person.email or "?"
        if person.title:
            who += f" ({person.title})"
        coverage.add_row(plain(who), _bar(person.touchpoints, top, "cyan"), f"{person.touchpoints}", f"Last: {_ago(person.last_contact, detail.period_end)}")
    history = Table(title=f"Engagement trend ({len(trend.points)} {trend.granularity}s)", show_header=False)
    for point in trend.points:
        history.add_row(plain(point.period), _bar(point.engagement_score, 100, CATEGORY_STYLE[point.category]), f"{point.engagement_score:.1f}")
    recent = Table(title="Recent activities", show_header=False)
    for item in detail.recent_activities:
        length = f" ({item.duration_minutes:.0f} min)" if item.duration_minutes else ""
        recent.add_row(
            item.date.strftime("%b %d"), plain(f"{item.type} {item.direction}{length}"), plain(item.subject or ", ".join(item.participants))
        )
    return Panel(
        Group(header, breakdown, parts, coverage, history, recent),
        title=plain(f"Engagement: {detail.name} — {detail.segment}, CSM {detail.csm_id or 'none'}"),
    )


def import_report(report: Any) -> Group:
    line = Text(
        f"{report.kind}: {report.rows_read} rows read, {report.imported} imported, {report.updated} updated, "
        f"{report.unchanged} already stored, {len(report.rejected)} rejected"
        + ("" if report.written else " — nothing written (--strict)"),
        style="bold",
    )
    if not report.rejected:
        return Group(line)
    table = Table("Row", "Reason", title="Rejected rows")
    for item in report.rejected:
        table.add_row(str(item.row), plain(item.reason, multiline=True))
    return Group(line, table)


def demo_summary(summary: Any, database_url: str) -> Group:
    return Group(
        Text(
            f"Demo portfolio loaded (seed {summary.seed}, as of {summary.as_of}): {summary.csms} CSMs, "
            f"{summary.customers} customers, {summary.stakeholders} stakeholders, {summary.activities} activities.",
            style="bold green",
        ),
        plain(f"Store: {database_url}"),
        Text("Next: `engagement report` for the portfolio, `engagement customer NAME` for one account."),
        Text("Connect Claude: `engagement install claude-desktop` (or `claude-code`); README, 'Connect to Claude'."),
    )
