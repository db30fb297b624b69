"""The sync as a whole: one failing mailbox does not stop the others, a crash before commit loses nothing."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine

from engagement.capture.google.provider import GoogleSync
from tests.google import google_fakes as g
from tests.google.conftest import Harness, activities
from tests.google.test_gmail import ANA, CASEY, first_sync


def test_a_failing_mailbox_is_reported_and_the_others_still_sync(google: Harness, engine: Engine) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00"))
    google.run("casey")
    forbidden = g.error(403, "forbidden", "Delegation denied for casey@ourco.test", "PERMISSION_DENIED")
    google.gmail("casey", forbidden)
    google.gmail("dana", g.profile("900", "dana@ourco.test"), g.listing(("d1", "dt1")),
                 g.batch(g.message("d1", "dt1", "dana@ourco.test", "ops@globex.test", "2026-11-22T10:00:00")))  # fmt: skip

    report = google.run()

    failed = [r for r in report.sources if not r.ok]
    assert [(r.csm_id, r.kind, r.error) for r in failed] == [("casey", "gmail", "Google answered HTTP 403 (forbidden)")]
    assert report.failed_sources == 1 and report.new == 1
    assert {a.customer_id for a in activities(engine)} == {"acme", "globex"}
    assert google.cursor("casey", "gmail") == "5000"  # kept: the next run rereads from it
    status = google.sync.status()
    casey = next(s for s in status.sources if (s.csm_id, s.kind) == ("casey", "gmail"))
    assert casey.last_error == "Google answered HTTP 403 (forbidden)" and casey.cursor_age_minutes == 0.0


def test_a_crash_before_commit_keeps_the_cursor_and_the_next_run_stores_each_message_once(
    google: Harness, engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",)))
    google.run("casey")
    reply = g.message("m2", "t1", ANA, CASEY, "2026-11-20T10:00:00", reply_to_id="m1")
    google.gmail("casey", g.history("5003", ("m2", "t1")), g.batch(reply))

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR):  # rows written, then a crash before COMMIT
        patch.setattr(GoogleSync, "_record_success", crash)
        crashed = google.run("casey")

    # Our bug, told as one: a reference to the logged details and what happens next, never the exception's text.
    error = crashed.sources[0].error or ""
    reference = re.fullmatch(r"Internal error \(ref ([0-9a-f]{8})\); .* the next sync reads it again from its last cursor\.", error)
    assert reference is not None and "power cut" not in error
    assert f"ref={reference.group(1)}" in caplog.text and "power cut" in caplog.text
    assert next(s for s in google.sync.status().sources if s.kind == "gmail").last_error == error
    assert google.cursor("casey", "gmail") == "5000"
    assert len(activities(engine)) == 1 and activities(engine)[0].response_received is False

    google.gmail("casey", g.history("5003", ("m2", "t1")), g.batch(reply))
    again = google.run("casey")

    assert again.new == 1 and again.updated == 1
    assert [a.external_id for a in activities(engine)] == ["m1@mail.test", "m2@mail.test"]
    assert activities(engine)[0].response_received is True
    assert google.cursor("casey", "gmail") == "5003"


def test_csms_without_credentials_are_listed_not_synced(google: Harness, credentials: object) -> None:
    google.sync.credentials.remove("dana")

    report = google.run()

    assert report.not_connected == ["dana"]
    assert {r.csm_id for r in report.sources} == {"casey"}
    assert google.sync.status().not_connected == ["dana"]


def test_a_database_error_of_a_source_is_reported_without_its_sql(google: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00"))

    def refuse(*_args: object) -> None:
        raise IntegrityError("INSERT INTO activity (customer_id) VALUES (%(customer_id)s)", {"customer_id": "acme"},
                             Exception("duplicate key value violates unique constraint"))  # fmt: skip

    monkeypatch.setattr(GoogleSync, "_record_success", refuse)
    report = google.run("casey")

    for run in report.sources:
        assert run.error is not None and "(ref " in run.error and "next sync" in run.error
        assert "INSERT" not in run.error and "acme" not in run.error and "duplicate" not in run.error
