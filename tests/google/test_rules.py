"""A synced mail or meeting is held to the rules a logged activity is, after the sync's documented fitting
(docs/rules.md, "Synced activities"): what Google holds beyond the limits is cut, what the rules still
refuse is left out and logged, and the rest of the mailbox is stored."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.engine import Engine

from tests.google import google_fakes as g
from tests.google.conftest import Harness, activities
from tests.google.test_gmail import CASEY, first_sync


def test_a_mail_beyond_the_limits_is_fitted_to_them_before_the_rules_check_it(google: Harness, engine: Engine) -> None:
    crowd = ", ".join(f"p{i:03d}@acme.test" for i in range(120))
    first_sync(google, g.message("m1", "t1", CASEY, crowd, "2026-11-10T09:00:00", subject="Plan\x00 " + "x" * 600,
                                 labels=("SENT",)))  # fmt: skip

    report = google.run("casey")

    [mail] = activities(engine)
    assert mail.subject == ("Plan " + "x" * 600)[:500]  # the NUL dropped, then cut to 500 characters
    assert mail.participants == [f"p{i:03d}@acme.test" for i in range(100)]  # the first 100
    assert report.new == 1


def test_a_mail_the_rules_refuse_is_left_out_and_logged_and_the_rest_is_stored(
    google: Harness, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    first_sync(
        google,
        g.message("m1", "t1", CASEY, "ana@acme.test", "1985-06-01T09:00:00", labels=("SENT",)),
        g.message("m2", "t2", CASEY, "ana@acme.test", "2026-11-10T09:00:00", labels=("SENT",)),
    )

    with caplog.at_level(logging.WARNING, logger="engagement.capture.records"):
        report = google.run("casey")

    assert [a.external_id for a in activities(engine)] == ["m2@mail.test"]
    assert (report.new, report.failed_sources) == (1, 0)
    assert "Gmail message m1 " in caplog.text and "before 1990" in caplog.text
    assert google.run("casey").new == 0  # remembered as read: not fetched or refused again


def test_a_meeting_over_a_day_counts_a_day_and_a_long_title_is_cut(google: Harness, engine: Engine) -> None:
    offsite = g.event("e1", "Acme " + "y" * 600, "2026-11-16T09:00:00Z", "2026-11-18T17:00:00Z",
                      [("casey@ourco.test", "accepted"), ("ana@acme.test", "accepted")])  # fmt: skip
    google.calendar("casey", g.events_page([offsite], "sync-1"))

    google.run("casey")

    [meeting] = activities(engine, "calendar")
    assert (meeting.duration_minutes, meeting.subject) == (1440.0, ("Acme " + "y" * 600)[:500])
