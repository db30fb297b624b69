"""Writing what a mailbox or calendar read into the store: activities, the links that dedupe them, replies.

A message or meeting becomes an activity through the one writer, held to the rules a logged one is,
after `fit_to_rules` adapts what a provider may hold beyond them (docs/rules.md, "Synced activities").
Everything here runs inside the caller's transaction, which also moves the cursor: all or nothing. The
statements themselves are in engagement/capture/store.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from engagement.capture import store
from engagement.capture.attribution import Attribution, Directory
from engagement.capture.items import Mail, Meeting, MeetingChanges
from engagement.capture.report import Tally
from engagement.errors import EngagementError
from engagement.models import (
    MAX_DURATION_MINUTES,
    MAX_ID_LENGTH,
    MAX_PARTICIPANT_LENGTH,
    MAX_PARTICIPANTS,
    MAX_RESPONSE_HOURS,
    MAX_SUBJECT_LENGTH,
    ActivityCreate,
    CaptureItem,
    SyncedEvent,
    SyncedMessage,
    SyncSource,
)
from engagement.schemas import ActivityPublic
from engagement.writer import NewActivity, with_known_levels, write_activities

logger = logging.getLogger(__name__)
COMPARED = ("customer_id", "type", "direction", "date", "duration_minutes", "participants", "stakeholder_level", "subject")
ID_LENGTH = 512  # synced_message's message and thread ids


@dataclass(frozen=True)
class Mailbox:
    """Where a page of mail comes from: its source row, the activity source it stores as (gmail, outlook),
    and the ids of the mailbox's sources whose threads are one (a Graph mailbox's Inbox and Sent Items)."""

    source: SyncSource
    activity_source: str
    thread_sources: list[int]
    label: str  # how logs name its messages: "Gmail", "Outlook"


def _fit_text(text: str | None, limit: int) -> str | None:
    return text.replace("\x00", "").strip()[:limit].strip() or None if text else None


def fit_to_rules(fields: dict[str, Any]) -> dict[str, Any]:
    """A synced item's fields adapted to the rules, where a provider holds more than they accept: NULs
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


def write_mail(
    session: Session, mailbox: Mailbox, directory: Directory, mails: list[Mail], as_of: dt.date, tally: Tally
) -> None:
    """Store each message as an email activity (or count why not), then settle the replies of its thread.
    `as_of` is the sync's day: a message dated after it is refused, as a logged one would be."""
    source = mailbox.source
    assert source.id is not None
    seen = store.seen_items(session, source.id, [mail.item_id for mail in mails])
    created: set[str] = set()
    threads: set[tuple[str, str | None, str]] = set()
    stored: list[tuple[SyncedMessage, NewActivity, str, str]] = []  # (link, row, direction, thread id)
    for mail in mails:
        link = SyncedMessage(
            source_id=source.id, message_id=mail.item_id[:ID_LENGTH], thread_id=mail.thread_id[:ID_LENGTH],
            date=mail.date, thread_root=(mail.thread_root or "")[:512] or None,
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
        key = mail.message_id or f"{mailbox.activity_source}:{source.account}:{mail.item_id}"
        store.remember_item(session, seen, source.id, mail.item_id, "email", key, mail.date, attribution.customer_id,
                            _domains(attribution.unmatched))  # fmt: skip
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
            "source": mailbox.activity_source,
            "external_id": key,
        }
        row = _synced(f"{mailbox.label} message {mail.item_id}", attribution.customer_id, fields, as_of)
        if row is not None:
            stored.append((link, row, direction, mail.thread_id[:ID_LENGTH]))
    # A message another provider's mailbox already stored (by its Message-ID) is the same touchpoint,
    # of the same customer (one key, one customer).
    elsewhere = store.mail_stored_elsewhere(
        session, mailbox.activity_source, [row.activity.external_id or "" for _, row, _, _ in stored]
    )
    fresh = [item for item in stored if item[1].activity.external_id not in elsewhere]
    # One write for the page's messages (in order, so the same message twice is stored once).
    results = iter(write_activities(session, [row for _, row, _, _ in fresh]) if fresh else [])
    for link, row, direction, thread_id in stored:
        external_id = row.activity.external_id or ""
        holder = elsewhere.get(external_id)  # the customer of the copy another provider stored, if any
        written = next(results) if holder is None else None
        if (written is not None and written.conflict) or (holder is not None and holder != row.customer_id):
            # another customer's activity holds its key: neither stored nor linked here
            tally.skip("key_conflict")
            logger.warning("Not stored: message %s of %s: its key is another customer's", link.message_id, row.customer_id)
            continue
        if written is not None and written.created:
            tally.new += 1
            created.add(external_id)
        else:
            tally.unchanged += 1  # the same message from another mailbox, or already stored
        link.external_id, link.customer_id, link.direction = external_id, row.customer_id, direction
        threads.add((thread_id, link.thread_root, row.customer_id))
    session.flush()
    for thread_id, root, customer_id in sorted(threads, key=str):
        settle_replies(session, mailbox.thread_sources, thread_id, root, customer_id, created, tally)


def _domains(addresses: list[str]) -> list[str]:
    return [address.rsplit("@", 1)[-1] for address in addresses]


