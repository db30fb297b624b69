"""A Google harness: real gmail v1 / calendar v3 clients on HttpMockSequence, per CSM, plus a small portfolio."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.discovery import build
from googleapiclient.http import HttpMockSequence
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.db import session_scope
from engagement.capture.google.auth import Account, CredentialStore
from engagement.capture.report import SyncReport
from engagement.capture.google.provider import GoogleSync
from engagement.models import Activity, CustomerDomain, SyncSource
from engagement.settings import Settings
from tests.factories import Factory
from tests.google import google_fakes as g

NOW = dt.datetime(2026, 11, 24, 12, 0)
TOKEN = {"token": "ya29.fake", "refresh_token": "1//fake-refresh", "client_id": "123.apps.googleusercontent.com",
         "client_secret": "fake-secret", "token_uri": "https://oauth2.googleapis.com/token",
         "expiry": "2026-11-24T13:00:00Z"}  # fmt: skip


class Harness:
    """Queue Google's answers per (CSM, api), run the sync, then inspect what was asked."""

    def __init__(self, engine: Engine, settings: Settings, credentials: CredentialStore) -> None:
        self.engine = engine
        self.queued: dict[tuple[str, str], list[g.Response]] = {}
        self.http: dict[tuple[str, str], HttpMockSequence] = {}
        self.sleeps: list[float] = []
        self.sync = GoogleSync(engine, settings, self.service, sleep=self.sleeps.append, now=lambda: NOW,
                               credentials=credentials)  # fmt: skip

    def gmail(self, csm_id: str, *responses: g.Response) -> None:
        self.queued[(csm_id, "gmail")] = list(responses)

    def calendar(self, csm_id: str, *responses: g.Response) -> None:
        self.queued[(csm_id, "calendar")] = list(responses)

    def cursor(self, csm_id: str, kind: str) -> str | None:
        with Session(self.engine) as session:
            row = session.exec(select(SyncSource).where(SyncSource.csm_id == csm_id, SyncSource.kind == kind)).first()
            return None if row is None else row.cursor

    def _quiet(self, account: Account, api: str) -> list[g.Response]:
        cursor = self.cursor(account.csm_id, api)
        if api == "gmail":
            return [g.history(cursor)] if cursor else [g.profile("100", account.email), g.listing()]
        return [g.events_page([], cursor or "sync-0")]

    def service(self, account: Account, api: str) -> Any:
        assert account.credentials() is not None  # the stored token loads, offline
        responses = self.queued.pop((account.csm_id, api), None)
        if responses is None:
            responses = self._quiet(account, api)
        http = HttpMockSequence(responses)
        self.http[(account.csm_id, api)] = http
        return build(api, "v1" if api == "gmail" else "v3", http=http, static_discovery=True)

    def run(self, csm: str | None = None) -> SyncReport:
        report = self.sync.run(csm)
        for key, left in self.queued.items():
            assert not left, f"{key}: {len(left)} queued answers were never asked for"
        self.queued.clear()
        return report

    def uris(self, csm_id: str, api: str) -> list[str]:
        return [uri for uri, *_ in self.http[(csm_id, api)].request_sequence]

    def bodies(self, csm_id: str, api: str) -> list[str]:
        return [str(body or "") for _uri, _method, body, _headers in self.http[(csm_id, api)].request_sequence]


@pytest.fixture
def credentials(tmp_path: Path) -> CredentialStore:
    return CredentialStore(tmp_path / "google")


@pytest.fixture
def portfolio(factory: Factory, engine: Engine) -> Factory:
    """Two CSMs at ourco.test; Acme (stakeholders at acme.test) and Globex (domain globex.test mapped)."""
    factory.csm("casey", "Casey Morgan", "casey@ourco.test")
    factory.csm("dana", "Dana Lee", "dana@ourco.test")
    factory.customer("acme", "Acme Corp", csm_id="casey", segment="Enterprise")
    factory.customer("globex", "Globex", csm_id="dana")
    factory.stakeholder("acme", "Ana Ruiz", "ana@acme.test", level="executive", title="CFO")
    factory.stakeholder("acme", "Ben Ode", "ben@acme.test", level="champion")
    factory.stakeholder("acme", "Al Private", "al.private@gmail.com", level="user")
    with session_scope(engine) as session:
        session.add(CustomerDomain(domain="globex.test", customer_id="globex"))
    return factory


@pytest.fixture
def google(engine: Engine, settings: Settings, credentials: CredentialStore, portfolio: Factory) -> Harness:
    credentials.save_authorized_user("casey", TOKEN)
    credentials.save_authorized_user("dana", TOKEN)
    return Harness(engine, settings, credentials)


def activities(engine: Engine, source: str | None = None) -> list[Activity]:
    with Session(engine) as session:
        query = select(Activity).order_by(Activity.date, Activity.id)
        if source is not None:
            query = query.where(Activity.source == source)
        return list(session.exec(query).all())


def snapshot(engine: Engine) -> list[dict[str, Any]]:
    return [a.model_dump() for a in activities(engine)]
