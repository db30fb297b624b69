"""Calendar capture through the real calendar v3 client: meetings, recurrences, time zones, cancellations, 410."""

from __future__ import annotations

import urllib.parse

from sqlalchemy.engine import Engine

from engagement.core import Core
from tests.factories import local
from tests.google import google_fakes as g
from tests.google.conftest import Harness, activities, snapshot
from engagement.customer import customer
from engagement.queries import CustomerQuery

CASEY = ("casey@ourco.test", "accepted")
ANA = ("ana@acme.test", "accepted")


def schedule() -> list[dict]:
    return [
        g.event("e1", "Renewal check-in", "2026-11-20T10:00:00-05:00", "2026-11-20T10:30:00-05:00", [CASEY, ANA],
                tz="America/New_York"),
        g.event("wk_20261110T160000Z", "Weekly sync", "2026-11-10T16:00:00Z", "2026-11-10T16:45:00Z",
                [CASEY, ("ben@acme.test", "accepted")], ical="wk@google.com", recurring="wk"),
        g.event("wk_20261117T160000Z", "Weekly sync", "2026-11-17T16:00:00Z", "2026-11-17T16:45:00Z",
                [CASEY, ("ben@acme.test", "tentative")], ical="wk@google.com", recurring="wk"),
        g.event("e2", "Acme offsite", "2026-11-12", "2026-11-13", [CASEY, ANA]),
        g.event("e3", "Pricing call", "2026-11-18T09:00:00+01:00", "2026-11-18T10:00:00+01:00",
                [CASEY, ("ana@acme.test", "declined")], tz="Europe/Berlin"),
        g.event("e4", "Team standup", "2026-11-19T09:00:00Z", "2026-11-19T09:15:00Z", [CASEY, ("dana@ourco.test", "accepted")]),
        g.event("e5", "Acme Q4 review", "2026-12-02T15:00:00Z", "2026-12-02T16:30:00Z", [CASEY, ANA],
                description="Agenda: quarterly business review, roadmap."),
        g.event("e6", "Intro", "2026-11-21T15:00:00Z", "2026-11-21T15:30:00Z", [CASEY, ("kim@hooli.test", "accepted")],
                organizer="kim@hooli.test"),
    ]  # fmt: skip


def test_first_calendar_sync_stores_meetings_in_utc_and_skips_what_is_not_one(
    google: Harness, engine: Engine, core: Core
) -> None:
    google.calendar("casey", g.events_page(schedule(), "sync-1"))

    report = google.run("casey")

    stored = activities(engine, "calendar")
    assert [(a.external_id, a.type, a.date.isoformat(), a.duration_minutes) for a in stored] == [
        ("wk@google.com/20261110T160000Z", "meeting", "2026-11-10T16:00:00", 45.0),
        ("wk@google.com/20261117T160000Z", "meeting", "2026-11-17T16:00:00", 45.0),
        ("e1@google.com/20261120T150000Z", "meeting", "2026-11-20T15:00:00", 30.0),  # New York 10:00
        ("e5@google.com/20261202T150000Z", "qbr", "2026-12-02T15:00:00", 90.0),  # future: stored, not yet held
    ]
    assert stored[2].participants == ["ana@acme.test"] and stored[2].direction == "outbound"
    assert stored[2].stakeholder_level == "executive"
    cal = next(r for r in report.sources if r.kind == "calendar")
    assert (cal.new, cal.mode) == (4, "full")
    # all-day offsite, Berlin call every customer declined; standup is internal; Hooli is nobody's
    assert (cal.skipped.not_a_meeting, cal.skipped.internal_only, cal.skipped.no_customer_match) == (2, 1, 1)
    assert [u.domain for u in report.unmatched] == ["hooli.test"]
    params = urllib.parse.parse_qs(urllib.parse.urlparse(google.uris("casey", "calendar")[0]).query)
    assert params["singleEvents"] == ["true"] and params["timeMin"] == ["2026-05-28T12:00:00Z"]
    detail = customer(core, local(core), CustomerQuery(customer="acme"))
    assert detail.activities.meetings_held == 3 and detail.activities.meeting_minutes == 120
    assert detail.activities.qbrs_completed == 0  # the QBR on 2 December has not happened yet


