"""Every statement the daily check and the alert questions run against the store: the score history, the
alerts (raised, resolved, listed, acknowledged) and the digests' outbox.

The check (`check`), the questions (`questions`) and the delivery (`notify`) decide; this module reads
and writes, in the caller's session, so each run's writes commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from engagement.models import Alert, AlertOutbox, Customer, ScoreHistory
from engagement.store import insert_ignoring_duplicates

AlertKey = tuple[str, str]
"""(customer id, alert kind): at most one active alert each."""


# -- the score history -----------------------------------------------------------------------------


def last_recorded_day(session: Session, before: dt.date) -> dt.date | None:
    """The latest day before `before` the check recorded."""
    return session.exec(select(func.max(ScoreHistory.day)).where(col(ScoreHistory.day) < before)).one()


def recorded_scores(session: Session, day: dt.date) -> list[tuple[str, float]]:
    """(customer id, score) of every customer recorded on `day`."""
    return list(session.exec(select(ScoreHistory.customer_id, ScoreHistory.engagement_score).where(ScoreHistory.day == day)))


def record_history(session: Session, rows: list[dict[str, Any]], day: dt.date, now: dt.datetime) -> int:
    """The day's history rows, once: a row already there is kept as it was. The first statement of the
    check's write, so on SQLite it takes the write lock before anything is read. Returns the rows this run
    wrote (those stamped `now`)."""
    if rows:
        session.execute(insert_ignoring_duplicates(session, ScoreHistory.__table__, ["customer_id", "day"]), rows)  # type: ignore[attr-defined]
    ours = select(func.count()).select_from(ScoreHistory).where(ScoreHistory.day == day, ScoreHistory.recorded_at == now)
    return session.exec(ours).one()


def history(session: Session, customer_id: str, start: dt.date, end: dt.date) -> Sequence[ScoreHistory]:
    """One customer's recorded days from `start` to `end`, oldest first."""
    return session.exec(
        select(ScoreHistory)
        .where(ScoreHistory.customer_id == customer_id, col(ScoreHistory.day) >= start, col(ScoreHistory.day) <= end)
        .order_by(col(ScoreHistory.day))
    ).all()


# -- alerts ----------------------------------------------------------------------------------------


def active_alerts(session: Session) -> dict[AlertKey, int]:
    """The open and acknowledged alerts' ids, by (customer, kind)."""
    rows = session.exec(select(Alert.customer_id, Alert.kind, Alert.id).where(col(Alert.status) != "resolved"))
    return {(customer_id, kind): alert_id for customer_id, kind, alert_id in rows}


def resolve_alerts(session: Session, ids: list[int], now: dt.datetime) -> None:
    if ids:
        session.execute(update(Alert).where(col(Alert.id).in_(ids)).values(status="resolved", active=None, resolved_at=now))


def open_alerts(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str, str, str]]:
    """Insert new alerts; (id, customer, kind, details) of those opened, by id (one a concurrent check opened
    first is skipped by the unique index on the active ones)."""
    if not rows:
        return []
    keys = ["customer_id", "kind", "active"]
    statement = insert_ignoring_duplicates(session, Alert.__table__, keys).returning(  # type: ignore[attr-defined]
        Alert.id, Alert.customer_id, Alert.kind, Alert.details
    )
    return sorted(tuple(row) for row in session.execute(statement, rows).all())  # type: ignore[misc]


def unresolved_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Alert).where(col(Alert.status) != "resolved")).one()


def _listed(statuses: Sequence[str], csm_ids: Sequence[str] | None) -> list[Any]:
    where = [col(Alert.status).in_(statuses)]
    if csm_ids is not None:
        where.append(col(Alert.customer_id).in_(select(Customer.id).where(col(Customer.csm_id).in_(csm_ids))))
    return where


def alert_counts(session: Session, statuses: Sequence[str], csm_ids: Sequence[str] | None) -> dict[str, int]:
    """How many alerts in `statuses` of the CSMs' customers (None: every customer) there are, by kind."""
    where = _listed(statuses, csm_ids)
    return dict(session.exec(select(Alert.kind, func.count()).where(*where).group_by(col(Alert.kind))).all())


def alerts_page(
    session: Session, statuses: Sequence[str], csm_ids: Sequence[str] | None, offset: int, limit: int
) -> list[Alert]:
    """A page of those alerts: open ones first, newest first."""
    ordered = (
        select(Alert)
        .where(*_listed(statuses, csm_ids))
        .order_by(col(Alert.status) != "open", col(Alert.opened_at).desc(), col(Alert.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(ordered).all())


def alert_to_change(session: Session, alert_id: int) -> Alert | None:
    """One alert, locked until the write ends on PostgreSQL (two acknowledgements never interleave)."""
    return session.get(Alert, alert_id, with_for_update=session.get_bind().dialect.name == "postgresql")


def customers_of(session: Session, ids: set[str]) -> dict[str, Customer]:
    """The customers of some alerts, by id."""
    return {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(ids))).all()} if ids else {}


def acknowledge_alert(session: Session, alert: Alert, by: str, when: dt.datetime) -> None:
    alert.status = "acknowledged"
    alert.acknowledged_at = when
    alert.acknowledged_by = by
    session.add(alert)
    session.flush()


# -- the digests' outbox ---------------------------------------------------------------------------


def queue_digests(session: Session, digests: list[tuple[str | None, dict[str, Any]]], day: dt.date, now: dt.datetime) -> None:
    """One outbox row per (CSM, digest)."""
    for csm_id, digest in digests:
        session.add(AlertOutbox(csm_id=csm_id, day=day, digest=digest, created_at=now))
    session.flush()


def pending_digests(session: Session) -> list[tuple[int, int, dict[str, Any]]]:
    """(id, attempts, digest) of every digest not yet sent, oldest first."""
    return list(
        session.exec(
            select(AlertOutbox.id, AlertOutbox.attempts, AlertOutbox.digest)
            .where(col(AlertOutbox.sent_at).is_(None))
            .order_by(col(AlertOutbox.id))
        ).all()  # type: ignore[arg-type]
    )


def claim_digest(session: Session, outbox_id: int, attempts: int) -> bool:
    """Count an attempt, only if nobody else counted one since `attempts` was read."""
    result = session.execute(
        update(AlertOutbox)
        .where(col(AlertOutbox.id) == outbox_id, col(AlertOutbox.attempts) == attempts, col(AlertOutbox.sent_at).is_(None))
        .values(attempts=attempts + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_digest(session: Session, outbox_id: int, **values: Any) -> None:
    session.execute(update(AlertOutbox).where(col(AlertOutbox.id) == outbox_id).values(**values))


def pending_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AlertOutbox).where(col(AlertOutbox.sent_at).is_(None))).one()
