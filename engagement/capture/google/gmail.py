"""Reading one Gmail mailbox: what changed since the stored historyId (or a bounded window), as parsed mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from engagement.capture.attribution import parse_addresses
from engagement.capture.google.api import ApiCaller, http_status
from engagement.capture.items import Mail, MailChanges, header_map, mail_of

# The headers a metadata read asks for: addressing, threading, and the marks of automated mail.
HEADERS = (
    "From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "Precedence", "List-Unsubscribe", "List-Id", "X-Autoreply", "X-Autorespond",
)  # fmt: skip
SKIP_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
PAGE_SIZE = 500


def parse_message(resource: dict[str, Any]) -> Mail:
    """A users.messages.get(format=metadata) resource as Mail (the reader leaves out drafts, spam and trash by label)."""
    headers = header_map(resource.get("payload", {}).get("headers", []))
    senders = parse_addresses(headers.get("from"))
    millis = int(resource.get("internalDate", "0"))
    return mail_of(
        item_id=resource["id"],
        thread_id=resource.get("threadId", resource["id"]),
        date=dt.datetime.fromtimestamp(millis / 1000, dt.UTC).replace(tzinfo=None),
        sender=senders[0] if senders else None,
        recipients=parse_addresses(headers.get("to"), headers.get("cc")),
        subject=headers.get("subject") or None,
        headers=headers,
        own_id=None,
    )


class GmailReader:
    """Reads one mailbox (`me`) through a gmail v1 service; `known` holds ids already read from it."""

    def __init__(self, service: Any, caller: ApiCaller) -> None:
        self.service = service
        self.caller = caller
        self.users = service.users()

    def read(self, cursor: str | None, since: dt.datetime, known: set[str]) -> MailChanges:
        if cursor is not None:
            try:
                return self._incremental(cursor, known)
            except Exception as error:
                if http_status(error) != 404:
                    raise
                # The historyId is too old for Gmail to answer: reread a bounded window instead.
                return self._full("resync", since, known)
        return self._full("full", since, known)

    def _incremental(self, cursor: str, known: set[str]) -> MailChanges:
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
        return MailChanges("incremental", latest, None, self._fetch(fresh), len(added) - len(fresh))

    def _full(self, mode: str, since: dt.datetime, known: set[str]) -> MailChanges:
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
        return MailChanges(mode, str(profile["historyId"]), profile.get("emailAddress"), messages, len(listed) - len(fresh))

    def _fetch(self, ids: list[str]) -> list[Mail]:
        if not ids:
            return []

        def request(gmail_id: str) -> Any:
            return self.users.messages().get(userId="me", id=gmail_id, format="metadata", metadataHeaders=list(HEADERS))

        resources = self.caller.batch_get(self.service, request, ids)
        # Drafts are not sent mail; spam and trash are nobody's touchpoint.
        kept = [resources[i] for i in ids if i in resources and not SKIP_LABELS & set(resources[i].get("labelIds", []))]
        return sorted(map(parse_message, kept), key=lambda mail: (mail.date, mail.item_id))
