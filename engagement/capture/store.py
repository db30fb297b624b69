"""Every statement the capture runs against the store: sources and cursors, the links that dedupe messages
and meetings across mailboxes, replies, and the items engagement visibility counts.

The capture's other modules decide; this one reads and writes. Everything runs in the caller's session,
so a source's rows and its cursor commit together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy import select as sa_select  # five columns: more than sqlmodel.select is typed for
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, or_, select

from engagement.db import session_scope
from engagement.models import Activity, CaptureItem, Csm, CustomerDomain, Stakeholder, SyncedEvent, SyncedMessage, SyncSource

# Mail from any provider is one touchpoint per Message-ID: these sources are checked before storing one.
MAIL_SOURCES = ("gmail", "outlook")
MEETING_SOURCE = "calendar"  # meetings of every provider: the instance key is the same in every calendar


# -- who is who ------------------------------------------------------------------------------------


def csm_emails(session: Session) -> list[str]:
    return [email for email in session.exec(select(Csm.email)).all() if email]


def stakeholder_addresses(session: Session) -> list[tuple[str | None, str]]:
    """(email, customer id) of every stakeholder, by customer id so the first customer wins a shared address."""
    return list(session.exec(select(Stakeholder.email, Stakeholder.customer_id).order_by(Stakeholder.customer_id)).all())


def mapped_domains(session: Session) -> list[CustomerDomain]:
    return list(session.exec(select(CustomerDomain).order_by(CustomerDomain.customer_id, CustomerDomain.domain)).all())


def csms(session: Session) -> list[Csm]:
    return list(session.exec(select(Csm).order_by(Csm.id)).all())


# -- sources ---------------------------------------------------------------------------------------


def find_source(session: Session, csm_id: str, kind: str) -> SyncSource | None:
    return session.exec(select(SyncSource).where(SyncSource.csm_id == csm_id, SyncSource.kind == kind)).first()


def ensure_source(engine: Engine, csm_id: str, kind: str, account: str) -> SyncSource:
    """The source row of this CSM's mailbox or calendar, made on its first sync."""
    with session_scope(engine) as session:
        row = find_source(session, csm_id, kind)
        if row is None:
            row = SyncSource(csm_id=csm_id, kind=kind, account=account)
            session.add(row)
            session.flush()
        return row


def source_ids(session: Session, csm_id: str, kinds: Iterable[str]) -> list[int]:
    rows = session.exec(select(SyncSource.id).where(SyncSource.csm_id == csm_id, col(SyncSource.kind).in_(list(kinds))))
    return [row for row in rows.all() if row is not None]


def all_sources(session: Session) -> list[SyncSource]:
    return list(session.exec(select(SyncSource).order_by(SyncSource.csm_id, SyncSource.kind)).all())


def record_failure(engine: Engine, csm_id: str, kind: str, when: dt.datetime, message: str) -> None:
    """The failed run's time and error; the cursor stays as it was, so the next run rereads from it."""
    with session_scope(engine) as session:
        row = find_source(session, csm_id, kind)
        if row is not None:
            row.last_run_at, row.last_error = when, message
            session.add(row)


# -- messages --------------------------------------------------------------------------------------


def known_message_ids(session: Session, source: SyncSource) -> set[str]:
    return set(session.exec(select(SyncedMessage.message_id).where(SyncedMessage.source_id == source.id)).all())


def mail_stored_elsewhere(session: Session, source: str, external_ids: list[str]) -> dict[str, str]:
    """Of these Message-IDs, those already stored as mail by another provider (a mailbox both reach), with
    the customer of that activity."""
    if not external_ids:
        return {}
    others = [name for name in MAIL_SOURCES if name != source]
    rows = session.exec(
        select(Activity.external_id, Activity.customer_id).where(
            col(Activity.source).in_(others), col(Activity.external_id).in_(external_ids)
        )
    ).all()
    return {external_id: customer_id for external_id, customer_id in rows if external_id is not None}


