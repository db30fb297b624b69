"""The daily check: record every customer's score of the day, raise and resolve alerts, queue the digests.

Scores come from the one scoring path (`core.scorer.portfolio`, the numbers get_portfolio_engagement
shows for CHECK_PERIOD); nothing here reads activities. Every write of a run is one transaction, and
each is idempotent by a unique key: a history row per customer and day (never rewritten), one active
alert per customer and kind. A second run of the same day, or two at once, records and raises nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import numpy as np
from sqlmodel import Session

from engagement import lookup
from engagement.alerts import notify, rules, store
from engagement.alerts.schemas import ALERT_KINDS, AlertKind, CheckReport
from engagement.answers import period_info
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope, session_scope
from engagement.errors import EngagementError
from engagement.metrics import ScoredTable
from engagement.models import utcnow
from engagement.periods import resolve_period
from engagement.queries import CheckQuery
from engagement.scoring import COMPONENTS


def run_check(core: Core, caller: Caller, q: CheckQuery = CheckQuery(), post: notify.Post = notify.post_json) -> CheckReport:
    """The check as of the caller's day. It writes for every customer, so only a caller who sees them all may run it."""
    if caller.visible_csms is not None:
        raise EngagementError(
            "The engagement check records every customer's score and alerts; only an admin may run it "
            "(or schedule `engagement check` on the server)."
        )
    day = caller.as_of
    period = resolve_period(rules.CHECK_PERIOD, day)
    quarter = resolve_period("this_quarter", day)
    with read_scope(core.engine) as session:
        table = core.scorer.portfolio(session, period)
        in_quarter = core.scorer.portfolio(session, quarter)
        last_day = store.last_recorded_day(session, day)
        last_recorded = _recorded(session, table, last_day)
        week_ago = _recorded(session, table, day - dt.timedelta(days=rules.DROP_DAYS))
        csm_names = lookup.csm_names(session)
    columns = _columns(core, table, in_quarter, last_recorded, week_ago, (day - quarter.start).days + 1)
    found = rules.findings(columns)
    now = utcnow()
    with session_scope(core.engine) as session:
        recorded = _record(session, table, day, now)
        active = store.active_alerts(session)  # after the first write: a concurrent check's alerts are seen
        resolved = _resolve(session, active, table, found, now)
        new = _raise(session, active, table, columns, found, day, last_day, quarter.start, now)
        queued = _queue(session, new, table, csm_names, day, now)
        open_alerts = store.unresolved_count(session)
    sent = notify.deliver(core.engine, core.settings.alert_webhook, post) if core.settings.alert_webhook else 0
    raised = Counter(new_alert[2] for new_alert in new)
    return CheckReport(
        day=day,
        period=period_info(period),
        customers_scored=len(table),
        recorded=recorded,
        raised={kind: raised[kind] for kind in ALERT_KINDS},
        resolved={kind: resolved[kind] for kind in ALERT_KINDS},
        open_alerts=open_alerts,
        digests_queued=queued,
        digests_sent=sent,
        digests_pending=notify.pending_count(core.engine),
        webhook=core.settings.alert_webhook is not None,
    )


def _recorded(session: Session, table: ScoredTable, day: dt.date | None) -> np.ndarray:
    """The scores recorded on `day`, aligned to `table` (NaN where none)."""
    scores = np.full(len(table), np.nan)
    if day is not None:
        positions = table.positions
        for customer_id, score in store.recorded_scores(session, day):
            if (position := positions.get(customer_id)) is not None:
                scores[position] = score
    return scores


