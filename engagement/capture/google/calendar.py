"""Reading one calendar: the events changed since the stored syncToken (or a full window), and what each one is."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement.capture.google.api import ApiCaller, http_status
from engagement.capture.items import QBR, Meeting, MeetingChanges, instance_key
NOT_MEETINGS = frozenset({"outOfOffice", "focusTime", "workingLocation", "birthday"})
PAGE_SIZE = 250


def to_utc(when: dict[str, Any]) -> dt.datetime | None:
    """An EventDateTime's dateTime as naive UTC; a time without offset is read in its timeZone."""
    text = when.get("dateTime")
    if not text:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(when.get("timeZone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def parse_event(event: dict[str, Any]) -> Meeting:
    event_id = str(event["id"])
    if event.get("status") == "cancelled":
        return Meeting(event_id, "cancelled")
    if event.get("eventType", "default") in NOT_MEETINGS:
        return Meeting(event_id, "not_a_meeting")
    start, end = to_utc(event.get("start", {})), to_utc(event.get("end", {}))
    if start is None or end is None:
        return Meeting(event_id, "all_day")  # a date without a time: a holiday or a reminder, not a meeting
    # The instance's original start keeps its identity when one occurrence of a series is moved.
    original = to_utc(event.get("originalStartTime", {})) or start
    attendees: list[str] = []
    declined: list[str] = []
    self_declined = False
    for person in event.get("attendees", []):
        email = str(person.get("email", "")).strip().lower()
        if not email or person.get("resource"):
            continue  # rooms and equipment are not people
        if person.get("responseStatus") == "declined":
            declined.append(email)
            self_declined = self_declined or bool(person.get("self"))
        else:
            attendees.append(email)
    organizer = event.get("organizer", {})
    organizer_email = str(organizer.get("email", "")).strip().lower() or None
    if organizer_email and organizer_email not in attendees and organizer_email not in declined:
        if not organizer_email.endswith("calendar.google.com"):  # a group calendar's id, not a person
            attendees.append(organizer_email)
    if self_declined:
        return Meeting(event_id, "declined")  # this CSM did not go; a colleague's calendar may still count it
    text = f"{event.get('summary', '')}\n{event.get('description', '')}"
    minutes = max(0.0, (end - start).total_seconds() / 60)  # over a day: records.fit_to_rules caps it
    return Meeting(
        event_id=event_id,
        kind="meeting",
        external_id=instance_key(str(event.get("iCalUID") or event_id), original),
        start=start,
        minutes=minutes,
        attendees=attendees,
        declined=declined,
        organizer=organizer_email,
        organizer_is_self=bool(organizer.get("self")),
        title=(event.get("summary") or None),
        is_qbr=QBR.search(text) is not None,
    )


class CalendarReader:
    """Reads the `primary` calendar through a calendar v3 service."""

    def __init__(self, service: Any, caller: ApiCaller, calendar_id: str = "primary") -> None:
        self.events = service.events()
        self.caller = caller
        self.calendar_id = calendar_id

    def read(self, cursor: str | None, since: dt.datetime) -> MeetingChanges:
        if cursor is not None:
            try:
                return self._list("incremental", {"syncToken": cursor}, since)
            except Exception as error:
                if http_status(error) != 410:
                    raise
                return self._list("resync", {"timeMin": _rfc3339(since)}, since)  # 410 GONE: the token expired
        return self._list("full", {"timeMin": _rfc3339(since)}, since)

    def _list(self, mode: str, window: dict[str, str], since: dt.datetime) -> MeetingChanges:
        events: list[dict[str, Any]] = []
        page_token: str | None = None
        while True:
            response = self.caller.execute(
                self.events.list(
                    calendarId=self.calendar_id, singleEvents=True, maxResults=PAGE_SIZE, pageToken=page_token, **window
                )
            )
            events += response.get("items", [])
            page_token = response.get("nextPageToken")
            if not page_token:
                meetings = [parse_event(event) for event in events]
                return MeetingChanges(mode, str(response["nextSyncToken"]), meetings, since)


def _rfc3339(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
