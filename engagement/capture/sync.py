"""One sync of every connected CSM's mailboxes and calendars, over every provider; the CLI loop and the MCP
tools run `CaptureSync.run`, and `status` says how each source and the team's visibility stand.

A provider reads (engagement/capture/google, engagement/capture/microsoft); this runner writes. Each
source is read first, then written with its new cursor in one transaction, so a crash leaves the old
cursor and the next run stores everything once. A failing source is reported and the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from engagement.caller import Caller
from engagement.capture import store
from engagement.capture.attribution import Directory
from engagement.capture.items import Changes, MailChanges
from engagement.capture.records import Mailbox, write_events, write_mail
from engagement.capture.report import SkipCounts, SourceRun, SourceStatus, SyncReport, SyncStatus, Tally, unmatched_domains
from engagement.capture.visibility import STALE_AFTER, visibility
from engagement.db import session_scope
from engagement.errors import fault_of
from engagement.lookup import find_csm
from engagement.models import SyncSource, utcnow
from engagement.settings import Settings

logger = logging.getLogger(__name__)
RESYNC_MARGIN = dt.timedelta(days=1)
MAX_ERROR = 1000


class Connected(Protocol):
    """A CSM a provider can sync: whose mailbox, and how it authenticates (the provider's business)."""

    @property
    def csm_id(self) -> str: ...

    @property
    def email(self) -> str: ...


@dataclass(frozen=True)
class Window:
    """How far back a read goes: the sync window, and where a reread after an expired cursor starts (a day
    before the last success, within the window)."""

    start: dt.datetime
    resync_since: dt.datetime
    now: dt.datetime


@dataclass
class Plan:
    """One source to read: its row as it was before the read (cursor, account), and what is known of it."""

    account: Connected
    kind: str
    source: SyncSource
    window: Window
    known: set[str] = field(default_factory=set)  # message ids already read from this source


Read = tuple[Plan, Changes | Exception]


class Provider(Protocol):
    """Google, Microsoft 365, ...: who is connected, and reading their sources. A third provider is one more."""

    name: str  # "google" | "microsoft"
    kinds: tuple[str, ...]  # its sources per CSM, e.g. ("gmail", "calendar")
    mail_kinds: tuple[str, ...]  # those that are one mailbox's folders: a thread spans them
    mail_source: str  # the activity source its mail is stored as
    mail_label: str  # how logs name its messages
    connect_hint: str  # the command that connects a CSM

    def accounts(self, csms: list[tuple[str, str]]) -> list[Connected]: ...

    def read(self, plans: list[Plan]) -> Iterator[Read]:
        """Each plan's changes (or the exception that stopped its read), as each read ends."""
        ...

    def describe(self, error: Exception) -> str | None:
        """The provider's own words for its failures (HTTP status, refused credentials); None: not its own."""
        ...


def describe(provider: Provider, error: Exception, where: str) -> str:
    """What the report and the status table say of a failed source: the provider's words for its errors,
    else the one error mapping (a reference for our bugs, never SQL, a response body or credentials)."""
    known = provider.describe(error)
    if known is not None:
        return known[:MAX_ERROR]
    fault = fault_of(error, where)
    if fault.kind == "internal":
        return f"{fault.message} Nothing of this source was stored; the next sync reads it again from its last cursor."
    return fault.message[:MAX_ERROR]


class CaptureSync:
    """Syncs every CSM connected to any of `providers` (in order), one source at a time in the store."""

    def __init__(
        self, engine: Engine, settings: Settings, providers: list[Provider], now: Callable[[], dt.datetime] = utcnow,
        lock: threading.Lock | None = None,
    ) -> None:  # fmt: skip
        self.engine = engine
        self.settings = settings
        self.providers = providers
        self.now = now
        # The loop and a tool call in one process never sync the same source twice (one lock per store).
        self._lock = lock or threading.Lock()

    def _csms(self, csm: str | None, caller: Caller | None) -> list[tuple[str, str]]:
        """(id, email) of the CSM named, or of every CSM the caller may see (None: a local job sees all)."""
        everyone = Caller(as_of=self.now().date()) if caller is None else caller
        with session_scope(self.engine) as session:
            if csm is not None and csm.strip().lower() != "all":
                found = find_csm(session, csm, everyone)
                return [(found.id, found.email)]
            return [(c.id, c.email) for c in store.csms(session) if everyone.may_see(c.id)]

    def window(self, source: SyncSource) -> Window:
        now = self.now()
        start = now - dt.timedelta(days=self.settings.google_sync_window_days)
        resync = start if source.last_success_at is None else max(start, source.last_success_at - RESYNC_MARGIN)
        return Window(start, resync, now)

    def run(self, csm: str | None = None, caller: Caller | None = None) -> SyncReport:
        """Sync every connected CSM the caller may see (or one CSM by id or email) and report what changed."""
        started = self.now()
        csms = self._csms(csm, caller)
        runs: list[SourceRun] = []
        tallies: list[Tally] = []
        connected: set[str] = set()
        with self._lock:
            for provider in self.providers:
                accounts = provider.accounts(csms)
                connected |= {a.csm_id for a in accounts}
                plans: list[Plan] = []
                for account in accounts:
                    for kind in provider.kinds:
                        try:
                            plans.append(self._plan(provider, account, kind))
                        except Exception as error:
                            runs.append(self._failed(provider, account, kind, error))
                for plan, result in provider.read(plans):
                    run, tally = self._write(provider, plan, result)
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

    def _plan(self, provider: Provider, account: Connected, kind: str) -> Plan:
        source = store.ensure_source(self.engine, account.csm_id, kind, account.email)
        known: set[str] = set()
        if kind in provider.mail_kinds:
            with Session(self.engine) as session:
                known = store.known_message_ids(session, source)
        return Plan(account, kind, source, self.window(source), known)

    def _write(self, provider: Provider, plan: Plan, result: Changes | Exception) -> tuple[SourceRun, Tally]:
        account, kind = plan.account, plan.kind
        tally = Tally()
        try:
            if isinstance(result, Exception):
                raise result
            with session_scope(self.engine) as session:
                directory = Directory.load(session, self.settings.google_internal_domains)
                directory.add_internal(plan.source.account)
                row = session.get_one(SyncSource, plan.source.id)
                if isinstance(result, MailChanges):
                    if result.account:
                        directory.add_internal(result.account)
                    siblings = store.source_ids(session, account.csm_id, provider.mail_kinds)
                    mailbox = Mailbox(row, provider.mail_source, siblings, provider.mail_label)
                    write_mail(session, mailbox, directory, result.messages, self.now().date(), tally)
                    tally.unchanged += result.known_skipped  # listed again, already read: nothing to write
                else:
                    write_events(session, row, directory, result, tally)
                self._record_success(row, result.cursor, result.mode, tally)
            return tally.source_run(account.csm_id, account.email, kind, result.mode), tally
        except Exception as error:
            return self._failed(provider, account, kind, error), Tally()

    def _failed(self, provider: Provider, account: Connected, kind: str, error: Exception) -> SourceRun:
        message = describe(provider, error, f"sync {provider.name} {kind}")
        logger.warning("%s sync of %s failed: %s", kind, account.csm_id, message)
        self._record_failure(account, kind, message)
        return SourceRun(csm_id=account.csm_id, account=account.email, kind=kind, mode=None, ok=False, error=message)

    def _record_success(self, row: SyncSource, cursor: str, mode: str, tally: Tally) -> None:
        now = self.now()
        row.cursor, row.cursor_at, row.last_mode = cursor, now, mode
        row.last_run_at = row.last_success_at = now
        row.last_error, row.last_counts = None, tally.counts()

    def _record_failure(self, account: Connected, kind: str, message: str) -> None:
        try:
            store.record_failure(self.engine, account.csm_id, kind, self.now(), message[:MAX_ERROR])
        except Exception:
            logger.exception("Could not record the failed %s sync of %s", kind, account.csm_id)

    def status(self, caller: Caller | None = None) -> SyncStatus:
        """Per mailbox, folder and calendar of the CSMs the caller may see: last run, last success, cursor age,
        last counts and error; and how much of their external mail and meetings the store attributes."""
        now = self.now()
        csms = self._csms(None, caller)
        visible = {csm_id for csm_id, _ in csms}
        connected: dict[str, list[str]] = {}
        expected: set[tuple[str, str]] = set()
        for provider in self.providers:
            for account in provider.accounts(csms):
                connected.setdefault(account.csm_id, []).append(provider.name)
                expected |= {(account.csm_id, kind) for kind in provider.kinds}
        with session_scope(self.engine) as session:
            rows = [r for r in store.all_sources(session) if r.csm_id in visible]
            seen = visibility(session, now, csms, connected, rows, expected)
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
            if (r.csm_id, r.kind) in expected and (r.last_success_at is None or now - r.last_success_at > STALE_AFTER)
        ]
        return SyncStatus(
            now=now, sources=sources, not_connected=[c for c, _ in csms if c not in connected], stale=stale, visibility=seen
        )


def run_every(
    sync: CaptureSync, interval: dt.timedelta, stop: threading.Event, on_report: Callable[[SyncReport], None]
) -> None:
    """Sync now and then every `interval` until `stop` is set; a failed run is logged and retried next time."""
    while not stop.is_set():
        try:
            on_report(sync.run())
        except Exception:
            logger.exception("Sync run failed; retrying in %s", interval)
        stop.wait(interval.total_seconds())
