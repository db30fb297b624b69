"""A Microsoft 365 harness: the fake identity platform and Graph (graph_fake.py), real msal and httpx clients,
CSMs signed in by device code or through the app, and the same small portfolio as the Google tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.capture.microsoft.auth import Client, MicrosoftCredentials, sign_in_with_device_code
from engagement.capture.microsoft.provider import MicrosoftProvider
from engagement.capture.report import SyncReport
from engagement.capture.sync import CaptureSync
from engagement.models import SyncSource
from engagement.settings import Settings
from tests.factories import Factory
from tests.google.conftest import activities, credentials, google, portfolio  # noqa: F401 (the same two CSMs, Acme and Globex)
from tests.microsoft.graph_fake import APP_SECRET, CLIENT_ID, TENANT, FakeMicrosoft

NOW = dt.datetime(2026, 11, 24, 12, 0)
CASEY, DANA, ANA, BEN = "casey@ourco.test", "dana@ourco.test", "ana@acme.test", "ben@acme.test"


class Harness:
    """Sign CSMs in, change their mailboxes in the fake, run the sync, inspect what it stored and asked."""

    def __init__(self, engine: Engine, settings: Settings, fake: FakeMicrosoft, credentials: MicrosoftCredentials) -> None:
        self.engine = engine
        self.fake = fake
        self.credentials = credentials
        self.client = Client(TENANT, CLIENT_ID, fake.authority_host)
        self.sleeps: list[float] = []
        self.provider = MicrosoftProvider(credentials, fake.graph_url, sleep=self.sleeps.append)
        self.sync = CaptureSync(engine, settings, [self.provider], now=lambda: NOW)

    def sign_in(self, csm_id: str, address: str) -> list[str]:
        """The device-code sign-in as `auth microsoft --csm` runs it; answers what the CSM was shown."""
        shown: list[str] = []
        self.fake.approve(address)
        username, cache = sign_in_with_device_code(self.client, shown.append)
        self.credentials.save_user(csm_id, self.client, username, cache)
        return shown

    def connect_app(self) -> None:
        self.credentials.save_app(self.client, APP_SECRET)

    def run(self, csm: str | None = None) -> SyncReport:
        return self.sync.run(csm)

    def cursor(self, csm_id: str, kind: str) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(select(SyncSource).where(SyncSource.csm_id == csm_id, SyncSource.kind == kind)).first()
            return None if row is None else row.cursor

    def set_cursor(self, csm_id: str, kind: str, cursor: str | None) -> None:
        with Session(self.engine) as session:
            row = session.exec(select(SyncSource).where(SyncSource.csm_id == csm_id, SyncSource.kind == kind)).one()
            row.cursor = cursor
            session.add(row)
            session.commit()


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMicrosoft]:
    server = FakeMicrosoft(tmp_path)
    # msal (through requests) verifies the fake's certificate against this CA file: TLS stays on.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cert)
    yield server
    server.close()


@pytest.fixture
def microsoft(engine: Engine, settings: Settings, fake: FakeMicrosoft, tmp_path: Path, portfolio: Factory) -> Harness:  # noqa: F811
    harness = Harness(engine, settings, fake, MicrosoftCredentials(tmp_path / "microsoft"))
    harness.sign_in("casey", CASEY)
    harness.sign_in("dana", DANA)
    return harness
