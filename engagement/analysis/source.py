"""The analysis' only door into the core: the cached per-period scores, scopes, and the few lookups beside them.

`scores` is the one call into the scoring path; nothing in `engagement.analysis` scores or reads
activities another way. Everything the core names (scope resolution, customer lookup, stakeholder
coverage) is reached through here, so a change of the core's shape is a change of this file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from sqlmodel import Session, select

from engagement import store
from engagement import engine
from engagement.engine import EngagementService
from engagement.metrics import ScoredTable
from engagement.models import Csm, Customer
from engagement.periods import Period
from engagement.schemas import Page, PeriodInfo, StakeholderCoverage


def scores(service: EngagementService, session: Session, scope: store.Scope, period: Period) -> tuple[ScoredTable, np.ndarray]:
    """The whole store scored for `period` (cached, churned customers included) and a mask of `scope`'s customers."""
    return service.portfolio_scores(session, scope, period)


def as_of(service: EngagementService) -> dt.date:
    return service.as_of()


def period(service: EngagementService, token: str | None) -> Period:
    return service.period(token)


def scope(service: EngagementService, session: Session, csm: str | None, segment: str | None) -> store.Scope:
    """The customers of `csm` (a manager: the team; 'all': everyone), or of the configured user."""
    return store.resolve_scope(session, csm, service.settings.user, segment)


def everyone_visible(service: EngagementService, session: Session, segment: str | None = None) -> store.Scope:
    """Every customer the asker may see (the peers an account is compared with), churned ones left out."""
    return store.resolve_scope(session, "all", None, segment)


def with_churned(scope: store.Scope) -> store.Scope:
    return dataclasses.replace(scope, include_churned=True)


def customer(service: EngagementService, session: Session, ref: str) -> Customer:
    return store.find_customer(session, ref)


def stakeholders(service: EngagementService, session: Session, found: Customer, period: Period) -> list[StakeholderCoverage]:
    """Each known stakeholder's touchpoints in the period and last contact up to its end."""
    return EngagementService._coverage(session, found, period)


def csm_names(session: Session) -> dict[str, str]:
    return {csm_id: name for csm_id, name in session.exec(select(Csm.id, Csm.name)).all()}


def check_paging(limit: int, offset: int) -> None:
    engine.check_paging(limit, offset)


def period_info(period: Period) -> PeriodInfo:
    return engine.period_info(period)


def page(total: int, offset: int, limit: int) -> Page:
    return Page(total=total, offset=offset, limit=limit, has_more=offset + limit < total)
