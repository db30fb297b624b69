"""Microsoft Graph resources as Graph returns them, for the fake (graph_fake.py): messages and events."""

from __future__ import annotations

import datetime as dt
from typing import Any


def graph_id(n: int, kind: str = "AAMkAGI2") -> str:
    """An id shaped like Graph's: ~150 characters of base64."""
    return f"{kind}{'TG9uZ0lkUGFydE9mQU1haWxib3g' * 5}{n:010d}AAA="


def message(
    n: int, sender: str, to: str, when: str, subject: str = "Renewal plan", cc: str | None = None,
    reply_to: int | None = None, headers: dict[str, str] | None = None, conversation: str | None = None,
    message_id: str | None = None, draft: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """A Graph message resource; `headers` become internetMessageHeaders (mail received from the internet)."""
    def recipients(value: str | None) -> list[dict[str, Any]]:
        return [{"emailAddress": {"name": a.split("@")[0].title(), "address": a}} for a in (value or "").split(",") if a]

    internet = [{"name": "Message-ID", "value": f"<{message_id or f'm{n}'}@mail.test>"}]
    if reply_to is not None:
        internet += [{"name": "In-Reply-To", "value": f"<m{reply_to}@mail.test>"},
                     {"name": "References", "value": f"<m{reply_to}@mail.test>"}]  # fmt: skip
    internet += [{"name": k, "value": v} for k, v in (headers or {}).items()]
    stamp = dt.datetime.fromisoformat(when).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "@odata.etag": f'W/"CQAAABYAAAD{n}"',
        "id": graph_id(n),
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "receivedDateTime": stamp,
        "sentDateTime": stamp,
        "hasAttachments": False,
        "internetMessageId": f"<{message_id or f'm{n}'}@mail.test>",
        "subject": subject,
        "isDraft": draft,
        "conversationId": conversation or f"AAQkAGI2conv{(reply_to or n):06d}",
        "from": {"emailAddress": {"name": sender.split("@")[0].title(), "address": sender}},
        "sender": {"emailAddress": {"name": sender.split("@")[0].title(), "address": sender}},
        "toRecipients": recipients(to),
        "ccRecipients": recipients(cc),
        "internetMessageHeaders": internet,
    }


def event(
    n: int, subject: str, start: str, end: str, attendees: list[tuple[str, str]], organizer: str = "casey@ourco.test",
    owner: str = "casey@ourco.test", all_day: bool = False, show_as: str = "busy", sensitivity: str = "normal",
    teams: bool = False, ical: str | None = None, body: str = "",
) -> dict[str, Any]:  # fmt: skip
    """A Graph event as calendarView returns it with `Prefer: outlook.timezone="UTC"`."""
    def when(value: str) -> dict[str, str]:
        return {"dateTime": dt.datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}

    mine = next((status for email, status in attendees if email == owner), "organizer" if organizer == owner else "none")
    return {
        "@odata.etag": f'W/"DwAAABYAAAD{n}"',
        "id": graph_id(n, "AAMkAGEv"),
        "iCalUId": ical or f"040000008200E00074C5B7101A82E008000000{n:08d}",
        "subject": subject,
        "bodyPreview": body,
        "isAllDay": all_day,
        "isCancelled": False,
        "isOrganizer": organizer == owner,
        "showAs": show_as,
        "sensitivity": sensitivity,
        "type": "singleInstance",
        "responseStatus": {"response": mine, "time": "2026-10-01T09:00:00Z"},
        "start": when(start),
        "end": when(end),
        "isOnlineMeeting": teams,
        "onlineMeetingProvider": "teamsForBusiness" if teams else "unknown",
        "onlineMeeting": {"joinUrl": f"https://teams.microsoft.com/l/meetup-join/{n}"} if teams else None,
        "organizer": {"emailAddress": {"name": organizer.split("@")[0].title(), "address": organizer}},
        "attendees": [
            {"type": "resource" if email.startswith("room") else "required",
             "status": {"response": status, "time": "2026-10-01T09:00:00Z"},
             "emailAddress": {"name": email.split("@")[0].title(), "address": email}}
            for email, status in attendees if email != organizer
        ],  # fmt: skip
    }
