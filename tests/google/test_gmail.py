"""Gmail capture through the real gmail v1 client: first sync, history, resync, retries, replies, shared threads."""

from __future__ import annotations

import urllib.parse

from sqlalchemy.engine import Engine

from engagement.core import Core
from tests.factories import local
from tests.google import google_fakes as g
from tests.google.conftest import Harness, activities, snapshot
from engagement.customer import customer
from engagement.queries import CustomerQuery

CASEY = "Casey Morgan <casey@ourco.test>"
ANA = "Ana Ruiz <ana@acme.test>"


def query(uri: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)


def first_sync(google: Harness, *messages: dict, history_id: str = "5000") -> None:
    google.gmail(
        "casey",
        g.profile(history_id, "casey@ourco.test"),
        g.listing(*[(m["id"], m["threadId"]) for m in messages]),
        *([g.batch(*messages)] if messages else []),
    )


def test_first_sync_stores_customer_mail_and_skips_internal_automated_and_unknown(
    google: Harness, engine: Engine, core: Core
) -> None:
    first_sync(
        google,
        g.message("m1", "t1", CASEY, ANA, "2026-11-10T09:00:00", cc="ben@acme.test, dana@ourco.test", labels=("SENT",)),
        g.message("m2", "t1", ANA, CASEY, "2026-11-10T12:30:00", subject="Re: Renewal plan", reply_to_id="m1"),
        g.message("m3", "t3", "dana@ourco.test", CASEY, "2026-11-11T08:00:00", subject="Acme notes"),
        g.message("m4", "t4", "Acme News <news@acme.test>", CASEY, "2026-11-12T08:00:00",
                  extra={"List-Unsubscribe": "<mailto:unsub@acme.test>", "Precedence": "bulk"}),
        g.message("m5", "t5", "Zed <zed@initech.test>", CASEY, "2026-11-13T08:00:00", subject="Intro"),
        g.message("m6", "t1", "ben@acme.test", CASEY, "2026-11-10T09:01:00", subject="Automatic reply: Renewal plan",
                  reply_to_id="m1", extra={"Auto-Submitted": "auto-replied"}),
        g.message("m7", "t7", CASEY, "ana@acme.test", "2026-11-14T08:00:00", labels=("DRAFT",)),
    )  # fmt: skip

    report = google.run()

    stored = activities(engine)
    assert [(a.external_id, a.direction, a.customer_id) for a in stored] == [
        ("m1@mail.test", "outbound", "acme"),
        ("m2@mail.test", "inbound", "acme"),
    ]
    outbound, inbound = stored
    assert outbound.participants == ["ana@acme.test", "ben@acme.test"]  # customer side only
    assert outbound.stakeholder_level == "executive"
    assert (outbound.response_received, outbound.response_time_hours) == (True, 3.5)  # the OOO at 09:01 is no answer
    assert inbound.response_received is None and inbound.source == "gmail" and inbound.type == "email"
    assert (report.new, report.updated, report.failed_sources) == (2, 0, 0)
    assert report.skipped.internal_only == 1 and report.skipped.automated == 2
    assert report.skipped.no_customer_match == 1
    assert [(u.domain, u.addresses) for u in report.unmatched] == [("initech.test", ["zed@initech.test"])]
    assert report.coverage == round(2 / 3, 4)
    assert report.sources[0].mode == "full"
    assert google.cursor("casey", "gmail") == "5000"
    uris = google.uris("casey", "gmail")
    assert "after:" in query(uris[1])["q"][0]
    assert "format=metadata" in google.bodies("casey", "gmail")[2]  # one batch of metadata reads
    detail = customer(core, local(core), CustomerQuery(customer="acme"))
    assert (detail.activities.emails_sent, detail.activities.emails_received) == (1, 1)
    assert detail.quality.response_rate == 1.0 and detail.quality.avg_response_time_hours == 3.5
    assert detail.quality.stakeholders_engaged == 2 and detail.quality.executive_touchpoints == 2


