"""A team on Google and Microsoft 365 at once, through the real MCP tools: one sync of both, a message that
reached both counted once, and engagement visibility in get_sync_status."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from sqlalchemy.engine import Engine

import tools
from engagement.caller import Caller
from engagement.capture.google.provider import GoogleProvider
from engagement.capture.sync import CaptureSync
from engagement.core import Core
from tests.google import google_fakes as g
from tests.google.conftest import Harness as GoogleHarness
from tests.microsoft import graph_fake as m
from tests.microsoft.conftest import ANA, CASEY, DANA, NOW, Harness, activities
from tests.tools.conftest import call
from tools import capture as capture_tools

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def both(google: GoogleHarness, microsoft: Harness, engine: Engine, core: Core) -> CaptureSync:
    """Casey on Google Workspace, Dana on Microsoft 365."""
    google.sync.credentials.remove("dana")
    microsoft.credentials.remove("casey")
    provider = GoogleProvider(google.sync.credentials, google.service, sleep=google.sleeps.append)
    return CaptureSync(engine, core.settings, [provider, microsoft.provider], now=lambda: NOW)


@pytest.fixture
async def client(core: Core, both: CaptureSync, google: GoogleHarness) -> AsyncIterator[Client]:
    server = MCPServer("test")
    local = lambda: Caller.local(core.settings)  # noqa: E731
    tools.customers.register(server, core, local)
    capture_tools.register(server, core, local, sync_of=lambda: both, google_of=lambda: google.sync)
    async with Client(server) as connected:
        yield connected


async def test_a_message_in_a_gmail_and_an_outlook_mailbox_counts_once_and_either_side_sees_the_reply(
    client: Client, google: GoogleHarness, microsoft: Harness, engine: Engine
) -> None:
    # Casey (Gmail) writes to Ana and Dana; Dana's Outlook Inbox holds the same message (same Message-ID).
    google.gmail("casey", g.profile("5000", CASEY), g.listing(("m1", "t1")),
                 g.batch(g.message("m1", "t1", CASEY, f"{ANA}, {DANA}", "2026-11-20T09:00:00", labels=("SENT",))))  # fmt: skip
    microsoft.fake.put(DANA, "inbox", m.message(1, CASEY, f"{ANA},{DANA}", "2026-11-20T09:00:00"))

    first = await call(client, "sync_email_and_calendar")

    assert (first["new"], first["unchanged"], first["failed_sources"]) == (1, 1, 0)
    [sent] = activities(engine)
    assert (sent.source, sent.external_id, sent.response_received) == ("gmail", "m1@mail.test", False)
    # Ana answers to both; only Dana's Outlook has been read since: the Gmail-stored email is answered.
    microsoft.fake.put(DANA, "inbox", m.message(2, ANA, f"{CASEY},{DANA}", "2026-11-20T11:00:00", reply_to=1))
    second = await call(client, "sync_email_and_calendar")
    assert (second["new"], second["updated"]) == (1, 1)
    assert [(a.source, a.response_received, a.response_time_hours) for a in activities(engine)] == [
        ("gmail", True, 2.0), ("outlook", None, None)
    ]
    # Google's own tool still answers for Google alone.
    google_only = await call(client, "sync_google_workspace")
    assert {s["kind"] for s in google_only["sources"]} == {"gmail", "calendar"}


async def test_get_sync_status_shows_engagement_visibility(client: Client, google: GoogleHarness, microsoft: Harness) -> None:
    google.gmail("casey", g.profile("5000", CASEY), g.listing(("m1", "t1"), ("m2", "t2")), g.batch(
        g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",)),
        g.message("m2", "t2", "zoe@initech.test", CASEY, "2026-11-21T09:00:00"),
    ))  # fmt: skip
    fake = microsoft.fake
    fake.put(DANA, "inbox", m.message(1, "zoe@initech.test", DANA, "2026-11-21T10:00:00", message_id="o1"))  # another initech one
    fake.put(DANA, "inbox", m.message(2, "lee@hooli.test", DANA, "2026-11-22T10:00:00", message_id="o2"))
    fake.put(DANA, "inbox", m.message(3, "ops@globex.test", DANA, "2026-11-22T11:00:00", message_id="o3"))
    fake.put(DANA, "inbox", m.message(4, "ops@globex.test", DANA, "2026-09-01T11:00:00", message_id="o4"))  # before the 30 days
    fake.put(DANA, "calendar", m.event(5, "Globex sync", "2026-11-23T10:00:00", "2026-11-23T11:00:00",
                                       [(DANA, "accepted"), ("ops@globex.test", "accepted")], organizer=DANA, owner=DANA))  # fmt: skip
    await call(client, "sync_email_and_calendar")
    fake.throttle(DANA, *[(503, "1")] * 15)  # Dana's next reads fail (5 tries each): failing sources
    await call(client, "sync_email_and_calendar")

    status = await call(client, "get_sync_status")

    seen = status["visibility"]
    assert (seen["csms_connected"], seen["csms_total"], seen["days"]) == (2, 2, 30)
    # Over 30 days: m1 (acme), m2 and Dana's m1 (initech), hooli, globex mail and meeting: 3 of 6 attributed.
    assert (seen["external"], seen["attributed"], seen["share"]) == (6, 3, 0.5)
    assert [(u["domain"], u["items"]) for u in seen["unattributed"]] == [("initech.test", 2), ("hooli.test", 1)]
    assert seen["unattributed"][0]["command"] == 'engagement domain add initech.test "CUSTOMER"'
    per_csm = {c["csm_id"]: (c["connected"], c["external"], c["attributed"]) for c in seen["csms"]}
    assert per_csm == {"casey": (["google"], 2, 1), "dana": (["microsoft"], 4, 2)}
    assert seen["failing"] == ["dana/outlook_calendar", "dana/outlook_inbox", "dana/outlook_sent"]
    assert seen["stale"] == []  # every source succeeded within the hour at least once (NOW is fixed)


def test_the_team_view_shows_engagement_visibility(both: CaptureSync, microsoft: Harness, core: Core,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from starlette.testclient import TestClient

    import web.pages
    from web.app import create_app

    microsoft.fake.put(DANA, "inbox", m.message(1, "zoe@initech.test", DANA, "2026-11-21T10:00:00"))
    microsoft.fake.put(DANA, "inbox", m.message(2, "ops@globex.test", DANA, "2026-11-22T10:00:00"))
    both.run()
    monkeypatch.setattr(web.pages, "capture_sync", lambda _service: both)

    with TestClient(create_app(core.settings, core=core), base_url="http://127.0.0.1:8000") as client:
        page = client.get("/team").text

    assert "2 of 2 CSMs have mail and calendar connected." in page
    assert '<span class="strong">50.0%</span> of the 2 external messages and meetings' in page
    assert '<td>Dana Lee</td><td class="wide">microsoft</td>' in page
    assert "initech.test: 1 · <code>engagement domain add initech.test &#34;CUSTOMER&#34;</code>" in page


async def test_a_message_gmail_stored_for_one_customer_is_not_linked_to_another_by_outlook(
    client: Client, google: GoogleHarness, microsoft: Harness, engine: Engine
) -> None:
    # Casey's Gmail stored m1 for Acme (Ana on it); Dana's Outlook holds the same Message-ID with Globex only.
    google.gmail("casey", g.profile("5000", CASEY), g.listing(("m1", "t1")),
                 g.batch(g.message("m1", "t1", CASEY, ANA, "2026-11-20T09:00:00", labels=("SENT",))))  # fmt: skip
    await call(client, "sync_email_and_calendar")
    microsoft.fake.put(DANA, "inbox", m.message(1, "ops@globex.test", DANA, "2026-11-20T09:00:00"))

    report = await call(client, "sync_email_and_calendar")

    assert (report["new"], report["skipped"]["key_conflict"]) == (0, 1)
    assert [(a.source, a.customer_id) for a in activities(engine)] == [("gmail", "acme")]
