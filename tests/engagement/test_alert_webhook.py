"""Digests reach a Slack-compatible webhook: a real receiver on 127.0.0.1 that fails first, then takes them.

A failing or unreachable webhook never fails the check nor loses a digest: it stays in the outbox with
its attempts and the reason, and the next check (or `retry_outbox`) posts it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.alerts import notify
from engagement.alerts.check import run_check
from engagement.models import AlertOutbox
from engagement.scoring import load_scoring_config
from engagement.core import Core
from engagement.settings import Settings
from tests.engagement.test_alerts import DAY, everyone
from tests.factories import Factory


class Receiver:
    """An incoming-webhook stand-in: answers each POST with the next scripted status (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append({"status": receiver.statuses.pop(0) if receiver.statuses else 200,
                                        "type": self.headers["Content-Type"], "json": json.loads(body)})  # fmt: skip
                self.send_response(receiver.bodies[-1]["status"])
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([500])
    thread = threading.Thread(target=made.server.serve_forever, daemon=True)
    thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


def with_webhook(engine: Engine, settings: Settings, url: str) -> Core:
    return Core(engine, settings.model_copy(update={"alert_webhook": url}), load_scoring_config())


def outbox(engine: Engine) -> list[AlertOutbox]:
    with Session(engine) as session:
        return list(session.exec(select(AlertOutbox).order_by(AlertOutbox.id)).all())


def test_a_failing_webhook_is_retried_on_the_next_check_without_losing_the_digest(
    engine: Engine, settings: Settings, factory: Factory, receiver: Receiver
) -> None:
    factory.csm("ana", "Ana <Ops> & Co")
    factory.customer("c-1", "Smith & <Sons>", segment="SMB", csm_id="ana")
    core = with_webhook(engine, settings, receiver.url)

    first = run_check(core, everyone(DAY))  # the receiver answers 500

    [row] = outbox(engine)
    assert (first.digests_queued, first.digests_sent, first.digests_pending) == (1, 0, 1)
    assert (row.sent_at, row.attempts, row.last_error) == (None, 1, "HTTP 500 Internal Server Error")

    second = run_check(core, everyone(DAY))  # nothing new today, but the digest goes out

    [row] = outbox(engine)
    assert (second.digests_queued, second.digests_sent, second.digests_pending) == (0, 1, 0)
    assert row.sent_at is not None and row.attempts == 2
    assert [b["status"] for b in receiver.bodies] == [500, 200]
    assert receiver.bodies[0]["json"] == receiver.bodies[1]["json"] == {"text": row.digest["text"]}
    assert receiver.bodies[1]["type"] == "application/json"
    text = row.digest["text"]
    assert text.splitlines()[0] == f"*Engagement check {DAY}: 1 new alert for Ana &lt;Ops&gt; &amp; Co*"
    assert "*Smith &amp; &lt;Sons&gt;* (SMB), no contact: Never contacted; SMB accounts allow 30." in text
    assert "<" not in text and "& " not in text

    run_check(core, everyone(DAY))
    assert len(receiver.bodies) == 2  # sent once: never again


def test_an_unreachable_webhook_never_fails_the_check_and_the_digest_waits(
    engine: Engine, settings: Settings, factory: Factory, receiver: Receiver
) -> None:
    factory.customer("c-1", segment="SMB")
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()  # nothing listens there now

    report = run_check(with_webhook(engine, settings, url), everyone(DAY))

    assert (report.raised["no_contact"], report.digests_pending) == (1, 1)
    [row] = outbox(engine)
    assert row.attempts == 1 and row.last_error is not None and row.last_error.startswith("unreachable:")
    assert "secret" not in row.last_error  # the URL is the webhook's secret: never stored or logged


def test_retry_outbox_posts_what_is_waiting_without_running_a_check(
    engine: Engine, settings: Settings, factory: Factory, receiver: Receiver
) -> None:
    factory.customer("c-1", segment="SMB")
    core = with_webhook(engine, settings, receiver.url)
    run_check(core, everyone(DAY))  # 500

    assert notify.deliver(engine, receiver.url) == 1

    assert [b["status"] for b in receiver.bodies] == [500, 200]
    assert outbox(engine)[0].sent_at is not None


def test_without_a_webhook_digests_stay_in_the_outbox(engine: Engine, settings: Settings, factory: Factory) -> None:
    factory.customer("c-1", segment="SMB")
    report = run_check(Core(engine, settings, load_scoring_config()), everyone(DAY))
    assert (report.webhook, report.digests_queued, report.digests_pending) == (False, 1, 1)
    assert outbox(engine)[0].attempts == 0


def test_the_webhook_must_be_an_http_url() -> None:
    with pytest.raises(ValueError, match="ENGAGEMENT_ALERT_WEBHOOK must be an http:// or https:// URL"):
        Settings(alert_webhook="file:///etc/passwd")


def test_after_a_failed_post_the_other_digests_wait_for_the_next_check(
    engine: Engine, settings: Settings, factory: Factory, receiver: Receiver
) -> None:
    for csm in ("ana", "ben", "cy"):
        factory.csm(csm, csm.title())
        factory.customer(f"{csm}-1", segment="SMB", csm_id=csm)
    core = with_webhook(engine, settings, receiver.url)

    first = run_check(core, everyone(DAY))  # the first post fails: the other two are not tried
    assert (first.digests_queued, first.digests_sent, first.digests_pending) == (3, 0, 3)
    assert [row.attempts for row in outbox(engine)] == [1, 0, 0]

    second = run_check(core, everyone(DAY))

    assert (second.digests_sent, second.digests_pending) == (3, 0)
    assert [b["status"] for b in receiver.bodies] == [500, 200, 200, 200]


def test_a_digest_shows_bidi_controls_and_esc_from_names_instead_of_obeying_them(
    engine: Engine, settings: Settings, factory: Factory, receiver: Receiver
) -> None:
    factory.csm("ana", "Ana\u2066 Ops\u2069\x1b[2J")
    factory.customer("c-1", "Acme\u202eexe.TXT", segment="SMB", csm_id="ana")
    receiver.statuses.clear()  # the webhook takes it at once

    run_check(with_webhook(engine, settings, receiver.url), everyone(DAY))

    [body] = receiver.bodies
    text = body["json"]["text"]
    assert text.splitlines()[0] == f"*Engagement check {DAY}: 1 new alert for Ana\\u2066 Ops\\u2069\\x1b[2J*"
    assert "*Acme\\u202eexe.TXT* (SMB), no contact" in text
    assert not any(char in text for char in "\u202e\u2066\u2069\x1b")
