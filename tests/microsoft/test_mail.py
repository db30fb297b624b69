"""Outlook mail end to end: msal sign-ins and httpx against the fake Graph, message delta per folder, into activities."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy.engine import Engine

from engagement.capture.microsoft.graph import GraphClient, GraphError
from engagement.capture.sync import CaptureSync
from tests.microsoft import graph_fake as m
from tests.microsoft.conftest import ANA, BEN, CASEY, DANA, Harness, activities


def test_first_sync_stores_customer_mail_and_skips_internal_automated_drafts_and_unknown(
    microsoft: Harness, engine: Engine
) -> None:
    fake = microsoft.fake
    fake.put(CASEY, "sentitems", m.message(1, CASEY, ANA, "2026-11-10T09:00:00", cc=BEN))
    fake.put(CASEY, "inbox", m.message(2, "ops@globex.test", CASEY, "2026-11-11T09:00:00"))
    fake.put(CASEY, "inbox", m.message(3, DANA, CASEY, "2026-11-12T09:00:00"))  # ours only
    fake.put(CASEY, "inbox", m.message(4, ANA, CASEY, "2026-11-13T09:00:00", subject="Automatic reply: Renewal plan"))
    fake.put(CASEY, "inbox", m.message(5, "news@acme.test", CASEY, "2026-11-13T10:00:00", headers={"List-Id": "<news.acme.test>"}))
    fake.put(CASEY, "inbox", m.message(6, "noreply@acme.test", CASEY, "2026-11-13T11:00:00"))
    fake.put(CASEY, "inbox", m.message(7, ANA, CASEY, "2026-11-13T12:00:00", headers={"Auto-Submitted": "auto-replied"}))
    fake.put(CASEY, "sentitems", m.message(8, CASEY, ANA, "2026-11-14T09:00:00", draft=True))
    fake.put(CASEY, "inbox", m.message(9, "zoe@initech.test", CASEY, "2026-11-15T09:00:00"))
    fake.put(CASEY, "inbox", m.message(10, ANA, CASEY, "2026-04-01T09:00:00"))  # before the 180-day window

    report = microsoft.run("casey")

    stored = [(a.customer_id, a.source, a.direction, a.participants, a.external_id) for a in activities(engine)]
    assert stored == [
        ("acme", "outlook", "outbound", [ANA, BEN], "m1@mail.test"),
        ("globex", "outlook", "inbound", ["ops@globex.test"], "m2@mail.test"),
    ]
    assert report.skipped.automated == 4 and report.skipped.internal_only == 1 and report.skipped.no_customer_match == 1
    assert [(u.domain, u.items) for u in report.unmatched] == [("initech.test", 1)]
    assert report.coverage == round(2 / 3, 4)
    modes = {r.kind: r.mode for r in report.sources}
    assert modes == {"outlook_inbox": "full", "outlook_sent": "full", "outlook_calendar": "full"}
    assert "$deltatoken=" in (microsoft.cursor("casey", "outlook_inbox") or "")
    # What was asked of Graph: metadata only (no body or preview), from the window's start, for /me.
    first = next(path for box, path in fake.requests if box == CASEY and "mailFolders/inbox" in path)
    query = parse_qs(urlsplit(first).query)
    assert urlsplit(first).path == "/v1.0/me/mailFolders/inbox/messages/delta"
    assert "body" not in query["$select"][0].split(",") and "bodyPreview" not in query["$select"][0]
    assert unquote(query["$filter"][0]) == "receivedDateTime ge 2026-05-28T12:00:00Z"


def test_a_reply_in_a_later_sync_answers_the_email_and_the_same_change_twice_stores_nothing_new(
    microsoft: Harness, engine: Engine
) -> None:
    microsoft.fake.put(CASEY, "sentitems", m.message(1, CASEY, ANA, "2026-11-20T09:00:00"))
    assert microsoft.run("casey").new == 1
    before = microsoft.cursor("casey", "outlook_inbox")
    microsoft.fake.put(CASEY, "inbox", m.message(2, ANA, CASEY, "2026-11-20T12:30:00", reply_to=1))

    report = microsoft.run("casey")

    assert (report.new, report.updated) == (1, 1)
    sent, reply = activities(engine)
    assert (sent.response_received, sent.response_time_hours, reply.direction) == (True, 3.5, "inbound")
    quiet = microsoft.run("casey")
    assert (quiet.new, quiet.updated, quiet.removed) == (0, 0, 0)
    assert {r.mode for r in quiet.sources} == {"incremental"}
    # The same change delivered again (the cursor put back): read again, stored once.
    microsoft.set_cursor("casey", "outlook_inbox", before)
    again = microsoft.run("casey")
    assert (again.new, again.updated) == (0, 0) and len(activities(engine)) == 2


def test_a_message_moved_out_of_the_inbox_and_back_stays_one_touchpoint(microsoft: Harness, engine: Engine) -> None:
    inbound = m.message(1, ANA, CASEY, "2026-11-20T09:00:00")
    microsoft.fake.put(CASEY, "inbox", inbound)
    microsoft.run("casey")
    microsoft.fake.move(CASEY, inbound["id"], "inbox", "archive")  # the delta shows it @removed

    moved_out = microsoft.run("casey")

    assert (moved_out.new, moved_out.removed) == (0, 0) and len(activities(engine)) == 1
    microsoft.fake.move(CASEY, inbound["id"], "archive", "inbox")  # the same immutable id comes back
    back = microsoft.run("casey")
    inbox = next(r for r in back.sources if r.kind == "outlook_inbox")
    assert (back.new, inbox.unchanged) == (0, 1) and len(activities(engine)) == 1


def test_an_expired_delta_token_rereads_from_a_day_before_the_last_success_and_stores_nothing_twice(
    microsoft: Harness, engine: Engine
) -> None:
    microsoft.fake.put(CASEY, "inbox", m.message(1, ANA, CASEY, "2026-11-24T07:00:00"))
    microsoft.run("casey")
    microsoft.fake.put(CASEY, "inbox", m.message(2, BEN, CASEY, "2026-11-24T08:00:00"))
    microsoft.fake.expire(CASEY)  # every deltaLink of the mailbox: 410 syncStateNotFound

    report = microsoft.run("casey")

    inbox = next(r for r in report.sources if r.kind == "outlook_inbox")
    assert (inbox.mode, inbox.new, inbox.unchanged, inbox.ok) == ("resync", 1, 1, True)
    assert [a.external_id for a in activities(engine)] == ["m1@mail.test", "m2@mail.test"]
    reread = [p for box, p in microsoft.fake.requests if box == CASEY and "inbox" in p and "filter" in p][-1]
    assert unquote(parse_qs(urlsplit(reread).query)["$filter"][0]) == "receivedDateTime ge 2026-11-23T12:00:00Z"


def test_throttling_honours_retry_after_and_a_source_that_stays_throttled_fails_alone(
    microsoft: Harness, engine: Engine
) -> None:
    microsoft.fake.put(CASEY, "inbox", m.message(1, ANA, CASEY, "2026-11-20T09:00:00"))
    microsoft.fake.put(DANA, "inbox", m.message(2, "ops@globex.test", DANA, "2026-11-20T10:00:00"))
    microsoft.fake.throttle(CASEY, (429, "7"), (503, "2"))

    report = microsoft.run()

    assert report.failed_sources == 0 and report.new == 2
    assert sorted(microsoft.sleeps) == [2.0, 7.0]  # Graph's Retry-After, not our own backoff
    microsoft.sleeps.clear()
    microsoft.fake.put(DANA, "inbox", m.message(3, "ops@globex.test", DANA, "2026-11-21T10:00:00"))
    microsoft.fake.throttle(CASEY, *[(429, "1")] * 30)  # more than the retries of every source
    cursor = microsoft.cursor("casey", "outlook_inbox")

    throttled = microsoft.run()

    failed = sorted((r.csm_id, r.kind, r.error) for r in throttled.sources if not r.ok)
    assert failed == [("casey", kind, "Microsoft Graph answered HTTP 429 (TooManyRequests)")
                      for kind in ("outlook_calendar", "outlook_inbox", "outlook_sent")]  # fmt: skip
    assert throttled.new == 1 and microsoft.cursor("casey", "outlook_inbox") == cursor
    assert len(microsoft.sleeps) == 12  # 4 waits before the 5th and last try, per source


def test_a_crash_between_read_and_write_keeps_the_cursor_and_the_next_run_stores_each_message_once(
    microsoft: Harness, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    microsoft.fake.put(CASEY, "sentitems", m.message(1, CASEY, ANA, "2026-11-20T09:00:00"))
    microsoft.run("casey")
    cursor = microsoft.cursor("casey", "outlook_inbox")
    microsoft.fake.put(CASEY, "inbox", m.message(2, ANA, CASEY, "2026-11-20T10:00:00", reply_to=1))

    def crash(*_args: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(CaptureSync, "_record_success", crash)
        crashed = microsoft.run("casey")

    assert all(not r.ok and "(ref " in (r.error or "") for r in crashed.sources)
    assert microsoft.cursor("casey", "outlook_inbox") == cursor
    assert len(activities(engine)) == 1 and activities(engine)[0].response_received is False
    again = microsoft.run("casey")
    assert (again.new, again.updated) == (1, 1)
    assert [a.external_id for a in activities(engine)] == ["m1@mail.test", "m2@mail.test"]


def test_a_message_in_two_mailboxes_counts_once_and_a_reply_only_one_saw_answers_it(
    microsoft: Harness, engine: Engine
) -> None:
    shared = m.message(1, CASEY, f"{ANA},{DANA}", "2026-11-20T09:00:00")
    microsoft.fake.put(CASEY, "sentitems", shared)
    microsoft.fake.put(DANA, "inbox", dict(shared, id=m.graph_id(901)))  # the same Message-ID, another mailbox's id
    microsoft.run()
    microsoft.fake.put(DANA, "inbox", m.message(2, ANA, f"{CASEY},{DANA}", "2026-11-21T09:00:00", reply_to=1))

    report = microsoft.run()

    [sent] = [a for a in activities(engine) if a.direction == "outbound"]
    assert (sent.external_id, sent.response_received, sent.response_time_hours) == ("m1@mail.test", True, 24.0)
    assert len(activities(engine)) == 2 and report.updated == 1


def test_at_most_four_requests_are_in_flight_per_mailbox(microsoft: Harness) -> None:
    fake = microsoft.fake
    # Each request waits (up to 0.3 s) for a fifth to be in flight beside it: a client without a limit gets
    # there at once, and Graph (the fake) answers the fifth 429; with the limit each four go on together.
    fake.hold_until, fake.hold_seconds = 5, 0.3
    token = microsoft.credentials.token_source(microsoft.credentials.accounts([("casey", CASEY)])[0])
    client = GraphClient(fake.graph_url, sleep=microsoft.sleeps.append)
    answers: list[object] = []

    def read() -> None:
        try:
            answers.append(client.get(CASEY, "/me/mailFolders/inbox/messages/delta", token))
        except GraphError as error:
            answers.append(error)

    threads = [threading.Thread(target=read) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fake.max_in_flight[CASEY] == 4
    assert len(answers) == 12 and all(isinstance(a, dict) for a in answers) and microsoft.sleeps == []
