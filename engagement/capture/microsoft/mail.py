"""Reading one Outlook mail folder (Inbox or Sent Items) through Graph's message delta: what changed since the
stored deltaLink, or the window on a first read or after the token expired, as parsed mail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from engagement.capture.attribution import parse_addresses
from engagement.capture.items import Mail, MailChanges, header_map, mail_of
from engagement.capture.microsoft.graph import PAGE_SIZE, GraphClient, GraphError, delta_link

FOLDERS = {"outlook_inbox": "inbox", "outlook_sent": "sentitems"}  # Graph's well-known folder names
# Metadata only (Mail.ReadBasic has no bodies or previews). internetMessageHeaders carries Auto-Submitted,
# List-Id and the threading headers where Graph returns them (mail received from the internet).
SELECT = ",".join((
    "id", "conversationId", "internetMessageId", "subject", "from", "sender", "toRecipients", "ccRecipients",
    "receivedDateTime", "sentDateTime", "isDraft", "internetMessageHeaders",
))  # fmt: skip
# Immutable ids: a message keeps its id when moved between folders, so a move is never a new message.
PREFER = f'odata.maxpagesize={PAGE_SIZE}, IdType="ImmutableId"'


def graph_time(text: str | None) -> dt.datetime | None:
    """A Graph DateTimeOffset (always UTC, `Z`) as naive UTC; up to 7 fractional digits."""
    if not text:
        return None
    head, _, fraction = text.rstrip("Z").partition(".")
    parsed = dt.datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    return parsed if parsed.tzinfo is None else parsed.astimezone(dt.UTC).replace(tzinfo=None)


def _address(recipient: Any) -> list[str]:
    if not isinstance(recipient, dict):
        return []
    email = recipient.get("emailAddress") or {}
    return parse_addresses(str(email.get("address") or ""))


def parse_message(resource: dict[str, Any]) -> Mail | None:
    """A Graph message as Mail; None for a draft or one without a date."""
    if resource.get("isDraft"):
        return None
    date = graph_time(resource.get("receivedDateTime") or resource.get("sentDateTime"))
    if date is None:
        return None
    senders = _address(resource.get("from")) or _address(resource.get("sender"))
    recipients: list[str] = []
    for field in ("toRecipients", "ccRecipients"):
        for recipient in resource.get(field) or []:
            recipients += [a for a in _address(recipient) if a not in recipients]
    item_id = str(resource["id"])
    return mail_of(
        item_id=item_id,
        thread_id=str(resource.get("conversationId") or item_id),
        date=date,
        sender=senders[0] if senders else None,
        recipients=recipients,
        subject=resource.get("subject") or None,
        headers=header_map(resource.get("internetMessageHeaders")),
        own_id=resource.get("internetMessageId"),
    )


class MailFolderReader:
    """Reads one folder of one mailbox (`mailbox` is `/me` or `/users/{address}`; `key`, its address, is what
    Graph's per-mailbox limit counts)."""

    def __init__(self, graph: GraphClient, mailbox: str, key: str, token: Callable[[], str], kind: str) -> None:
        self.graph = graph
        self.mailbox = mailbox
        self.key = key
        self.token = token
        self.folder = FOLDERS[kind]

    def read(self, cursor: str | None, window_start: dt.datetime, resync_since: dt.datetime, known: set[str]) -> MailChanges:
        if cursor is not None:
            try:
                return self._round("incremental", cursor, known)
            except GraphError as error:
                if not error.resync:
                    raise
                # The deltaLink expired: reread from a day before the last success; known ids are not stored twice.
                return self._round("resync", self._first(resync_since), known)
        return self._round("full", self._first(window_start), known)

    def _first(self, since: dt.datetime) -> str:
        stamp = since.replace(microsecond=0).isoformat() + "Z"
        return (
            f"{self.mailbox}/mailFolders/{self.folder}/messages/delta"
            f"?$select={SELECT}&$filter=receivedDateTime%20ge%20{stamp}"
        )

    def _round(self, mode: str, first: str, known: set[str]) -> MailChanges:
        found: dict[str, Mail] = {}
        already = 0
        cursor = ""
        for page in self.graph.pages(self.key, first, self.token, PREFER):
            for resource in page.get("value", []):
                if "@removed" in resource:
                    continue  # moved out or deleted: a message once read stays a touchpoint
                mail = parse_message(resource)
                if mail is not None and mail.item_id in known:
                    already += 1  # read before (a flag or category changed, or a resync): not written twice
                elif mail is not None:
                    found[mail.item_id] = mail  # the same message twice in a round (changed again) is one
            if "@odata.deltaLink" in page:
                cursor = delta_link(page)
        messages = sorted(found.values(), key=lambda mail: (mail.date, mail.item_id))
        return MailChanges(mode, cursor, None, messages, already)
