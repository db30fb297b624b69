"""Microsoft 365 capture timings: a first sync of a 180-day window, a quiet incremental sync and one with a
little new mail, through msal and httpx against the fake Graph and identity platform on loopback
(tests/microsoft/graph_fake.py), into a fresh SQLite store."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path
from typing import Any

from engagement.app import create_core
from engagement.capture.microsoft.auth import Client, MicrosoftCredentials, sign_in_with_device_code
from engagement.capture.microsoft.provider import MicrosoftProvider
from engagement.capture.sync import CaptureSync
from engagement.db import session_scope
from engagement.models import Csm, Customer, CustomerDomain
from engagement.settings import Settings
from tests.microsoft import graph_fake as fake_graph

NOW = dt.datetime(2026, 11, 24, 12, 0)
WINDOW_DAYS = 180


def _populate(fake: fake_graph.FakeMicrosoft, address: str, messages: int, events: int, customers: int, rng: random.Random,
              start: int) -> None:  # fmt: skip
    """`messages` over the window: customers' mail in and out, some internal, some automated; and meetings."""
    for n in range(start, start + messages):
        when = (NOW - dt.timedelta(minutes=rng.randrange(WINDOW_DAYS * 24 * 60))).isoformat()
        other = f"p{rng.randrange(20)}@c{rng.randrange(customers)}.example"
        roll = rng.random()
        if roll < 0.45:
            fake.put(address, "inbox", fake_graph.message(n, other, address, when, message_id=f"b{n}"))
        elif roll < 0.85:
            fake.put(address, "sentitems", fake_graph.message(n, address, other, when, message_id=f"b{n}"))
        elif roll < 0.95:
            fake.put(address, "inbox", fake_graph.message(n, "colleague@ourco.example", address, when, message_id=f"b{n}"))
        else:
            fake.put(address, "inbox", fake_graph.message(n, other, address, when, message_id=f"b{n}",
                                                          headers={"Auto-Submitted": "auto-generated"}))  # fmt: skip
    for n in range(start, start + events):
        begin = NOW - dt.timedelta(hours=rng.randrange(WINDOW_DAYS * 24))
        guest = f"p{rng.randrange(20)}@c{rng.randrange(customers)}.example"
        fake.put(address, "calendar", fake_graph.event(n, "Review", begin.isoformat(), (begin + dt.timedelta(minutes=30)).isoformat(),
                                                       [(address, "accepted"), (guest, "accepted")], organizer=address, owner=address))  # fmt: skip


def capture_timings(folder: Path, mailboxes: int = 4, messages: int = 5_000, events: int = 400, customers: int = 200) -> dict[str, Any]:
    """Seconds and messages per second of a first (180-day) sync and of incremental ones, all mailboxes at once."""
    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    fake = fake_graph.FakeMicrosoft(folder)
    os.environ["REQUESTS_CA_BUNDLE"] = fake.cert  # msal verifies the fake's certificate
    try:
        settings = Settings(database_url=f"sqlite:///{folder / 'capture.db'}", as_of=NOW.date(),
                            google_credentials_dir=folder / "google-none")  # fmt: skip
        core = create_core(settings)
        addresses = [f"csm{i}@ourco.example" for i in range(mailboxes)]
        with session_scope(core.engine) as session:
            for i, address in enumerate(addresses):
                session.add(Csm(id=f"csm{i}", name=f"CSM {i}", email=address))
            session.flush()
            for c in range(customers):
                session.add(Customer(id=f"c{c}", name=f"Customer {c}", segment="SMB", csm_id=f"csm{c % mailboxes}"))
            session.flush()
            for c in range(customers):
                session.add(CustomerDomain(domain=f"c{c}.example", customer_id=f"c{c}"))
        rng = random.Random(7)
        for i, address in enumerate(addresses):
            _populate(fake, address, messages, events, customers, rng, start=i * 1_000_000)
        credentials = MicrosoftCredentials(folder / "microsoft")
        client = Client(fake_graph.TENANT, fake_graph.CLIENT_ID, fake.authority_host)
        for i, address in enumerate(addresses):
            fake.approve(address)
            username, cache = sign_in_with_device_code(client, lambda _message: None)
            credentials.save_user(f"csm{i}", client, username, cache)
        sync = CaptureSync(core.engine, settings, [MicrosoftProvider(credentials, fake.graph_url)], now=lambda: NOW)

        def timed() -> tuple[float, Any]:
            start = time.perf_counter()
            report = sync.run()
            return time.perf_counter() - start, report

        first, report = timed()
        read = mailboxes * messages
        quiet, _ = timed()
        for i, address in enumerate(addresses):
            _populate(fake, address, 50, 5, customers, rng, start=i * 1_000_000 + 900_000)
        busy, busy_report = timed()
        return {
            "capture_mailboxes": mailboxes,
            "capture_messages": read,
            "capture_events": mailboxes * events,
            "capture_first_s": first,
            "capture_first_messages_per_s": read / first,
            "capture_first_new": report.new,
            "capture_first_failed": report.failed_sources,
            "capture_quiet_s": quiet,
            "capture_incremental_s": busy,
            "capture_incremental_messages_per_s": mailboxes * 50 / busy,
            "capture_incremental_new": busy_report.new,
            "capture_graph_requests": len(fake.requests),
        }
    finally:
        fake.close()
        if previous is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous
