"""The alert rules (docs/rules.md, "Alerts") as pure functions over the check's numpy columns.

For each kind, `holds` says where its condition is true today (an active alert whose condition no longer
holds is resolved) and `raise_` where a new alert may open (`at_risk` only on the way down: the last
recorded score was 40 or more). Churned customers hold nothing, so their alerts resolve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from engagement.alerts.schemas import ALERT_KINDS, AlertKind
from engagement.scoring import round1_array

CHECK_PERIOD = "last_90_days"
"""The window of each day's score: a rolling 90 days, comparable from one day to the next (a to-date
quarter restarts at zero every quarter and would flag every account on its first day)."""
AT_RISK_BELOW = 40.0
DROP_POINTS = 15.0
DROP_DAYS = 7
EXECUTIVE_SEGMENT = "Enterprise"
EXECUTIVE_GRACE_DAYS = 30
"""A quarter's first 30 days raise no `no_executive_touchpoint`: on its first day every Enterprise account
has none yet, and an alert then would say nothing a CSM can act on; from day 31 two months are left."""


@dataclass(frozen=True)
class Columns:
    """The check's inputs, aligned to one array of customer ids."""

    scores: np.ndarray  # today's score of CHECK_PERIOD
    active: np.ndarray  # bool: not churned
    segments: np.ndarray  # object
    days_silent: np.ndarray  # whole days since the last contact; NaN: never contacted
    contact_limits: np.ndarray  # days each customer's segment allows
    executive_touchpoints: np.ndarray  # this quarter's
    quarter_day: int  # the day's place in its quarter, 1 on the quarter's first day
    last_recorded: np.ndarray  # the score recorded on the last check day before today; NaN: none
    week_ago: np.ndarray  # the score recorded DROP_DAYS days before today; NaN: none


@dataclass(frozen=True)
class Finding:
    holds: np.ndarray
    raise_: np.ndarray
    number: np.ndarray  # float, NaN: none


def findings(c: Columns) -> dict[AlertKind, Finding]:
    with np.errstate(invalid="ignore"):
        at_risk = c.active & (c.scores < AT_RISK_BELOW)
        drop = round1_array(c.week_ago - c.scores)
        dropped = c.active & (drop >= DROP_POINTS)
        silent = c.active & (np.isnan(c.days_silent) | (c.days_silent > c.contact_limits))
        no_executive = (
            c.active & (c.segments == EXECUTIVE_SEGMENT) & (c.executive_touchpoints == 0)
            & (c.quarter_day > EXECUTIVE_GRACE_DAYS)
        )
        was_fine = c.last_recorded >= AT_RISK_BELOW
    found: dict[AlertKind, Finding] = {
        "at_risk": Finding(at_risk, at_risk & was_fine, c.scores),
        "score_drop": Finding(dropped, dropped, drop),
        "no_contact": Finding(silent, silent, c.days_silent),
        "no_executive_touchpoint": Finding(no_executive, no_executive, np.zeros(len(c.scores))),
    }
    assert tuple(found) == ALERT_KINDS
    return found


def details(
    kind: AlertKind, c: Columns, i: int, number: float, day: dt.date, last_day: dt.date | None, quarter_start: dt.date
) -> str:
    """The sentence a CSM reads for customer `i`'s new alert of `kind` (`number`: its finding's)."""
    score = float(c.scores[i])
    if kind == "at_risk":
        return f"Score {score:.1f} fell below {AT_RISK_BELOW:.0f} (recorded {float(c.last_recorded[i]):.1f} on {last_day})."
    if kind == "score_drop":
        before = float(c.week_ago[i])
        return (
            f"Score fell {number:.1f} points in {DROP_DAYS} days: {before:.1f} on "
            f"{day - dt.timedelta(days=DROP_DAYS)}, {score:.1f} now."
        )
    if kind == "no_contact":
        limit = int(c.contact_limits[i])
        silent = c.days_silent[i]
        said = "Never contacted" if np.isnan(silent) else f"No contact for {int(silent)} days"
        return f"{said}; {c.segments[i]} accounts allow {limit}."
    return f"No executive touchpoint this quarter ({quarter_start} to {day})."
