"""Google Workspace as a capture provider: each CSM's Gmail and primary Calendar, through google-api-python-client.

`GoogleSync` is the runner with Google alone (the `sync_google_workspace` tool, and the tests' harness).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

from sqlalchemy.engine import Engine

from engagement.capture.google.api import ApiCaller, GoogleApiError, ServiceFactory, Sleep, default_service_factory
from engagement.capture.google.auth import Account, CredentialStore
from engagement.capture.google.calendar import CalendarReader
from engagement.capture.google.gmail import GmailReader
from engagement.capture.items import Changes
from engagement.capture.sync import CaptureSync, Connected, Plan, Read
from engagement.models import utcnow
from engagement.settings import Settings


class GoogleProvider:
    """Reads Gmail (historyId cursor) and Calendar (syncToken cursor) one source after another."""

    name = "google"
    kinds: tuple[str, ...] = ("gmail", "calendar")
    mail_kinds: tuple[str, ...] = ("gmail",)
    mail_source = "gmail"
    mail_label = "Gmail"
    connect_hint = "engagement auth google --csm EMAIL"

    def __init__(
        self, credentials: CredentialStore, service_factory: ServiceFactory = default_service_factory,
        sleep: Sleep | None = None,
    ) -> None:  # fmt: skip
        self.credentials = credentials
        self.service_factory = service_factory
        self.sleep = sleep

    def accounts(self, csms: list[tuple[str, str]]) -> list[Connected]:
        return list(self.credentials.accounts(csms))

    def _caller(self) -> ApiCaller:
        return ApiCaller() if self.sleep is None else ApiCaller(sleep=self.sleep)

    def read(self, plans: list[Plan]) -> Iterator[Read]:
        for plan in plans:  # lazily: each source is written before the next is read, as it always was
            try:
                yield plan, self._read(plan)
            except Exception as error:
                yield plan, error

    def _read(self, plan: Plan) -> Changes:
        assert isinstance(plan.account, Account)
        service = self.service_factory(plan.account, "gmail" if plan.kind == "gmail" else "calendar")
        cursor = plan.source.cursor
        if plan.kind == "gmail":
            # A reread after an expired historyId only needs what it would have shown: since the last success.
            since = plan.window.resync_since if cursor is not None else plan.window.start
            return GmailReader(service, self._caller()).read(cursor, since, plan.known)
        return CalendarReader(service, self._caller()).read(cursor, plan.window.start)

    def describe(self, error: Exception) -> str | None:
        if type(error).__name__ == "RefreshError":
            return "Google refused the stored credentials; run `engagement auth google` for this CSM again."
        if isinstance(error, GoogleApiError):
            return str(error)
        status = getattr(getattr(error, "resp", None), "status", None)
        if status is not None:
            return f"Google answered HTTP {status}"
        return None


class GoogleSync(CaptureSync):
    """The sync with Google alone. Services come from `service_factory(account, api)`."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        service_factory: ServiceFactory = default_service_factory,
        sleep: Sleep | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        credentials: CredentialStore | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.credentials = credentials or CredentialStore(settings.resolved_google_credentials_dir())
        super().__init__(engine, settings, [GoogleProvider(self.credentials, service_factory, sleep)], now, lock)
