"""Reading one Gmail mailbox: what changed since the stored historyId (or a bounded window), as parsed mail."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from engagement.capture.google.api import ApiCaller, http_status
from engagement.capture.attribution import is_no_reply, parse_addresses

# The headers a metadata read asks for: addressing, threading, and the marks of automated mail.
HEADERS = (
    "From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "Precedence", "List-Unsubscribe", "List-Id", "X-Autoreply", "X-Autorespond",
)  # fmt: skip
SKIP_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
OUT_OF_OFFICE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office|on vacation)",
    re.IGNORECASE,
)
PAGE_SIZE = 500


@dataclass(frozen=True)
class Mail:
    """The parts of one Gmail message the sync uses. `date` is naive UTC (from internalDate)."""

    gmail_id: str
    thread_id: str
    labels: frozenset[str]
    date: dt.datetime
    sender: str | None
    recipients: list[str]
    subject: str | None
    message_id: str | None
    thread_root: str | None
    automated: bool


@dataclass(frozen=True)
class MailboxChanges:
    """What a Gmail read produced: the new messages, the cursor to store, and how it was read."""

    mode: str  # "full" | "incremental" | "resync"
    cursor: str
    account: str | None
    messages: list[Mail]
    known_skipped: int  # listed again by a resync but already read before: not fetched twice


def _strip_id(value: str) -> str:
    return value.strip().strip("<>").strip()


def _message_ids(value: str | None) -> list[str]:
    return [_strip_id(part) for part in re.findall(r"<[^>]+>", value or "")]


def is_automated(headers: dict[str, str], sender: str | None, subject: str | None) -> bool:
    """Machine-sent mail (RFC 3834 Auto-Submitted, bulk/list precedence, unsubscribe links, no-reply) or an OOO."""
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


def parse_message(resource: dict[str, Any]) -> Mail:
    """A users.messages.get(format=metadata) resource as Mail."""
    headers: dict[str, str] = {}
    for header in resource.get("payload", {}).get("headers", []):
        # The first of a repeated header wins, as mail readers show it.
        headers.setdefault(str(header.get("name", "")).lower(), str(header.get("value", "")))
    senders = parse_addresses(headers.get("from"))
    sender = senders[0] if senders else None
    recipients = [a for a in parse_addresses(headers.get("to"), headers.get("cc")) if a != sender]
    message_ids = _message_ids(headers.get("message-id"))
    message_id = message_ids[0] if message_ids else None
    references = _message_ids(headers.get("references")) or _message_ids(headers.get("in-reply-to"))
    subject = headers.get("subject") or None
    millis = int(resource.get("internalDate", "0"))
    return Mail(
        gmail_id=resource["id"],
        thread_id=resource.get("threadId", resource["id"]),
        labels=frozenset(resource.get("labelIds", [])),
        date=dt.datetime.fromtimestamp(millis / 1000, dt.UTC).replace(tzinfo=None),
        sender=sender,
        recipients=recipients,
        subject=subject,
        message_id=message_id,
        thread_root=references[0] if references else message_id,
        automated=is_automated(headers, sender, subject),
    )


class GmailReader:
    """Reads one mailbox (`me`) through a gmail v1 service; `known` holds ids already read from it."""

    def __init__(self, service: Any, caller: ApiCaller) -> None:
        self.service = service
        self.caller = caller
        self.users = service.users()

    def read(self, cursor: str | None, since: dt.datetime, known: set[str]) -> MailboxChanges:
        if cursor is not None:
            try:
                return self._incremental(cursor, known)
            except Exception as error:
                if http_status(error) != 404:
                    raise
                # The historyId is too old for Gmail to answer: reread a bounded window instead.
                return self._full("resync", since, known)
        return self._full("full", since, known)

    def _incremental(self, cursor: str, known: set[str]) -> MailboxChanges:
        added: list[str] = []
        page_token: str | None = None
        latest = cursor
        while True:
            response = self.caller.execute(
                self.users.history().list(
                    userId="me",
                    startHistoryId=cursor,
                    historyTypes=["messageAdded"],
                    maxResults=PAGE_SIZE,
                    pageToken=page_token,
                )
            )
            for record in response.get("history", []):
                for entry in record.get("messagesAdded", []):
                    message = entry.get("message", {})
                    if message.get("id") and not SKIP_LABELS & set(message.get("labelIds", [])):
                        added.append(message["id"])
            latest = response.get("historyId", latest)
            page_token = response.get("nextPageToken")
            if not page_token:
                break
        fresh = [gmail_id for gmail_id in dict.fromkeys(added) if gmail_id not in known]
        return MailboxChanges("incremental", latest, None, self._fetch(fresh), len(added) - len(fresh))

    def _full(self, mode: str, since: dt.datetime, known: set[str]) -> MailboxChanges:
        # The profile's historyId is taken first, so whatever arrives while we list is in the next history read.
        profile = self.caller.execute(self.users.getProfile(userId="me"))
        listed: list[str] = []
        page_token: str | None = None
        after = int(since.replace(tzinfo=dt.UTC).timestamp())
        while True:
            response = self.caller.execute(
                self.users.messages().list(userId="me", q=f"after:{after}", maxResults=PAGE_SIZE, pageToken=page_token)
            )
            listed += [m["id"] for m in response.get("messages", [])]
            page_token = response.get("nextPageToken")
            if not page_token:
                break
        fresh = [gmail_id for gmail_id in dict.fromkeys(listed) if gmail_id not in known]
        messages = self._fetch(fresh)
        return MailboxChanges(mode, str(profile["historyId"]), profile.get("emailAddress"), messages, len(listed) - len(fresh))

    def _fetch(self, ids: list[str]) -> list[Mail]:
        if not ids:
            return []

        def request(gmail_id: str) -> Any:
            return self.users.messages().get(userId="me", id=gmail_id, format="metadata", metadataHeaders=list(HEADERS))

        resources = self.caller.batch_get(self.service, request, ids)
        mails = [parse_message(resources[i]) for i in ids if i in resources]
        mails = [mail for mail in mails if not SKIP_LABELS & mail.labels]  # drafts are not sent mail
        return sorted(mails, key=lambda mail: (mail.date, mail.gmail_id))