def _columns(
    core: Core,
    table: ScoredTable,
    in_quarter: ScoredTable,
    last_recorded: np.ndarray,
    week_ago: np.ndarray,
    quarter_day: int,
) -> rules.Columns:
    segments = table["segment"]
    limits = {segment: core.scoring.contact_limit(segment) for segment in set(segments.tolist())}
    executive = in_quarter["executive_touchpoints"]
    if not np.array_equal(in_quarter.ids, table.ids):  # a write between the two reads: align by id
        where = in_quarter.positions
        executive = np.array([executive[where[c]] if c in where else 0 for c in table.ids.tolist()])
    return rules.Columns(
        scores=np.asarray(table["engagement_score"], dtype=float),
        active=~np.asarray(table["churned"], dtype=bool),
        segments=segments,
        days_silent=np.asarray(table["days_ago"], dtype=float),
        contact_limits=np.array([limits[s] for s in segments.tolist()], dtype=float),
        executive_touchpoints=np.asarray(executive, dtype=float),
        quarter_day=quarter_day,
        last_recorded=last_recorded,
        week_ago=week_ago,
    )


def _record(session: Session, table: ScoredTable, day: dt.date, now: dt.datetime) -> int:
    """Today's history rows, once: a row already there is kept as it was. The first statement of the write,
    so on SQLite it takes the write lock before anything is read. Returns the rows this run wrote (stamped `now`)."""
    names = ["engagement_score", "category", *COMPONENTS]
    rows = [
        {"customer_id": cid, "day": day, "recorded_at": now, **values}
        for cid, values in table.rows(np.arange(len(table)), names)
    ]
    return store.record_history(session, rows, day, now)


def _resolve(
    session: Session, active: dict[tuple[str, str], int], table: ScoredTable, found: dict[AlertKind, rules.Finding], now: dt.datetime
) -> Counter[str]:
    """Resolve each active alert whose condition no longer holds (or whose customer is gone)."""
    positions = table.positions
    cleared = [
        key
        for key, _ in active.items()
        if (p := positions.get(key[0])) is None or key[1] not in found or not found[key[1]].holds[p]  # type: ignore[index]
    ]
    store.resolve_alerts(session, [active[key] for key in cleared], now)
    for key in cleared:
        del active[key]
    return Counter(kind for _, kind in cleared)


def _raise(
    session: Session,
    active: dict[tuple[str, str], int],
    table: ScoredTable,
    columns: rules.Columns,
    found: dict[AlertKind, rules.Finding],
    day: dt.date,
    last_day: dt.date | None,
    quarter_start: dt.date,
    now: dt.datetime,
) -> list[tuple[int, str, str, str]]:
    """Open an alert where its condition says so and none of its kind is active: (id, customer, kind, details)
    of those opened (a concurrent check's insert of the same one is skipped by the unique index)."""
    ids = table.ids.tolist()
    rows = []
    for kind, finding in found.items():
        for p in np.flatnonzero(finding.raise_).tolist():
            if (ids[p], kind) in active:
                continue
            number = float(finding.number[p])
            rows.append({
                "customer_id": ids[p], "kind": kind, "day": day, "opened_at": now, "status": "open", "active": True,
                "number": None if np.isnan(number) else number,
                "details": rules.details(kind, columns, p, number, day, last_day, quarter_start),
            })  # fmt: skip
    return store.open_alerts(session, rows)


def _queue(
    session: Session,
    new: list[tuple[int, str, str, str]],
    table: ScoredTable,
    csm_names: dict[str, str],
    day: dt.date,
    now: dt.datetime,
) -> int:
    """One digest per CSM of the alerts this run opened."""
    by_csm: dict[str | None, list[notify.NewAlert]] = defaultdict(list)
    positions = table.positions
    for alert_id, customer_id, kind, details in new:
        p = positions[customer_id]
        csm_id = table["csm_id"][p]
        by_csm[csm_id].append(notify.NewAlert(alert_id, table["name"][p], table["segment"][p], kind, details))
    digests = [
        (csm_id, {**notify.digest(day, csm_names.get(csm_id) if csm_id else None, alerts), "csm_id": csm_id, "day": day.isoformat()})
        for csm_id, alerts in by_csm.items()
    ]
    store.queue_digests(session, digests, day, now)
    return len(digests)
