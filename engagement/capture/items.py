"""What every provider's reader hands the capture: a message or a meeting as the rules see it, and a read's result.

A provider turns its own resources (a Gmail message, a Graph event, ...) into these; everything after
(attribution, the activity it becomes, replies, removals) is the same for every provider.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from engagement.capture.attribution import is_no_reply
from engagement.models import MAX_ID_LENGTH

BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
OUT_OF_OFFICE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office|on vacation)",
    re.IGNORECASE,
)
QBR = re.compile(r"\bqbrs?\b|quarterly business review", re.IGNORECASE)


@dataclass(frozen=True)
class Mail:
    """One message read from a mailbox. `date` is naive UTC; `item_id` is the provider's id for it in this
    mailbox, `message_id` its RFC 5322 Message-ID (the same in every mailbox that holds it)."""

    item_id: str
    thread_id: str  # the provider's thread in this mailbox (Gmail thread, Graph conversation)
    date: dt.datetime
    sender: str | None
    recipients: list[str]
    subject: str | None
    message_id: str | None
    thread_root: str | None  # the first Message-ID of its References: the thread across mailboxes
    automated: bool


@dataclass(frozen=True)
class MailChanges:
    """What a mailbox read produced: the new messages, the cursor to store, and how it was read."""

    mode: str  # "full" | "incremental" | "resync"
    cursor: str
    account: str | None  # the mailbox's own address, when the provider says it
    messages: list[Mail]
    known_skipped: int  # listed again but already read before: not written twice


@dataclass(frozen=True)
class Meeting:
    """An event as the sync sees it. `kind` is "meeting", or why it is not one."""

    event_id: str
    kind: str  # meeting | cancelled | all_day | not_a_meeting | declined | private | free
    external_id: str | None = None
    start: dt.datetime | None = None
    minutes: float | None = None
    attendees: list[str] = field(default_factory=list)  # people (ours and theirs) who did not decline
    declined: list[str] = field(default_factory=list)
    organizer: str | None = None
    organizer_is_self: bool = False
    title: str | None = None
    is_qbr: bool = False


@dataclass(frozen=True)
class MeetingChanges:
    """What a calendar read produced. A full or resync read lists every live event since `since`."""

    mode: str  # "full" | "incremental" | "resync"
    cursor: str
    meetings: list[Meeting]
    since: dt.datetime


Changes = MailChanges | MeetingChanges


def is_automated(headers: dict[str, str], sender: str | None, subject: str | None) -> bool:
    """Machine-sent mail (RFC 3834 Auto-Submitted, bulk/list precedence, unsubscribe links, no-reply) or an
    out-of-office. `headers` are lower-cased names; a provider that cannot read them passes none."""
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if headers.get("precedence", "").strip().lower() in BULK_PRECEDENCE:
        return True
    if any(name in headers for name in ("list-unsubscribe", "list-id", "x-autoreply", "x-autorespond")):
        return True
    if sender is not None and is_no_reply(sender):
        return True
    # An out-of-office sent without the headers still is no answer from the customer.
    return bool(subject and OUT_OF_OFFICE.match(subject))


def header_map(headers: Any) -> dict[str, str]:
    """[{name, value}, ...] (Gmail's payload headers, Graph's internetMessageHeaders) as lower-cased names;
    the first of a repeated header wins, as mail readers show it."""
    found: dict[str, str] = {}
    for header in headers or []:
        found.setdefault(str(header.get("name", "")).lower(), str(header.get("value", "")))
    return found


def mail_of(
    item_id: str, thread_id: str, date: dt.datetime, sender: str | None, recipients: list[str], subject: str | None,
    headers: dict[str, str], own_id: str | None,
) -> Mail:  # fmt: skip
    """A message as Mail, from what every provider gives: the Message-ID (`own_id`, or the header), the
    thread across mailboxes from References (else In-Reply-To), and the automated-mail rules."""
    own = message_ids(own_id) or message_ids(headers.get("message-id"))
    message_id = own[0] if own else None
    references = message_ids(headers.get("references")) or message_ids(headers.get("in-reply-to"))
    return Mail(
        item_id=item_id,
        thread_id=thread_id,
        date=date,
        sender=sender,
        recipients=[address for address in recipients if address != sender],
        subject=subject,
        message_id=message_id,
        thread_root=references[0] if references else message_id,
        automated=is_automated(headers, sender, subject),
    )


def instance_key(ical_uid: str, start: dt.datetime) -> str:
    """iCalUID plus the instance's start: recurring instances differ, a shared invite is the same everywhere
    (in every CSM's calendar, whichever provider holds it)."""
    key = f"{ical_uid}/{start:%Y%m%dT%H%M%SZ}"
    return key if len(key) <= MAX_ID_LENGTH else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def message_ids(value: str | None) -> list[str]:
    """The <...> ids of a Message-ID, In-Reply-To or References value, without brackets."""
    return [part.strip().strip("<>").strip() for part in re.findall(r"<[^>]+>", value or "")]