def test_reply_in_a_later_sync_updates_the_earlier_email_and_a_quiet_run_writes_nothing(
    google: Harness, engine: Engine, core: Core
) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",)))
    google.run()
    assert activities(engine)[0].response_received is False
    assert customer(core, local(core), CustomerQuery(customer="acme")).quality.response_rate == 0.0

    google.gmail("casey", g.history("5004", ("m2", "t1")),
                 g.batch(g.message("m2", "t1", ANA, CASEY, "2026-11-21T15:00:00", reply_to_id="m1")))  # fmt: skip
    second = google.run()

    assert query(google.uris("casey", "gmail")[0])["startHistoryId"] == ["5000"]
    assert (second.new, second.updated, second.sources[0].mode) == (1, 1, "incremental")
    replied = activities(engine)[0]
    assert (replied.response_received, replied.response_time_hours) == (True, 30.0)
    assert customer(core, local(core), CustomerQuery(customer="acme")).quality.response_rate == 1.0
    assert google.cursor("casey", "gmail") == "5004"

    before = snapshot(engine)
    third = google.run()  # Gmail: no history since 5004

    assert snapshot(engine) == before
    assert (third.new, third.updated, third.unchanged, third.removed) == (0, 0, 0, 0)
    assert len(google.uris("casey", "gmail")) == 1  # one history.list, nothing fetched


def test_history_too_old_resyncs_a_bounded_window_without_duplicates(google: Harness, engine: Engine) -> None:
    first_sync(google, g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",)))
    google.run()
    google.gmail(
        "casey",
        g.not_found(),
        g.profile("7000", "casey@ourco.test"),
        g.listing(("m8", "t8"), ("m1", "t1")),
        g.batch(g.message("m8", "t8", "ben@acme.test", CASEY, "2026-11-23T10:00:00")),
    )

    report = google.run()

    assert report.sources[0].mode == "resync"
    assert (report.new, report.unchanged) == (1, 1)  # m1 was read before: not fetched, not stored twice
    assert [a.external_id for a in activities(engine)] == ["m1@mail.test", "m8@mail.test"]
    assert "m1" not in google.bodies("casey", "gmail")[3]
    # Bounded: from a day before the last success (2026-11-24 12:00 UTC), not the whole 180 days.
    assert query(google.uris("casey", "gmail")[2])["q"] == ["after:1795435200"]  # 2026-11-23T12:00:00Z
    assert google.cursor("casey", "gmail") == "7000"


def test_rate_limits_are_retried_with_backoff(google: Harness, engine: Engine) -> None:
    m1 = g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",))
    m2 = g.message("m2", "t2", "ben@acme.test", CASEY, "2026-11-21T09:00:00")
    google.gmail(
        "casey",
        g.rate_limited(),
        g.profile("5000", "casey@ourco.test"),
        g.listing(("m1", "t1"), ("m2", "t2")),
        g.batch(m1, ("m2", g.rate_limited())),  # one part of the batch is throttled
        g.batch(m2),
    )

    report = google.run()

    assert report.failed_sources == 0 and report.new == 2
    assert len(google.sleeps) == 2 and all(1 <= s <= 3 for s in google.sleeps)
    assert sorted(a.external_id or "" for a in activities(engine)) == ["m1@mail.test", "m2@mail.test"]


def test_a_thread_shared_by_two_mailboxes_counts_once_and_a_reply_seen_by_either_answers_it(
    google: Harness, engine: Engine
) -> None:
    outbound = dict(sender=CASEY, to=ANA, cc="dana@ourco.test", when="2026-11-20T09:00:00")
    first_sync(google, g.message("c1", "ct1", **outbound, message_id="shared1"))
    # Dana's copy has its own Gmail ids; only Dana got Ana's reply (Casey was dropped from it).
    google.gmail(
        "dana",
        g.profile("800", "dana@ourco.test"),
        g.listing(("d1", "dt1"), ("d2", "dt1")),
        g.batch(
            g.message("d1", "dt1", **outbound, message_id="shared1"),
            g.message("d2", "dt1", ANA, "dana@ourco.test", "2026-11-20T11:00:00", reply_to_id="shared1"),
        ),
    )

    report = google.run()

    stored = activities(engine)
    assert [a.external_id for a in stored] == ["shared1@mail.test", "d2@mail.test"]
    assert (stored[0].response_received, stored[0].response_time_hours) == (True, 2.0)
    by_csm = {r.csm_id: (r.new, r.unchanged) for r in report.sources if r.kind == "gmail"}
    assert by_csm == {"casey": (1, 0), "dana": (1, 1)}
