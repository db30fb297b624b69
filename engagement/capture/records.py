"""Writing what a mailbox or calendar read into the store: activities, the links that dedupe them, replies.

A message or meeting becomes an activity through the one writer, held to the rules a logged one is,
after `fit_to_rules` adapts what Google may hold beyond them (docs/rules.md, "Synced activities").
Everything here runs inside the caller's transaction, which also moves the cursor: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, or_, select

from engagement.errors import EngagementError
from engagement.capture.attribution import Directory
from engagement.capture.google.calendar import Meeting, parse_event
from engagement.capture.google.gmail import Mail
from engagement.capture.report import Tally
from engagement.models import (
    MAX_DURATION_MINUTES,
    MAX_ID_LENGTH,
    MAX_PARTICIPANT_LENGTH,
    MAX_PARTICIPANTS,
    MAX_RESPONSE_HOURS,
    MAX_SUBJECT_LENGTH,
    Activity,
    ActivityCreate,
    SyncedEvent,
    SyncedMessage,
    SyncSource,
)
from engagement.schemas import ActivityPublic
from engagement.writer import NewActivity, with_known_levels, write_activities

logger = logging.getLogger(__name__)
COMPARED = ("customer_id", "type", "direction", "date", "duration_minutes", "participants", "stakeholder_level", "subject")


def _fit_text(text: str | None, limit: int) -> str | None:
    return text.replace("\x00", "").strip()[:limit].strip() or None if text else None


def fit_to_rules(fields: dict[str, Any]) -> dict[str, Any]:
    """A synced item's fields adapted to the rules, where Google holds more than they accept: NULs
    dropped from text, the subject cut to its limit, a duration to a day, an external id to its
    limit; of the participants, those no address can be (too long, a NUL) dropped and the first
    MAX_PARTICIPANTS kept."""
    people = [p for p in fields.get("participants", []) if len(p) <= MAX_PARTICIPANT_LENGTH and "\x00" not in p]
    fitted = {
        **fields,
        "subject": _fit_text(fields.get("subject"), MAX_SUBJECT_LENGTH),
        "external_id": _fit_text(fields.get("external_id"), MAX_ID_LENGTH),
        "participants": people[:MAX_PARTICIPANTS],
    }
    if fields.get("duration_minutes") is not None:
        fitted["duration_minutes"] = min(float(MAX_DURATION_MINUTES), fields["duration_minutes"])
    return fitted


def _synced(item: str, customer_id: str, fields: dict[str, Any], as_of: dt.date | None) -> NewActivity | None:
    """The item as a checked row, or None (logged) when the rules refuse it even so: a date before 1990
    or, for mail, after the sync's day."""
    try:
        return NewActivity(customer_id, ActivityCreate.checked(fit_to_rules(fields), as_of=as_of))
    except EngagementError as error:
        logger.warning("Not stored: %s of customer %s: %s", item, customer_id, error)
        return None


def known_message_ids(session: Session, source: SyncSource) -> set[str]:
    return set(session.exec(select(SyncedMessage.message_id).where(SyncedMessage.source_id == source.id)).all())


