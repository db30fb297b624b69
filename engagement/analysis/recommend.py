"""Next steps: for one account, rules with their reasons and numbers; for a portfolio, where an hour
of the CSM's time moves the score most, computed with the score's own components and weights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from engagement.analysis.columns import band, effort_ratio, fmt, per_month, per_quarter
from engagement.analysis.schemas import Recommendation
from engagement.metrics import ScoredTable, component_scores, weighted_sum
from engagement.periods import Period
from engagement.schemas import StakeholderCoverage
from engagement.scoring import COMPONENTS, Benchmark, Weights, round1

HOUR_MEETING_MINUTES = 60.0  # an hour as one meeting...
HOUR_EMAILS = 6  # ...or as six emails of ten minutes
CHAMPION_QUIET_DAYS = 14
STAKEHOLDER_QUIET_DAYS = 28
RESPONSE_DROP_POINTS = 15.0
MIN_KNOWN_RESPONSES = 3
OVER_ENGAGED_RATIO = 2.0
MAX_STAKEHOLDER_STEPS = 3


@dataclass(frozen=True)
class HourGain:
    """Per account: the score gain of the better hour (one meeting or six emails) and which it is, both
    worked out once here for every reader of the account."""

    best: np.ndarray
    best_is_meeting: np.ndarray  # a tie goes to the meeting
    now: np.ndarray
    meeting_components: dict[str, np.ndarray]
    email_components: dict[str, np.ndarray]
    current_components: dict[str, np.ndarray]


def hour_gain(table: ScoredTable, index: np.ndarray, weights: Weights) -> HourGain:
    """What an hour today would add to each picked account's score: one 60-minute meeting, or six
    outbound emails (answered at the account's current rate, so the response part stays), both making
    the last contact today and reaching at least one person (nobody is a new person otherwise). Same
    components, clamps and weights as the score itself."""

    def parts(emails: float = 0, meetings: float = 0, minutes: float = 0, contact_today: bool = False) -> dict[str, np.ndarray]:
        days = table["days_ago"][index]
        return component_scores(
            table["emails_sent"][index] + emails,
            table["responses_known"][index],
            table["responses_answered"][index],
            table["meetings_held"][index] + meetings,
            table["meeting_minutes"][index] + minutes,
            np.maximum(table["stakeholders_engaged"][index], 1) if contact_today else table["stakeholders_engaged"][index],
            np.zeros_like(days) if contact_today else days,
        )

    current = parts()
    meeting = parts(meetings=1, minutes=HOUR_MEETING_MINUTES, contact_today=True)
    emails = parts(emails=HOUR_EMAILS, contact_today=True)
    now = weighted_sum(current, weights)
    by_meeting, by_emails = weighted_sum(meeting, weights) - now, weighted_sum(emails, weights) - now
    return HourGain(np.maximum(by_meeting, by_emails), by_meeting >= by_emails, now, meeting, emails, current)


def hour_reason(gain: HourGain, i: int, weights: Weights) -> str:
    """Which components the better hour lifts most, e.g. 'meeting frequency 40 -> 60, recency 52 -> 100'."""
    after = gain.meeting_components if gain.best_is_meeting[i] else gain.email_components
    moved = sorted(
        ((getattr(weights, name) * (after[name][i] - gain.current_components[name][i]), name) for name in COMPONENTS),
        reverse=True,
    )
    parts = [f"{name.replace('_', ' ')} {fmt(round1(gain.current_components[name][i]))} -> {fmt(round1(after[name][i]))}"
             for points, name in moved[:2] if points > 0.05]
    what = "A 60-minute meeting" if gain.best_is_meeting[i] else "Six emails"
    if not parts:
        return f"{what} would barely move the score: its components are already full."
    return f"{what} today: {', '.join(parts)} (+{fmt(round1(gain.best[i]))} points)."


def _days_to(end: dt.date, when: dt.datetime | None) -> int | None:
    return None if when is None else (end - when.date()).days


def steps(
    row: dict[str, Any],
    previous: dict[str, Any] | None,
    period: Period,
    segment: str,
    benchmark: Benchmark | None,
    people: list[StakeholderCoverage],
) -> list[Recommendation]:
    """The rules of docs/rules.md for one account, most pressing first."""
    found: list[Recommendation] = []
    champions = [p for p in people if p.level == "champion"]
    executives = [p for p in people if p.level == "executive"]
    quiet_champions = [(p, _days_to(period.end, p.last_contact)) for p in champions]
    for person, days in sorted(quiet_champions, key=lambda item: -(item[1] if item[1] is not None else 10**6)):
        if days is None or days >= CHAMPION_QUIET_DAYS:
            quiet = "never contacted" if days is None else f"quiet for {days} days"
            found.append(Recommendation(kind="champion_quiet", action=f"Call {person.name or person.email}, your champion",
                                        reason=f"Champion {quiet}.", number=float(-1 if days is None else days)))
            break
    if int(row["executive_touchpoints"]) == 0:
        who = f" ({executives[0].name}, {executives[0].title})" if executives and executives[0].name else ""
        found.append(Recommendation(kind="no_executive_touchpoint", action=f"Get time with an executive{who}",
                                    reason=f"No executive touchpoint in {period.label} ({period.start} to {period.end}).", number=0))
    known, rate = int(row["responses_known"]), float(row["response_rate"])
    if previous is not None and known >= MIN_KNOWN_RESPONSES and int(previous["responses_known"]) >= MIN_KNOWN_RESPONSES:
        before = float(previous["response_rate"])
        drop = (before - rate) * 100
        if drop >= RESPONSE_DROP_POINTS:
            found.append(Recommendation(kind="response_rate_falling", action="Find out why replies dropped; try a call instead of email",
                                        reason=f"Response rate fell from {before * 100:.0f}% to {rate * 100:.0f}% against the previous period.",
                                        number=round1(drop)))
    if benchmark is not None:
        paces = (
            ("meetings_below_benchmark", "Book a meeting", "meetings", per_quarter(float(row["meetings_held"]), period),
             "a quarter", benchmark.meetings_per_quarter, row["meetings_held"]),
            ("emails_below_benchmark", "Write more often", "emails sent", per_month(float(row["emails_sent"]), period),
             "a month", benchmark.emails_per_month, row["emails_sent"]),
        )
        for kind, action, what, pace, per, (low, high), count in paces:
            if pace < low:
                found.append(Recommendation(kind=kind, action=action, number=round1(pace),
                                            reason=f"{count} {what} in {period.days} days: a pace of {pace:.1f} {per}, "
                                            f"below the {segment} benchmark of {band(low, high)}."))
    quiet_people = [(p, _days_to(period.end, p.last_contact)) for p in people if p.level in ("executive", "user") and p.name]
    quiet_people = [(p, d) for p, d in quiet_people if d is None or d >= STAKEHOLDER_QUIET_DAYS]
    for person, days in sorted(quiet_people, key=lambda item: -(item[1] if item[1] is not None else 10**6))[:MAX_STAKEHOLDER_STEPS]:
        since = "never contacted" if days is None else f"no contact for {days} days ({days // 7} weeks)"
        found.append(Recommendation(kind="stakeholder_not_contacted", action=f"Reach out to {person.name} ({person.title or person.level})",
                                    reason=f"{person.level.capitalize() if person.level else 'Stakeholder'}: {since}.",
                                    number=float(-1 if days is None else days)))
    if int(row["stakeholders_engaged"]) <= 1 and len(people) > 1:
        found.append(Recommendation(kind="single_threaded", action="Bring a second contact into the conversation",
                                    reason=f"Only {row['stakeholders_engaged']} contact engaged in {period.label}; {len(people)} are known.",
                                    number=float(row["stakeholders_engaged"])))
    if benchmark is not None:
        ratio = float(effort_ratio(row["emails_sent"], row["meetings_held"], period, benchmark))
        if ratio >= OVER_ENGAGED_RATIO:
            found.append(Recommendation(
                kind="over_engaged", action="Scale back: fewer, fuller touchpoints",
                reason=f"{per_month(float(row['emails_sent']), period):.1f} emails a month and "
                f"{per_quarter(float(row['meetings_held']), period):.1f} meetings a quarter are {ratio:.1f}x the {segment} "
                f"benchmark's top ({fmt(benchmark.emails_per_month[1])} emails, {fmt(benchmark.meetings_per_quarter[1])} meetings).",
                number=round1(ratio)))
    return found
