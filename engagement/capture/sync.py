"""One sync of every connected CSM's mailbox and calendar; the CLI loop and the MCP tool both run `GoogleSync.run`.

Each source is read from Google first, then written with its new cursor in one transaction, so a
crash leaves the old cursor and the next run stores everything once. A failing source is reported
and the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from engagement.caller import Caller
from engagement.db import session_scope
from engagement.capture.google.api import Api, ApiCaller, GoogleApiError, ServiceFactory, Sleep, default_service_factory
from engagement.capture.attribution import Directory
from engagement.capture.google.auth import Account, CredentialStore
from engagement.capture.google.calendar import CalendarReader
from engagement.capture.google.gmail import GmailReader
from engagement.capture.records import known_message_ids, write_events, write_mail
from engagement.capture.report import (
    SkipCounts,
    SourceRun,
    SourceStatus,
    SyncReport,
    SyncStatus,
    Tally,
    unmatched_domains,
)
from engagement.models import Csm, SyncSource, utcnow
from engagement.settings import Settings
from engagement.lookup import find_csm

logger = logging.getLogger(__name__)
KINDS: tuple[Api, ...] = ("gmail", "calendar")
RESYNC_MARGIN = dt.timedelta(days=1)
STALE_AFTER = dt.timedelta(hours=1)
MAX_ERROR = 1000


def describe(error: Exception) -> str:
    """A message for the report and the status table; never the credentials or a response body."""
    name = type(error).__name__
    if name == "RefreshError":
        return "Google refused the stored credentials; run `engagement auth google` for this CSM again."
    if isinstance(error, GoogleApiError):
        return str(error)
    status = getattr(getattr(error, "resp", None), "status", None)
    if status is not None:
        return f"Google answered HTTP {status}"
    return f"{name}: {error}"[:MAX_ERROR]


class GoogleSync:
    """Syncs every CSM with Google credentials. Services come from `service_factory(account, api)`."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        service_factory: ServiceFactory = default_service_factory,
        sleep: Sleep | None = None,
        now: Callable[[], dt.datetime] = utcnow,
        credentials: CredentialStore | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.service_factory = service_factory
        self.sleep = sleep
        self.now = now
        self.credentials = credentials or CredentialStore(settings.resolved_google_credentials_dir())
        self._lock = threading.Lock()  # the loop and a tool call in one process never sync the same source twice

    def _csms(self, csm: str | None, caller: Caller | None) -> list[tuple[str, str]]:
        """(id, email) of the CSM named, or of every CSM the caller may see (None: a local job sees all)."""
        everyone = Caller(as_of=self.now().date()) if caller is None else caller
        with session_scope(self.engine) as session:
            if csm is not None and csm.strip().lower() != "all":
                found = find_csm(session, csm, everyone)
                return [(found.id, found.email)]
            rows = session.exec(select(Csm).order_by(Csm.id)).all()
            return [(c.id, c.email) for c in rows if everyone.may_see(c.id)]

    def _caller(self) -> ApiCaller:
        return ApiCaller() if self.sleep is None else ApiCaller(sleep=self.sleep)

    def run(self, csm: str | None = None, caller: Caller | None = None) -> SyncReport:
        """Sync every connected CSM the caller may see (or one CSM by id or email) and report what changed."""
        started = self.now()
        csms = self._csms(csm, caller)
        accounts = self.credentials.accounts(csms)
        connected = {a.csm_id for a in accounts}
        runs: list[SourceRun] = []
        tallies: list[Tally] = []
        with self._lock:
            for account in accounts:
                for kind in KINDS:
                    run, tally = self._run_source(account, kind)
                    runs.append(run)
                    tallies.append(tally)
        ok = [r for r in runs if r.ok]
        external = sum(r.external for r in ok)
        skipped = {name: sum(getattr(r.skipped, name) for r in ok) for name in SkipCounts.model_fields}
        return SyncReport(
            started_at=started,
            finished_at=self.now(),
            new=sum(r.new for r in ok),
            updated=sum(r.updated for r in ok),
            unchanged=sum(r.unchanged for r in ok),
            removed=sum(r.removed for r in ok),
            skipped=SkipCounts(**skipped),
            coverage=round(sum(r.attributed for r in ok) / external, 4) if external else None,
            failed_sources=len(runs) - len(ok),
            sources=runs,
            unmatched=unmatched_domains(tallies),
            not_connected=[csm_id for csm_id, _ in csms if csm_id not in connected],
        )

    def _source(self, account: Account, kind: str) -> SyncSource:
        with session_scope(self.engine) as session:
            row = session.exec(select(SyncSource).where(SyncSource.csm_id == account.csm_id, SyncSource.kind == kind)).first()
            if row is None:
                row = SyncSource(csm_id=account.csm_id, kind=kind, account=account.email)
                session.add(row)
                session.flush()
            return row

    def _run_source(self, account: Account, kind: Api) -> tuple[SourceRun, Tally]:
        tally = Tally()
        try:
            source = self._source(account, kind)
            service = self.service_factory(account, kind)
            mode = self._sync_gmail(source, service, tally) if kind == "gmail" else self._sync_calendar(source, service, tally)
            return tally.source_run(account.csm_id, account.email, kind, mode), tally
        except Exception as error:
            message = describe(error)
            logger.warning("Google %s sync of %s failed: %s", kind, account.csm_id, message, exc_info=True)
            self._record_failure(account, kind, message)
            failed = SourceRun(csm_id=account.csm_id, account=account.email, kind=kind, mode=None, ok=False, error=message)
            return failed, Tally()

    def _since(self, source: SyncSource, cursor_expired: bool) -> dt.datetime:
        window_start = self.now() - dt.timedelta(days=self.settings.google_sync_window_days)
        if cursor_expired and source.last_success_at is not None:
            # A resync only needs what the expired cursor would have shown: since the last success, bounded.
            return max(window_start, source.last_success_at - RESYNC_MARGIN)
        return window_start

    def _sync_gmail(self, source: SyncSource, service: Any, tally: Tally) -> str:
        with Session(self.engine) as session:
            known = known_message_ids(session, source)
        reader = GmailReader(service, self._caller())
        changes = reader.read(source.cursor, self._since(source, source.cursor is not None), known)
        with session_scope(self.engine) as session:
            directory = Directory.load(session, self.settings.google_internal_domains)
            directory.add_internal(source.account)
            if changes.account:
                directory.add_internal(changes.account)
            row = session.get_one(SyncSource, source.id)
            write_mail(session, row, directory, changes.messages, self.now().date(), tally)
            tally.unchanged += changes.known_skipped  # listed again, already read: nothing to write
            self._record_success(row, changes.cursor, changes.mode, tally)
        return changes.mode

    def _sync_calendar(self, source: SyncSource, service: Any, tally: Tally) -> str:
        reader = CalendarReader(service, self._caller())
        since = self._since(source, False)
        changes = reader.read(source.cursor, since)
        with session_scope(self.engine) as session:
            directory = Directory.load(session, self.settings.google_internal_domains)
            directory.add_internal(source.account)
            row = session.get_one(SyncSource, source.id)
            write_events(session, row, directory, changes.events, changes.mode, since, tally)
            self._record_success(row, changes.cursor, changes.mode, tally)
        return changes.mode

    def _record_success(self, row: SyncSource, cursor: str, mode: str, tally: Tally) -> None:
        now = self.now()
        row.cursor, row.cursor_at, row.last_mode = cursor, now, mode
        row.last_run_at = row.last_success_at = now
        row.last_error, row.last_counts = None, tally.counts()

    def _record_failure(self, account: Account, kind: str, message: str) -> None:
        try:
            with session_scope(self.engine) as session:
                row = session.exec(
                    select(SyncSource).where(SyncSource.csm_id == account.csm_id, SyncSource.kind == kind)
                ).first()
                if row is not None:  # the cursor stays as it was: the next run rereads from it
                    row.last_run_at, row.last_error = self.now(), message[:MAX_ERROR]
                    session.add(row)
        except Exception:
            logger.exception("Could not record the failed %s sync of %s", kind, account.csm_id)

    def status(self, caller: Caller | None = None) -> SyncStatus:
        """Per mailbox and calendar of the CSMs the caller may see: last run, last success, cursor age,
        last counts and error."""
        now = self.now()
        csms = self._csms(None, caller)
        visible = {csm_id for csm_id, _ in csms}
        connected = {a.csm_id for a in self.credentials.accounts(csms)}
        with session_scope(self.engine) as session:
            rows = [
                r for r in session.exec(select(SyncSource).order_by(SyncSource.csm_id, SyncSource.kind)).all()
                if r.csm_id in visible
            ]
        sources = [
            SourceStatus(
                csm_id=r.csm_id,
                account=r.account,
                kind=r.kind,
                last_run_at=r.last_run_at,
                last_success_at=r.last_success_at,
                cursor_age_minutes=None if r.cursor_at is None else round((now - r.cursor_at).total_seconds() / 60, 1),
                last_mode=r.last_mode,
                last_counts=r.last_counts or {},
                last_error=r.last_error,
            )
            for r in rows
        ]
        stale = [
            f"{r.csm_id}/{r.kind}"
            for r in rows
            if r.csm_id in connected and (r.last_success_at is None or now - r.last_success_at > STALE_AFTER)
        ]
        return SyncStatus(
            now=now, sources=sources, not_connected=[c for c, _ in csms if c not in connected], stale=stale
        )


def run_every(
    sync: GoogleSync, interval: dt.timedelta, stop: threading.Event, on_report: Callable[[SyncReport], None]
) -> None:
    """Sync now and then every `interval` until `stop` is set; a failed run is logged and retried next time."""
    while not stop.is_set():
        try:
            on_report(sync.run())
        except Exception:
            logger.exception("Google sync run failed; retrying in %s", interval)
        stop.wait(interval.total_seconds())
