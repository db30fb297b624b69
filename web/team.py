"""What the pages ask beyond the service's questions: the CSMs a caller may filter by, and the team
view's rows, each CSM's summary straight from the portfolio answer (no second scoring path)."""

from __future__ import annotations

from dataclasses import dataclass

from engagement import lookup
from engagement.caller import Caller
from engagement.db import read_scope
from engagement.schemas import PortfolioEngagement, PortfolioSummary
from engagement.service import EngagementService


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


def csm_choices(service: EngagementService, caller: Caller) -> list[CsmChoice]:
    with read_scope(service.engine) as session:
        return [CsmChoice(*row) for row in lookup.csms_of(session, caller)]


def team_rows(
    service: EngagementService, caller: Caller, choices: list[CsmChoice], *, period: str | None, segment: str | None
) -> tuple[PortfolioEngagement, list[CsmSummary]]:
    """The caller's whole portfolio, and each CSM's own book (team leads left out: their team is the others)."""
    whole = service.portfolio(caller, period=period, segment=segment, limit=1)
    rows = [
        CsmSummary(choice, service.portfolio(caller, csm=choice.id, period=period, segment=segment, limit=1).summary)
        for choice in choices
        if not choice.leads
    ]
    return whole, rows
