"""Who asks and as of which day: the per-request part of every question.

The stdio server and the command line build one per call from the settings (`Caller.local`), so a
server left running past midnight answers for the new day; the team server builds one from the
signed-in user, whose role limits which CSMs' customers they may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engagement.settings import Settings


@dataclass(frozen=True)
class Caller:
    as_of: dt.date
    """"Today" for this question: periods, recency and the future-date check resolve against it."""
    user: str | None = None
    """The CSM (id or email) "my accounts" means when a question names none; a manager means their team."""
    visible_csms: frozenset[str] | None = None
    """The only CSMs whose customers this caller may see; None: every customer. Anything outside is "not found"."""
    label: str = "local"
    """Who, for logs: a user id, never an address or a token."""
    scopes: frozenset[str] | None = None
    """What an app connected by OAuth may do (engagement:read, engagement:write); None: everything the role
    allows (the local user, an API token, the dashboard)."""

    @classmethod
    def local(cls, settings: Settings) -> Caller:
        """The person at this machine: the configured user and as-of date, free to look at every customer."""
        return cls(as_of=settings.today(), user=settings.user)

    def may(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def may_see(self, csm_id: str | None) -> bool:
        return self.visible_csms is None or csm_id in self.visible_csms
