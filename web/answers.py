"""The one place the pages ask the engine, always with the caller of the request.

`Answers` has the reshaped service's shape (issue 12: `caller` first, keyword-only arguments) over
today's `EngagementService`, whose scope is the settings' user: the caller's user stands in for it,
and a CSM or customer outside the caller's visible CSMs is "not found". Once the core takes a
`Caller`, the pages call the service directly and this module shrinks to `csms` and `team`.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlmodel import Session, select

from engagement import store
from engagement.db import read_scope
from engagement.errors import NotFoundError
from engagement.models import Csm
from engagement.schemas import CustomerEngagement, EngagementTrends, PortfolioEngagement, PortfolioSummary

if TYPE_CHECKING:
    from engagement.engine import EngagementService

TREND_MONTHS = 6


class CallerLike(Protocol):
    """What the pages read of `engagement.caller.Caller` (issue 12)."""

    @property
    def user(self) -> str | None: ...

    @property
    def visible_csms(self) -> frozenset[str] | None: ...


@dataclass(frozen=True)
class CsmChoice:
    """A CSM the caller may filter by; `leads` when others report to them (choosing them means their team)."""

    id: str
    name: str
    leads: bool


@dataclass(frozen=True)
class CsmSummary:
    csm: CsmChoice
    summary: PortfolioSummary


class Answers:
    def __init__(self, service: EngagementService) -> None:
        self.service = service

    def portfolio(
        self,
        caller: CallerLike,
        *,
        csm: str | None = None,
        period: str | None = None,
        segment: str | None = None,
        category: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> PortfolioEngagement:
        if csm:
            self._check_csm(caller, csm)
        return self.service.portfolio(
            csm or caller.user, period, segment, category=category, limit=limit, offset=offset
        )

    def customer(self, caller: CallerLike, *, ref: str, period: str | None = None) -> CustomerEngagement:
        self._check_customer(caller, ref)
        return self.service.customer(ref, period)

    def trends(self, caller: CallerLike, *, ref: str) -> EngagementTrends:
        self._check_customer(caller, ref)
        return self.service.trends(ref, TREND_MONTHS, "month")

    def csms(self, caller: CallerLike) -> list[CsmChoice]:
        """The CSMs the caller may see, by name."""
        with read_scope(self.service.engine) as session:
            rows = session.exec(select(Csm.id, Csm.name, Csm.manager_id).order_by(Csm.name, Csm.id)).all()
        managers = {manager for _, _, manager in rows if manager}
        visible = caller.visible_csms
        return [CsmChoice(id, name, id in managers) for id, name, _ in rows if visible is None or id in visible]

    def team(
        self, caller: CallerLike, *, period: str | None = None, segment: str | None = None
    ) -> tuple[PortfolioEngagement, list[CsmSummary]]:
        """The caller's whole portfolio and each visible CSM's own book (no team leads: their team is
        the others), each summary straight from the portfolio answer."""
        whole = self.portfolio(caller, period=period, segment=segment, limit=1)
        rows = [
            CsmSummary(choice, self.portfolio(caller, csm=choice.id, period=period, segment=segment, limit=1).summary)
            for choice in self.csms(caller)
            if not choice.leads
        ]
        return whole, rows

    def _check_customer(self, caller: CallerLike, ref: str) -> None:
        self._within(caller, lambda session: store.find_customer(session, ref).csm_id, "No such customer in your portfolio.")

    def _check_csm(self, caller: CallerLike, ref: str) -> None:
        self._within(caller, lambda session: store.find_csm(session, ref).id, f"No CSM '{ref}' in your portfolio.")

    def _within(self, caller: CallerLike, csm_of: Callable[[Session], str | None], missing: str) -> None:
        """Not found unless `csm_of` names a CSM the caller may see (never the engine's message: it may
        name close matches outside the caller's scope)."""
        if caller.visible_csms is None:
            return
        with read_scope(self.service.engine) as session:
            try:
                csm_id = csm_of(session)
            except NotFoundError:
                csm_id = None
        if csm_id not in caller.visible_csms:
            raise NotFoundError(missing)
