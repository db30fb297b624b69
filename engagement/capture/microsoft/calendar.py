"""Reading one Outlook calendar through Graph's calendarView delta over the sync window, and what each event is.

A calendarView delta round is bound to the window it started with, so the window reaches a year ahead and
is renewed (a full re-read that stores nothing twice) once less than half a year of it is left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engagement.capture.items import QBR, Meeting, MeetingChanges, instance_key
from engagement.capture.microsoft.graph import PAGE_SIZE, GraphClient, GraphError, delta_link
from engagement.capture.microsoft.mail import graph_time

AHEAD = dt.timedelta(days=365)
RENEW_WITHIN = dt.timedelta(days=182)
NOT_MEETINGS = frozenset({"free", "oof", "workingelsewhere"})  # free/busy blocks, out of office, working elsewhere
PRIVATE = frozenset({"private", "confidential"})
PREFER = f'odata.maxpagesize={PAGE_SIZE}, outlook.timezone="UTC"'


def _when(value: Any) -> dt.datetime | None:
    """A Graph dateTimeTimeZone as naive UTC (asked in UTC; another zone is converted when Python knows it)."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    moment = graph_time(str(value["dateTime"]))
    zone = str(value.get("timeZone") or "UTC")
    if moment is None or zone in ("UTC", "Etc/UTC"):
        return moment
    try:
        return moment.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC).replace(tzinfo=None)
    except (ZoneInfoNotFoundError, ValueError):
        return moment  # a Windows zone name: the Prefer header asked for UTC, so this is rare


def _email(person: Any) -> str:
    if not isinstance(person, dict):
        return ""
    return str((person.get("emailAddress") or {}).get("address") or "").strip().lower()


def parse_event(event: dict[str, Any]) -> Meeting:
    """A Graph event (or a delta's @removed entry) as a Meeting; Teams meetings are meetings like any other."""
    event_id = str(event["id"])
    if "@removed" in event or event.get("isCancelled"):
        return Meeting(event_id, "cancelled")
    if event.get("isAllDay"):
        return Meeting(event_id, "all_day")
    if str(event.get("showAs") or "").lower() in NOT_MEETINGS:
        return Meeting(event_id, "free")
    if str(event.get("sensitivity") or "").lower() in PRIVATE:
        return Meeting(event_id, "private")  # its owner marked it private: not ours to count
    start, end = _when(event.get("start")), _when(event.get("end"))
    if start is None or end is None:
        return Meeting(event_id, "all_day")
    if str((event.get("responseStatus") or {}).get("response") or "").lower() == "declined":
        return Meeting(event_id, "declined")  # this CSM did not go; a colleague's calendar may still count it
    attendees: list[str] = []
    declined: list[str] = []
    for person in event.get("attendees") or []:
        email = _email(person)
        if not email or str(person.get("type") or "").lower() == "resource":
            continue  # rooms and equipment are not people
        if str((person.get("status") or {}).get("response") or "").lower() == "declined":
            declined.append(email)
        else:
            attendees.append(email)
    organizer = _email(event.get("organizer")) or None
    if organizer and organizer not in attendees and organizer not in declined:
        attendees.append(organizer)
    # An occurrence moved within its series keeps its identity by its original start.
    original = graph_time(event.get("originalStart")) or start
    text = f"{event.get('subject') or ''}\n{event.get('bodyPreview') or ''}"
    return Meeting(
        event_id=event_id,
        kind="meeting",
        external_id=instance_key(str(event.get("iCalUId") or event_id), original),
        start=start,
        minutes=max(0.0, (end - start).total_seconds() / 60),
        attendees=attendees,
        declined=declined,
        organizer=organizer,
        organizer_is_self=bool(event.get("isOrganizer")),
        title=event.get("subject") or None,
        is_qbr=QBR.search(text) is not None,
    )


def _cursor(until: dt.datetime, link: str) -> str:
    return f"{until:%Y-%m-%dT%H:%M:%SZ} {link}"


def _parse_cursor(cursor: str) -> tuple[dt.datetime, str]:
    until, _, link = cursor.partition(" ")
    return dt.datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ"), link


class CalendarReader:
    """Reads the mailbox's default calendar (`mailbox` is `/me` or `/users/{address}`; `key` as for mail)."""

    def __init__(self, graph: GraphClient, mailbox: str, key: str, token: Callable[[], str]) -> None:
        self.graph = graph
        self.mailbox = mailbox
        self.key = key
        self.token = token

    def read(self, cursor: str | None, since: dt.datetime, now: dt.datetime) -> MeetingChanges:
        if cursor is not None:
            until, link = _parse_cursor(cursor)
            if until - now < RENEW_WITHIN:
                return self._round("resync", since, now)  # the window runs out: a new one, nothing stored twice
            try:
                return self._round("incremental", since, now, link, until)
            except GraphError as error:
                if not error.resync:
                    raise
                return self._round("resync", since, now)  # the deltaLink expired (410 syncStateNotFound)
        return self._round("full", since, now)

    def _round(
        self, mode: str, since: dt.datetime, now: dt.datetime, link: str | None = None, until: dt.datetime | None = None
    ) -> MeetingChanges:
        if link is None or until is None:
            until = (now + AHEAD).replace(microsecond=0)
            link = (
                f"{self.mailbox}/calendarView/delta?startDateTime={since.replace(microsecond=0).isoformat()}Z"
                f"&endDateTime={until.isoformat()}Z"
            )
        events: dict[str, dict[str, Any]] = {}
        cursor = ""
        for page in self.graph.pages(self.key, link, self.token, PREFER):
            for event in page.get("value", []):
                events[str(event["id"])] = event  # the latest state of an event listed twice wins
            if "@odata.deltaLink" in page:
                cursor = _cursor(until, delta_link(page))
        return MeetingChanges(mode, cursor, [parse_event(event) for event in events.values()], since)
