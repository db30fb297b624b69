"""What the edges ask about the daily check and its alerts: run the check, list alerts in the caller's
scope, acknowledge one, read a customer's score history. Each takes the core, the caller and its typed
query (engagement/queries.py) and answers with a model of `schemas`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from engagement import lookup
from engagement.alerts import store
from engagement.alerts.rules import CHECK_PERIOD
from engagement.alerts.schemas import ALERT_KINDS, AlertList, AlertRow, CheckReport, HistoryPoint, ScoreHistoryAnswer
from engagement.answers import page
from engagement.caller import Caller
from engagement.core import Core
from engagement.db import read_scope, session_scope
from engagement.errors import EngagementError, NotFoundError
from engagement.lazy import lazily
from engagement.models import Alert, utcnow
from engagement.queries import AcknowledgeQuery, AlertsQuery, CheckQuery, ScoreHistoryQuery
from engagement.schemas import Components
from engagement.scope import resolve_scope
from engagement.scoring import COMPONENTS


@lazily("engagement.alerts.check")  # the check's code is loaded at its first run, not at a server's start
def run_check(core: Core, caller: Caller, q: CheckQuery = CheckQuery()) -> CheckReport:  # type: ignore[empty-body]
    """The daily check as of the caller's day: scores of the day recorded, alerts raised and resolved, digests queued."""
    ...


def alert_rows(session: Session, alerts: Sequence[Alert]) -> list[AlertRow]:
    """The alerts as answered, each with its customer's name, segment and CSM."""
    customers = store.customers_of(session, {a.customer_id for a in alerts})
    return [
        AlertRow(
            alert_id=a.id,
            name=customers[a.customer_id].name,
            segment=customers[a.customer_id].segment,
            csm_id=customers[a.customer_id].csm_id,
            **a.model_dump(exclude={"id", "active"}),
        )
        for a in alerts
    ]


def list_alerts(core: Core, caller: Caller, q: AlertsQuery) -> AlertList:
    """The alerts of the scope's customers: open ones first, newest first (by default open and acknowledged)."""
    statuses = (q.status,) if q.status else ("open", "acknowledged")
    with read_scope(core.engine) as session:
        scope = resolve_scope(session, caller, q.csm_id, None)
        csm_ids = None if scope.csm_ids is None else sorted(scope.csm_ids)
        counted = store.alert_counts(session, statuses, csm_ids)
        rows = alert_rows(session, store.alerts_page(session, statuses, csm_ids, q.offset, q.limit))
    total = sum(counted.values())
    return AlertList(
        scope=scope.label,
        status=" and ".join(statuses),
        counts={kind: counted.get(kind, 0) for kind in ALERT_KINDS},
        alerts=rows,
        page=page(total, q.offset, q.limit),
    )


def acknowledge(core: Core, caller: Caller, q: AcknowledgeQuery, now: dt.datetime | None = None) -> AlertRow:
    """Mark an open alert as seen by the caller. Only alerts `list_alerts` shows the caller by default can be
    acknowledged: their own customers' (a manager's: the team's; with no user, all they may see), whether the
    caller is a signed-in user or the configured user of the CLI and stdio (ENGAGEMENT_USER). Any other alert
    is "not found", worded as one that does not exist."""
    alert_id = q.alert_id  # at most MAX_ALERT_ID (the query's bound): PostgreSQL would refuse to compare a larger one
    with session_scope(core.engine) as session:
        alert = store.alert_to_change(session, alert_id)
        customer = store.customers_of(session, {alert.customer_id}).get(alert.customer_id) if alert else None
        own = resolve_scope(session, caller, None, None).csm_ids  # within what the caller may see; None: everyone
        if alert is None or customer is None or not (own is None or customer.csm_id in own):
            raise NotFoundError(f"No alert {alert_id} among the alerts you may see; listing the alerts shows their ids.")
        if alert.status == "resolved":
            raise EngagementError(
                f"Alert {alert_id} was resolved at {alert.resolved_at:%Y-%m-%d %H:%M} UTC (its condition cleared); "
                "only open alerts can be acknowledged."
            )
        if alert.status == "open":
            store.acknowledge_alert(session, alert, caller.user or caller.label, now or utcnow())
        [row] = alert_rows(session, [alert])
    return row


def score_history(core: Core, caller: Caller, q: ScoreHistoryQuery) -> ScoreHistoryAnswer:
    """The scores the daily check recorded for one customer over the `q.days` days up to the as-of day."""
    days = q.days
    end = caller.as_of
    start = end - dt.timedelta(days=days - 1)
    with read_scope(core.engine) as session:
        customer = lookup.find_customer(session, q.customer, caller)
        rows = store.history(session, customer.id, start, end)
    return ScoreHistoryAnswer(
        customer_id=customer.id,
        name=customer.name,
        days=days,
        start=start,
        end=end,
        period=CHECK_PERIOD,
        points=[
            HistoryPoint(
                day=row.day,
                engagement_score=row.engagement_score,
                category=row.category,  # type: ignore[arg-type]
                components=Components(**{name: round(getattr(row, name), 4) for name in COMPONENTS}),
            )
            for row in rows
        ],
    )
