"""Google's responses, shaped as the Gmail v1 and Calendar v3 references document them, for HttpMockSequence."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

Response = tuple[dict[str, str], str]
JSON = {"status": "200", "content-type": "application/json; charset=UTF-8"}
BOUNDARY = "batch_Xy9pQ2"


def ok(body: dict[str, Any]) -> Response:
    return dict(JSON), json.dumps(body)


def error(status: int, reason: str, message: str, state: str) -> Response:
    body = {"error": {"code": status, "message": message, "errors": [{"message": message, "domain": "global", "reason": reason}], "status": state}}
    return {"status": str(status), "content-type": "application/json; charset=UTF-8"}, json.dumps(body)


def rate_limited() -> Response:
    return error(429, "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED")


def not_found() -> Response:
    return error(404, "notFound", "Requested entity was not found.", "NOT_FOUND")


def gone() -> Response:
    return error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.", "GONE")


def millis(when: str) -> str:
    moment = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)
    return str(int(moment.timestamp() * 1000))


def message(
    id: str, thread: str, sender: str, to: str, when: str, subject: str = "Renewal plan", cc: str | None = None,
    reply_to_id: str | None = None, labels: tuple[str, ...] = ("INBOX",), extra: dict[str, str] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A users.messages.get resource in format=metadata: ids, labels, headers, internalDate (UTC)."""
    headers = [
        {"name": "From", "value": sender},
        {"name": "To", "value": to},
        {"name": "Subject", "value": subject},
        {"name": "Date", "value": when},
        {"name": "Message-ID", "value": f"<{message_id or id}@mail.test>"},
    ]
    if cc:
        headers.append({"name": "Cc", "value": cc})
    if reply_to_id:
        headers += [
            {"name": "In-Reply-To", "value": f"<{reply_to_id}@mail.test>"},
            {"name": "References", "value": f"<{reply_to_id}@mail.test>"},
        ]
    headers += [{"name": name, "value": value} for name, value in (extra or {}).items()]
    return {
        "id": id,
        "threadId": thread,
        "labelIds": list(labels),
        "snippet": "",
        "payload": {"partId": "", "mimeType": "multipart/alternative", "filename": "", "headers": headers},
        "sizeEstimate": 4211,
        "historyId": "9000",
        "internalDate": millis(when),
    }


def batch(*parts: dict[str, Any] | tuple[str, Response]) -> Response:
    """A multipart/mixed batch answer; each part is a message resource, or (id, error response)."""
    chunks = []
    for part in parts:
        if isinstance(part, tuple):
            request_id, (headers, body) = part
            status = headers["status"]
        else:
            request_id, body, status = part["id"], json.dumps(part), "200"
        chunks.append(
            f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <response-b29c5de2 + {request_id}>\r\n\r\n"
            f"HTTP/1.1 {status} OK\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{body}\r\n"
        )
    return {"status": "200", "content-type": f"multipart/mixed; boundary={BOUNDARY}"}, "".join(chunks) + f"--{BOUNDARY}--"


def profile(history_id: str, email: str) -> Response:
    return ok({"emailAddress": email, "messagesTotal": 1200, "threadsTotal": 800, "historyId": history_id})


def listing(*ids: tuple[str, str]) -> Response:
    return ok({"messages": [{"id": i, "threadId": t} for i, t in ids], "resultSizeEstimate": len(ids)})


def history(history_id: str, *added: tuple[str, str]) -> Response:
    records = [
        {
            "id": str(int(history_id) - len(added) + n),
            "messages": [{"id": i, "threadId": t}],
            "messagesAdded": [{"message": {"id": i, "threadId": t, "labelIds": ["INBOX", "UNREAD"]}}],
        }
        for n, (i, t) in enumerate(added)
    ]
    return ok({"history": records, "historyId": history_id} if records else {"historyId": history_id})


def event(
    id: str, summary: str, start: str, end: str, attendees: list[tuple[str, str]], organizer: str = "casey@ourco.test",
    tz: str = "UTC", ical: str | None = None, recurring: str | None = None, description: str | None = None,
    self_email: str = "casey@ourco.test",
) -> dict[str, Any]:  # fmt: skip
    """An events#event: dateTime with offset (or date for all-day), attendees with responseStatus."""
    def when(value: str) -> dict[str, str]:
        return {"date": value} if len(value) == 10 else {"dateTime": value, "timeZone": tz}

    body: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": f'"{abs(hash(id)) % 10**12}"',
        "id": id,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={id}",
        "created": "2026-10-01T09:00:00.000Z",
        "updated": "2026-10-02T09:00:00.000Z",
        "summary": summary,
        "creator": {"email": organizer},
        "organizer": {"email": organizer, **({"self": True} if organizer == self_email else {})},
        "start": when(start),
        "end": when(end),
        "iCalUID": ical or f"{id}@google.com",
        "sequence": 0,
        "attendees": [
            {"email": email, "responseStatus": status, **({"self": True} if email == self_email else {}),
             **({"organizer": True} if email == organizer else {})}
            for email, status in attendees
        ],
        "eventType": "default",
    }  # fmt: skip
    if description:
        body["description"] = description
    if recurring:
        body["recurringEventId"] = recurring
        body["originalStartTime"] = when(start)
    return body


def cancelled(id: str) -> dict[str, Any]:
    """How an incremental events.list shows a deleted event: little more than its id and status."""
    return {"kind": "calendar#event", "etag": '"3181161784712000"', "id": id, "status": "cancelled"}


def events_page(items: list[dict[str, Any]], sync_token: str) -> Response:
    return ok({"kind": "calendar#events", "summary": "casey@ourco.test", "updated": "2026-11-24T10:00:00.000Z",
               "timeZone": "UTC", "accessRole": "owner", "items": items, "nextSyncToken": sync_token})  # fmt: skip