def thread_messages(
    session: Session, sources: list[int], thread_id: str, root: str | None, customer_id: str
) -> list[tuple[str | None, dt.datetime, str | None]]:
    """(external id, date, direction) of the stored messages of a thread: the mailbox's own thread (in any
    of `sources`, its folders) plus, across mailboxes, every message sharing its References root."""
    same_thread = col(SyncedMessage.source_id).in_(sources) & (col(SyncedMessage.thread_id) == thread_id)
    condition = or_(same_thread, col(SyncedMessage.thread_root) == root) if root else same_thread
    return list(
        session.exec(
            select(SyncedMessage.external_id, SyncedMessage.date, SyncedMessage.direction).where(
                condition, col(SyncedMessage.external_id).is_not(None), SyncedMessage.customer_id == customer_id
            )
        ).all()
    )


def mail_activities(session: Session, external_ids: list[str]) -> list[Activity]:
    return list(
        session.exec(
            select(Activity).where(col(Activity.source).in_(MAIL_SOURCES), col(Activity.external_id).in_(external_ids))
        ).all()
    )


# -- meetings --------------------------------------------------------------------------------------


def event_links(session: Session, source_id: int) -> dict[str, SyncedEvent]:
    return {row.event_id: row for row in session.exec(select(SyncedEvent).where(SyncedEvent.source_id == source_id))}


def meeting_date(session: Session, external_id: str | None) -> dt.datetime | None:
    return session.exec(
        select(Activity.date).where(Activity.source == MEETING_SOURCE, Activity.external_id == external_id)
    ).first()


def drop_event_link(session: Session, link: SyncedEvent) -> int:
    """Forget one calendar's copy; the meeting goes (the count returned) when no calendar still holds it."""
    external_id = link.external_id
    session.delete(link)
    session.flush()
    if external_id is None:
        return 0
    others = session.exec(select(func.count()).select_from(SyncedEvent).where(SyncedEvent.external_id == external_id)).one()
    if others:
        return 0
    result = session.execute(
        delete(Activity).where(col(Activity.source) == MEETING_SOURCE, col(Activity.external_id) == external_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def update_activity(session: Session, activity_id: int, changes: dict[str, Any]) -> None:
    session.execute(update(Activity).where(col(Activity.id) == activity_id).values(**changes))


# -- what visibility counts ------------------------------------------------------------------------


def seen_items(session: Session, source_id: int, item_ids: list[str]) -> dict[str, CaptureItem]:
    """The capture_item rows this source already has for these ids (one query per 500), to update in place."""
    found: dict[str, CaptureItem] = {}
    wanted = list(dict.fromkeys(item_id[:1024] for item_id in item_ids))
    for start in range(0, len(wanted), 500):
        rows = session.exec(
            select(CaptureItem).where(
                CaptureItem.source_id == source_id, col(CaptureItem.item_id).in_(wanted[start : start + 500])
            )
        ).all()
        found.update({row.item_id: row for row in rows})
    return found


def remember_item(
    session: Session, seen: dict[str, CaptureItem], source_id: int, item_id: str, kind: str, item_key: str,
    date: dt.datetime, customer_id: str | None, unmatched: list[str],
) -> None:  # fmt: skip
    """An external message or meeting this source saw (again: the row follows the latest read). `seen`:
    the source's rows from `seen_items`, kept up to date here."""
    row = seen.get(item_id[:1024])
    if row is None:
        row = seen[item_id[:1024]] = CaptureItem(source_id=source_id, item_id=item_id[:1024], kind=kind, item_key="", date=date)
    row.item_key, row.date, row.customer_id = item_key[:512], date, customer_id
    row.unmatched = ",".join(sorted(set(unmatched)))[:2048] or None
    session.add(row)


def forget_item(session: Session, source_id: int, item_id: str) -> None:
    """A meeting cancelled, declined or no longer external: no longer seen."""
    session.execute(delete(CaptureItem).where(col(CaptureItem.source_id) == source_id, col(CaptureItem.item_id) == item_id[:1024]))


def items_since(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[str, str, str, str | None, str | None]]:
    """(csm id, kind, item key, customer id, unmatched domains) of every item seen between the two times."""
    statement = (
        sa_select(col(SyncSource.csm_id), col(CaptureItem.kind), col(CaptureItem.item_key), col(CaptureItem.customer_id),
                  col(CaptureItem.unmatched))  # fmt: skip
        .join(SyncSource, col(SyncSource.id) == col(CaptureItem.source_id))
        .where(col(CaptureItem.date) >= since, col(CaptureItem.date) <= until)
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in session.execute(statement).all()]
