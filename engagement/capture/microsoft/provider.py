"""Microsoft 365 as a capture provider: each CSM's Inbox, Sent Items and calendar, read through Graph's delta
queries, several sources at once (each mailbox at most 4 requests in flight), written one after another."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from engagement.capture.items import Changes
from engagement.capture.microsoft.auth import Account, MicrosoftAuthError, MicrosoftCredentials, TokenSource
from engagement.capture.microsoft.calendar import CalendarReader
from engagement.capture.microsoft.graph import GraphClient, GraphError, Sleep
from engagement.capture.microsoft.mail import MailFolderReader
from engagement.capture.sync import Connected, Plan, Read

READERS = 8  # sources read at once across mailboxes; each mailbox's own limit is enforced by GraphClient


class MicrosoftProvider:
    """Reads Outlook mail folders and calendars (deltaLink cursors) of every connected CSM."""

    name = "microsoft"
    kinds: tuple[str, ...] = ("outlook_inbox", "outlook_sent", "outlook_calendar")
    mail_kinds: tuple[str, ...] = ("outlook_inbox", "outlook_sent")
    mail_source = "outlook"
    mail_label = "Outlook"
    connect_hint = "engagement auth microsoft --csm EMAIL"

    def __init__(self, credentials: MicrosoftCredentials, graph_url: str, sleep: Sleep | None = None) -> None:
        self.credentials = credentials
        self.graph_url = graph_url
        self.sleep = sleep
        self._graph: GraphClient | None = None
        self._graph_lock = threading.Lock()

    def graph(self) -> GraphClient:
        """One client for the process: its per-mailbox limit holds across runs and tool calls."""
        with self._graph_lock:
            if self._graph is None:
                self._graph = GraphClient(self.graph_url) if self.sleep is None else GraphClient(self.graph_url, sleep=self.sleep)
            return self._graph

    def accounts(self, csms: list[tuple[str, str]]) -> list[Connected]:
        return list(self.credentials.accounts(csms))

    def read(self, plans: list[Plan]) -> Iterator[Read]:
        if not plans:
            return
        tokens: dict[str, TokenSource] = {}
        for plan in plans:
            assert isinstance(plan.account, Account)
            tokens.setdefault(plan.account.csm_id, self.credentials.token_source(plan.account))
        with ThreadPoolExecutor(max_workers=min(READERS, len(plans)), thread_name_prefix="graph") as pool:
            futures: dict[Future[Changes], Plan] = {
                pool.submit(self._read, plan, tokens[plan.account.csm_id]): plan for plan in plans
            }
            for future in as_completed(futures):
                error = future.exception()
                if error is None:
                    yield futures[future], future.result()
                elif isinstance(error, Exception):
                    yield futures[future], error
                else:
                    raise error

    def _read(self, plan: Plan, token: TokenSource) -> Changes:
        assert isinstance(plan.account, Account)
        mailbox, key = plan.account.mailbox, plan.account.email.lower()  # Graph limits each mailbox, by address
        cursor = plan.source.cursor
        if plan.kind == "outlook_calendar":
            return CalendarReader(self.graph(), mailbox, key, token).read(cursor, plan.window.start, plan.window.now)
        reader = MailFolderReader(self.graph(), mailbox, key, token, plan.kind)
        return reader.read(cursor, plan.window.start, plan.window.resync_since, plan.known)

    def describe(self, error: Exception) -> str | None:
        if isinstance(error, MicrosoftAuthError):
            return str(error)
        if isinstance(error, GraphError):
            if error.status in (401, 403):
                return f"{error}: the sign-in or the app lacks Mail.ReadBasic / Calendars.Read for this mailbox."
            return str(error)
        return None