def test_cancelled_event_is_removed_and_a_quiet_run_writes_nothing(google: Harness, engine: Engine) -> None:
    google.calendar("casey", g.events_page(schedule(), "sync-1"))
    google.run("casey")
    google.calendar("casey", g.events_page([g.cancelled("e1"), g.cancelled("wk_20261117T160000Z")], "sync-2"))

    report = google.run("casey")

    params = urllib.parse.parse_qs(urllib.parse.urlparse(google.uris("casey", "calendar")[0]).query)
    assert params["syncToken"] == ["sync-1"] and "timeMin" not in params
    cal = next(r for r in report.sources if r.kind == "calendar")
    assert (cal.mode, cal.removed, cal.new) == ("incremental", 2, 0)
    assert [a.external_id for a in activities(engine, "calendar")] == [
        "wk@google.com/20261110T160000Z",
        "e5@google.com/20261202T150000Z",
    ]
    before = snapshot(engine)
    quiet = google.run("casey")
    assert snapshot(engine) == before and (quiet.new, quiet.updated, quiet.removed) == (0, 0, 0)


def test_moved_meeting_is_updated_and_a_gone_sync_token_means_a_full_resync(google: Harness, engine: Engine) -> None:
    google.calendar("casey", g.events_page(schedule(), "sync-1"))
    google.run("casey")
    moved = g.event("wk_20261117T160000Z", "Weekly sync", "2026-11-17T17:00:00Z", "2026-11-17T18:00:00Z",
                    [CASEY, ("ben@acme.test", "accepted"), ANA], ical="wk@google.com", recurring="wk")  # fmt: skip
    moved["originalStartTime"] = {"dateTime": "2026-11-17T16:00:00Z", "timeZone": "UTC"}
    google.calendar("casey", g.events_page([moved], "sync-2"))
    report = google.run("casey")

    instance = next(a for a in activities(engine) if a.external_id == "wk@google.com/20261117T160000Z")
    assert (instance.date.hour, instance.duration_minutes, instance.stakeholder_level) == (17, 60.0, "executive")
    assert report.updated == 1

    # The token expired: Google answers 410 GONE; a full listing shows e1 was deleted meanwhile.
    google.calendar("casey", g.gone(), g.events_page([e for e in schedule() if e["id"] != "e1"] + [moved], "sync-3"))
    resync = google.run("casey")

    cal = next(r for r in resync.sources if r.kind == "calendar")
    assert (cal.mode, cal.removed, cal.new) == ("resync", 1, 0)
    assert "e1@google.com/20261120T150000Z" not in {a.external_id for a in activities(engine)}
    assert google.cursor("casey", "calendar") == "sync-3"


def test_a_shared_invite_in_two_calendars_counts_once_until_both_drop_it(google: Harness, engine: Engine) -> None:
    invite = g.event("e1", "Renewal check-in", "2026-11-20T15:00:00Z", "2026-11-20T16:00:00Z",
                     [CASEY, ("dana@ourco.test", "accepted"), ANA])  # fmt: skip
    dana_copy = {**invite, "attendees": [{**a, "self": a["email"] == "dana@ourco.test"} for a in invite["attendees"]]}
    google.calendar("casey", g.events_page([invite], "c-1"))
    google.calendar("dana", g.events_page([dana_copy], "d-1"))

    report = google.run()

    assert len(activities(engine, "calendar")) == 1 and report.new == 1 and report.unchanged == 1
    google.calendar("casey", g.events_page([g.cancelled("e1")], "c-2"))  # Casey was removed from the invite
    google.run()
    assert len(activities(engine, "calendar")) == 1  # still in Dana's calendar
