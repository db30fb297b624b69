"""Outlook calendars end to end: calendarView delta over the sync window, into meetings (Teams ones included)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy.engine import Engine

from tests.microsoft import graph_fake as m
from tests.microsoft.conftest import ANA, BEN, CASEY, DANA, Harness, activities


def test_first_calendar_sync_stores_meetings_and_skips_what_is_no_touchpoint(microsoft: Harness, engine: Engine) -> None:
    fake = microsoft.fake
    guests = [(CASEY, "accepted"), (ANA, "accepted"), ("room-4@ourco.test", "accepted")]
    fake.put(CASEY, "calendar", m.event(1, "Acme QBR", "2026-11-18T15:00:00", "2026-11-18T16:30:00", guests, teams=True))
    fake.put(CASEY, "calendar", m.event(2, "Sync", "2026-11-19T09:00:00", "2026-11-19T09:30:00", [(BEN, "accepted")],
                                        organizer=BEN))  # fmt: skip
    fake.put(CASEY, "calendar", m.event(3, "Offsite", "2026-11-20T00:00:00", "2026-11-21T00:00:00", guests, all_day=True))
    fake.put(CASEY, "calendar", m.event(4, "Hold", "2026-11-20T09:00:00", "2026-11-20T10:00:00", guests, show_as="free"))
    fake.put(CASEY, "calendar", m.event(5, "Doctor", "2026-11-20T11:00:00", "2026-11-20T12:00:00", guests, sensitivity="private"))
    fake.put(CASEY, "calendar", m.event(6, "Declined", "2026-11-20T13:00:00", "2026-11-20T14:00:00",
                                        [(CASEY, "declined"), (ANA, "accepted")], organizer=ANA))  # fmt: skip
    fake.put(CASEY, "calendar", m.event(7, "Team", "2026-11-20T15:00:00", "2026-11-20T16:00:00", [(DANA, "accepted")]))
    fake.put(CASEY, "calendar", m.event(8, "Next QBR", "2027-01-12T15:00:00", "2027-01-12T16:00:00", guests))

    report = microsoft.run("casey")

    meetings = [(a.type, a.direction, a.date.isoformat(), a.duration_minutes, a.participants) for a in activities(engine, "calendar")]
    assert meetings == [
        ("qbr", "outbound", "2026-11-18T15:00:00", 90.0, [ANA]),  # a Teams meeting is a meeting
        ("meeting", "inbound", "2026-11-19T09:00:00", 30.0, [BEN]),
        ("qbr", "outbound", "2027-01-12T15:00:00", 60.0, [ANA]),  # ahead: stored, counts once held
    ]
    calendar = next(r for r in report.sources if r.kind == "outlook_calendar")
    assert (calendar.skipped.not_a_meeting, calendar.skipped.internal_only) == (4, 1)
    first = next(path for box, path in fake.requests if box == CASEY and "calendarView" in path)
    window = parse_qs(urlsplit(first).query)
    assert (window["startDateTime"], window["endDateTime"]) == (["2026-05-28T12:00:00Z"], ["2027-11-24T12:00:00Z"])


def test_a_cancelled_then_deleted_meeting_is_removed_once_and_a_quiet_run_writes_nothing(
    microsoft: Harness, engine: Engine
) -> None:
    meeting = m.event(1, "Review", "2026-11-20T15:00:00", "2026-11-20T16:00:00", [(CASEY, "accepted"), (ANA, "accepted")])
    microsoft.fake.put(CASEY, "calendar", meeting)
    microsoft.run("casey")
    microsoft.fake.cancel(CASEY, meeting["id"])

    cancelled = microsoft.run("casey")

    assert cancelled.removed == 1 and activities(engine, "calendar") == []
    microsoft.fake.remove(CASEY, "calendar", meeting["id"])  # the delta now shows it @removed
    gone = microsoft.run("casey")
    assert (gone.removed, gone.new) == (0, 0)
    quiet = microsoft.run("casey")
    assert (quiet.new, quiet.updated, quiet.removed, quiet.unchanged) == (0, 0, 0, 0)


def test_a_moved_meeting_is_updated_and_an_expired_token_rereads_the_window_without_duplicates(
    microsoft: Harness, engine: Engine
) -> None:
    guests = [(CASEY, "accepted"), (ANA, "accepted")]
    meeting = m.event(1, "Review", "2026-11-20T15:00:00", "2026-11-20T16:00:00", guests)
    microsoft.fake.put(CASEY, "calendar", meeting)
    microsoft.run("casey")
    microsoft.fake.put(CASEY, "calendar", dict(meeting, subject="Review (moved)", end={"dateTime": "2026-11-20T16:30:00.0000000", "timeZone": "UTC"}))

    moved = microsoft.run("casey")

    assert (moved.updated, moved.new) == (1, 0)
    [stored] = activities(engine, "calendar")
    assert (stored.subject, stored.duration_minutes) == ("Review (moved)", 90.0)
    microsoft.fake.put(CASEY, "calendar", m.event(2, "Kickoff", "2026-11-23T10:00:00", "2026-11-23T11:00:00", guests))
    microsoft.fake.remove(CASEY, "calendar", meeting["id"])
    microsoft.fake.expire(CASEY)

    resync = microsoft.run("casey")

    calendar = next(r for r in resync.sources if r.kind == "outlook_calendar")
    assert (calendar.mode, calendar.new, calendar.removed) == ("resync", 1, 1)  # the deleted one noticed by its absence
    assert [a.subject for a in activities(engine, "calendar")] == ["Kickoff"]


def test_a_shared_invite_in_two_calendars_counts_once_until_both_drop_it(microsoft: Harness, engine: Engine) -> None:
    guests = [(CASEY, "accepted"), (DANA, "accepted"), (ANA, "accepted")]
    invite = m.event(1, "Acme review", "2026-11-20T15:00:00", "2026-11-20T16:00:00", guests, ical="shared-uid")
    microsoft.fake.put(CASEY, "calendar", invite)
    microsoft.fake.put(DANA, "calendar", dict(m.event(2, "Acme review", "2026-11-20T15:00:00", "2026-11-20T16:00:00",
                                                      guests, owner=DANA, ical="shared-uid")))  # fmt: skip

    first = microsoft.run()

    assert (first.new, first.unchanged, len(activities(engine, "calendar"))) == (1, 1, 1)
    microsoft.fake.remove(CASEY, "calendar", invite["id"])
    assert microsoft.run().removed == 0 and len(activities(engine, "calendar")) == 1
    microsoft.fake.remove(DANA, "calendar", m.graph_id(2, "AAMkAGEv"))
    assert microsoft.run().removed == 1 and activities(engine, "calendar") == []