def _forget(session: Session, items: dict[str, CaptureItem], meeting: Meeting) -> None:
    """No longer an external meeting (cancelled, declined, ...): no longer counted as seen."""
    row = items.pop(meeting.event_id[:1024], None)
    if row is not None and row in session.new:
        session.expunge(row)  # added earlier in this read (an event listed twice): never stored
    elif row is not None:
        session.delete(row)


def _remember(
    session: Session, seen: dict[str, CaptureItem], source_id: int, meeting: Meeting, attribution: Attribution
) -> None:
    """Count an external meeting for engagement visibility (capture_item), attributed or not."""
    if meeting.start is not None:
        key = meeting.external_id or meeting.event_id
        store.remember_item(session, seen, source_id, meeting.event_id, "meeting", key, meeting.start,
                            attribution.customer_id, _domains(attribution.unmatched))  # fmt: skip


def settle_replies(
    session: Session, sources: list[int], thread_id: str, root: str | None, customer_id: str, created: set[str],
    tally: Tally,
) -> None:  # fmt: skip
    """Mark each outbound email of a thread answered by the customer's first later message, with the gap in hours.

    The thread is this mailbox's thread (in any of its folders' `sources`) plus, across mailboxes, every
    message sharing its References root, so a reply that lands only in a colleague's mailbox still counts.
    """
    rows = store.thread_messages(session, sources, thread_id, root, customer_id)
    timeline = sorted({(date, direction, external_id) for external_id, date, direction in rows})
    inbound = [date for date, direction, _ in timeline if direction == "inbound"]
    answers: dict[str, float] = {}
    for date, direction, external_id in timeline:
        reply = next((when for when in inbound if when > date), None)
        if direction == "outbound" and reply is not None and external_id is not None:
            answers[external_id] = min(MAX_RESPONSE_HOURS, round((reply - date).total_seconds() / 3600, 2))
    if not answers:
        return
    for activity in store.mail_activities(session, list(answers)):
        hours = answers[activity.external_id or ""]
        if activity.response_received is True and activity.response_time_hours == hours:
            continue
        activity.response_received, activity.response_time_hours = True, hours
        session.add(activity)
        if activity.external_id not in created:
            tally.updated += 1  # an earlier email, answered now


def write_events(session: Session, source: SyncSource, directory: Directory, changes: MeetingChanges, tally: Tally) -> None:
    """Store meetings, update moved or edited ones and remove those cancelled or no longer with a customer."""
    assert source.id is not None
    links = store.event_links(session, source.id)
    items = store.seen_items(session, source.id, [meeting.event_id for meeting in changes.meetings])
    seen: set[str] = set()
    for meeting in changes.meetings:
        seen.add(meeting.event_id)
        link = links.get(meeting.event_id)
        row = _meeting(session, items, source.id, directory, meeting, tally)
        if row is None:
            if link is not None:
                tally.removed += store.drop_event_link(session, link)
                links.pop(meeting.event_id)
            continue
        external_id = row.activity.external_id
        if link is not None and link.external_id != external_id:
            tally.removed += store.drop_event_link(session, link)  # moved: the old instance key no longer exists
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
    if changes.mode in ("full", "resync"):
        # A full listing shows every live event since `since`: links it did not show were deleted meanwhile.
        for event_id, link in list(links.items()):
            if event_id not in seen and _starts_since(session, link, changes.since):
                tally.removed += store.drop_event_link(session, link)
                store.forget_item(session, source.id, event_id)


def _meeting(
    session: Session, items: dict[str, CaptureItem], source_id: int, directory: Directory, meeting: Meeting, tally: Tally
) -> NewActivity | None:
    """The meeting as a checked row with a customer, or None (counted) when it is none. Meetings ahead
    are kept (no as-of bound): they count once held."""
    if meeting.kind != "meeting":
        _forget(session, items, meeting)
        if meeting.kind != "cancelled":
            tally.skip("not_a_meeting")
        return None
    attribution = directory.attribute([*meeting.attendees, *meeting.declined])
    if attribution.outcome == "internal_only":
        _forget(session, items, meeting)
        tally.skip("internal_only")
        return None
    tally.external += 1
    if attribution.customer_id is None:
        _remember(session, items, source_id, meeting, attribution)
        tally.no_match(attribution.unmatched)
        return None
    tally.attributed += 1
    participants = [p for p in attribution.participants if p not in meeting.declined]
    if not participants:
        _forget(session, items, meeting)
        tally.skip("not_a_meeting")  # every customer-side guest declined: it did not take place with them
        return None
    _remember(session, items, source_id, meeting, attribution)
    organizer_ours = meeting.organizer_is_self or (meeting.organizer is not None and directory.is_internal(meeting.organizer))
    fields = {
        "type": "qbr" if meeting.is_qbr else "meeting",
        "direction": "outbound" if organizer_ours else "inbound",
        "date": meeting.start,
        "duration_minutes": meeting.minutes,
        "participants": participants,
        "subject": meeting.title,
        "source": store.MEETING_SOURCE,
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
        store.update_activity(session, stored.id, changes)
    return bool(changes)


def _starts_since(session: Session, link: SyncedEvent, since: dt.datetime) -> bool:
    date = store.meeting_date(session, link.external_id)
    return date is None or date >= since