def write_mail(
    session: Session, source: SyncSource, directory: Directory, mails: list[Mail], as_of: dt.date, tally: Tally
) -> None:
    """Store each message as an email activity (or count why not), then settle the replies of its thread.
    `as_of` is the sync's day: a message dated after it is refused, as a logged one would be."""
    assert source.id is not None
    created: set[str] = set()
    threads: set[tuple[str, str | None, str]] = set()
    stored: list[tuple[SyncedMessage, NewActivity, str, str]] = []  # (link, row, direction, thread id)
    for mail in mails:
        link = SyncedMessage(
            source_id=source.id, message_id=mail.gmail_id, thread_id=mail.thread_id[:64], date=mail.date,
            thread_root=(mail.thread_root or "")[:512] or None,
        )  # fmt: skip
        session.add(link)  # every message read is remembered, so a resync does not fetch it again
        if mail.sender is None:
            tally.skip("automated")
            continue
        attribution = directory.attribute([mail.sender, *mail.recipients])
        if mail.automated:
            tally.skip("automated")
            continue
        if attribution.outcome == "internal_only":
            tally.skip("internal_only")
            continue
        tally.external += 1
        if attribution.customer_id is None:
            tally.no_match(attribution.unmatched)
            continue
        tally.attributed += 1
        direction = "outbound" if directory.is_internal(mail.sender) else "inbound"
        fields: dict[str, Any] = {
            "type": "email",
            "direction": direction,
            "date": mail.date,
            "participants": attribution.participants,
            # Unanswered until a reply from the customer shows up in the thread (now or in a later sync).
            "response_received": False if direction == "outbound" else None,
            "subject": mail.subject,
            "source": "gmail",
            "external_id": mail.message_id or f"gmail:{source.account}:{mail.gmail_id}",
        }
        row = _synced(f"Gmail message {mail.gmail_id}", attribution.customer_id, fields, as_of)
        if row is not None:
            stored.append((link, row, direction, mail.thread_id[:64]))
    # One write for the page's messages (in order, so the same message twice is stored once).
    results = write_activities(session, [row for _, row, _, _ in stored]) if stored else []
    for (link, row, direction, thread_id), written in zip(stored, results, strict=True):
        external_id = row.activity.external_id or ""
        if written.conflict:  # another customer's activity holds its key: neither stored nor linked here
            tally.skip("key_conflict")
            logger.warning("Not stored: message %s of %s: its key is another customer's", link.message_id, row.customer_id)
            continue
        if written.created:
            tally.new += 1
            created.add(external_id)
        else:
            tally.unchanged += 1  # the same message from another mailbox, or already stored
        link.external_id, link.customer_id, link.direction = external_id, row.customer_id, direction
        threads.add((thread_id, link.thread_root, row.customer_id))
    session.flush()
    for thread_id, root, customer_id in sorted(threads, key=str):
        settle_replies(session, source.id, thread_id, root, customer_id, created, tally)


def settle_replies(
    session: Session, source_id: int, thread_id: str, root: str | None, customer_id: str, created: set[str], tally: Tally
) -> None:
    """Mark each outbound email of a thread answered by the customer's first later message, with the gap in hours.

    The thread is this mailbox's Gmail thread plus, across mailboxes, every message sharing its
    References root, so a reply that lands only in a colleague's mailbox still counts.
    """
    same_thread = (col(SyncedMessage.source_id) == source_id) & (col(SyncedMessage.thread_id) == thread_id)
    condition = or_(same_thread, col(SyncedMessage.thread_root) == root) if root else same_thread
    rows = session.exec(
        select(SyncedMessage.external_id, SyncedMessage.date, SyncedMessage.direction).where(
            condition, col(SyncedMessage.external_id).is_not(None), SyncedMessage.customer_id == customer_id
        )
    ).all()
    timeline = sorted({(date, direction, external_id) for external_id, date, direction in rows})
    inbound = [date for date, direction, _ in timeline if direction == "inbound"]
    answers: dict[str, float] = {}
    for date, direction, external_id in timeline:
        reply = next((when for when in inbound if when > date), None)
        if direction == "outbound" and reply is not None and external_id is not None:
            answers[external_id] = min(MAX_RESPONSE_HOURS, round((reply - date).total_seconds() / 3600, 2))
    if not answers:
        return
    activities = session.exec(
        select(Activity).where(Activity.source == "gmail", col(Activity.external_id).in_(list(answers)))
    ).all()
    for activity in activities:
        hours = answers[activity.external_id or ""]
        if activity.response_received is True and activity.response_time_hours == hours:
            continue
        activity.response_received, activity.response_time_hours = True, hours
        session.add(activity)
        if activity.external_id not in created:
            tally.updated += 1  # an earlier email, answered now


