"""A synced message or meeting whose key another customer's activity already holds is neither stored, nor
attributed to that activity, nor allowed to change it: the sync goes on and counts it as a skipped conflict,
with nothing of the other customer in its report."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from tests.factories import Factory
from tests.google import google_fakes as g
from tests.google.conftest import Harness, activities

CASEY = "Casey Morgan <casey@ourco.test>"
ANA = "Ana Ruiz <ana@acme.test>"
MEETING_KEY = "e1@google.com/20261120T150000Z"


def test_a_message_and_a_meeting_whose_keys_globex_holds_are_skipped_as_conflicts(
    google: Harness, engine: Engine, portfolio: Factory
) -> None:
    portfolio.activity("globex", "2026-11-03T08:00:00", subject="Globex layoffs", source="gmail", external_id="m1@mail.test")
    portfolio.activity("globex", "2026-11-04T08:00:00", type="meeting", duration_minutes=20, subject="Globex board prep",
                       source="calendar", external_id=MEETING_KEY)  # fmt: skip
    before = [a.model_dump() for a in activities(engine)]
    google.gmail(
        "casey",
        g.profile("5000", "casey@ourco.test"),
        g.listing(("m1", "t1"), ("m2", "t1")),
        g.batch(
            g.message("m1", "t1", CASEY, ANA, "2026-11-10T09:00:00", labels=("SENT",)),  # Globex's key
            g.message("m2", "t1", ANA, CASEY, "2026-11-10T12:30:00", subject="Re: Renewal plan", reply_to_id="m1"),
        ),
    )
    google.calendar("casey", g.events_page([
        g.event("e1", "Renewal check-in", "2026-11-20T10:00:00-05:00", "2026-11-20T10:30:00-05:00",
                [("casey@ourco.test", "accepted"), ("ana@acme.test", "accepted")], tz="America/New_York"),
    ], "sync-1"))  # fmt: skip

    report = google.run("casey")

    assert report.failed_sources == 0
    runs = {run.kind: run for run in report.sources}
    assert (runs["gmail"].new, runs["gmail"].unchanged, runs["gmail"].skipped.key_conflict) == (1, 0, 1)
    assert (runs["calendar"].new, runs["calendar"].updated, runs["calendar"].skipped.key_conflict) == (0, 0, 1)
    assert report.skipped.key_conflict == 2
    assert "globex" not in report.model_dump_json().lower()
    after = [a.model_dump() for a in activities(engine)]
    assert after[:2] == before  # Globex's two activities exactly as they were: not moved, retitled or answered
    assert [(a["customer_id"], a["external_id"]) for a in after[2:]] == [("acme", "m2@mail.test")]

    quiet = google.run("casey")  # the next run: nothing more to say about them, and no failure
    assert quiet.failed_sources == 0 and [a.model_dump() for a in activities(engine)] == after