def write_events(
    session: Session, source: SyncSource, directory: Directory, events: list[dict[str, Any]], mode: str,
    since: dt.datetime, tally: Tally,
) -> None:  # fmt: skip
    """Store meetings, update moved or edited ones and remove those cancelled or no longer with a customer."""
    assert source.id is not None
    links = {row.event_id: row for row in session.exec(select(SyncedEvent).where(SyncedEvent.source_id == source.id))}
    seen: set[str] = set()
    for event in events:
        meeting = parse_event(event)
        seen.add(meeting.event_id)
        link = links.get(meeting.event_id)
        row = _meeting(session, directory, meeting, tally)
        if row is None:
            if link is not None:
                _unlink(session, link, tally)
                links.pop(meeting.event_id)
            continue
        external_id = row.activity.external_id
        if link is not None and link.external_id != external_id:
            _unlink(session, link, tally)  # moved: the old instance key no longer exists
            links.pop(meeting.event_id)
            link = None
        [written] = write_activities(session, [row])
        if written.conflict:  # another customer's activity holds its key: neither stored, updated nor linked
            tally.skip("key_conflict")
            logger.warning("Not stored: event %s of %s: its key is another customer's", meeting.event_id, row.customer_id)
            continue
        if written.created:
            tally.new += 1
        elif _update(session, written.activity, row):
            tally.updated += 1
        else:
            tally.unchanged += 1
        if link is None:
            link = SyncedEvent(source_id=source.id, event_id=meeting.event_id[:1024], external_id=external_id)
            session.add(link)
            links[meeting.event_id] = link
    if mode in ("full", "resync"):
        # A full listing shows every live event since `since`: links it did not show were deleted meanwhile.
        for event_id, link in list(links.items()):
            if event_id not in seen and _starts_since(session, link, since):
                _unlink(session, link, tally)


def _meeting(session: Session, directory: Directory, meeting: Meeting, tally: Tally) -> NewActivity | None:
    """The meeting as a checked row with a customer, or None (counted) when it is none. Meetings ahead
    are kept (no as-of bound): they count once held."""
    if meeting.kind != "meeting":
        if meeting.kind != "cancelled":
            tally.skip("not_a_meeting")
        return None
    attribution = directory.attribute([*meeting.attendees, *meeting.declined])
    if attribution.outcome == "internal_only":
        tally.skip("internal_only")
        return None
    tally.external += 1
    if attribution.customer_id is None:
        tally.no_match(attribution.unmatched)
        return None
    tally.attributed += 1
    participants = [p for p in attribution.participants if p not in meeting.declined]
    if not participants:
        tally.skip("not_a_meeting")  # every customer-side guest declined: it did not take place with them
        return None
    organizer_ours = meeting.organizer_is_self or (meeting.organizer is not None and directory.is_internal(meeting.organizer))
    fields = {
        "type": "qbr" if meeting.is_qbr else "meeting",
        "direction": "outbound" if organizer_ours else "inbound",
        "date": meeting.start,
        "duration_minutes": meeting.minutes,
        "participants": participants,
        "subject": meeting.title,
        "source": "calendar",
        "external_id": meeting.external_id,
    }
    row = _synced(f"calendar event {meeting.event_id}", attribution.customer_id, fields, None)
    return None if row is None else with_known_levels(session, [row])[0]  # compared with the stored one


def _update(session: Session, stored: ActivityPublic, row: NewActivity) -> bool:
    """Bring a stored meeting in line with the calendar's (moved within its instance, retitled, new guests)."""
    wanted = {**row.activity.model_dump(), "customer_id": row.customer_id}
    shown = ActivityPublic.model_validate({**wanted, "id": stored.id})  # compared as the stored one is shown (UTC)
    changes = {name: wanted[name] for name in COMPARED if getattr(stored, name) != getattr(shown, name)}
    if changes:
        session.execute(update(Activity).where(col(Activity.id) == stored.id).values(**changes))
    return bool(changes)


def _starts_since(session: Session, link: SyncedEvent, since: dt.datetime) -> bool:
    date = session.exec(
        select(Activity.date).where(Activity.source == "calendar", Activity.external_id == link.external_id)
    ).first()
    return date is None or date >= since


def _unlink(session: Session, link: SyncedEvent, tally: Tally) -> None:
    """Forget this calendar's copy; the meeting goes when no other calendar still holds it (a shared invite)."""
    external_id = link.external_id
    session.delete(link)
    session.flush()
    if external_id is None:
        return
    others = session.exec(select(func.count()).select_from(SyncedEvent).where(SyncedEvent.external_id == external_id)).one()
    if others == 0:
        result = session.execute(
            delete(Activity).where(col(Activity.source) == "calendar", col(Activity.external_id) == external_id)
        )
        tally.removed += int(getattr(result, "rowcount", 0) or 0)
