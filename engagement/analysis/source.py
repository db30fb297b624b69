"""The analysis' only door into the core: the cached per-period scores, scopes, and the few lookups beside them.

`scores` is the one call into the scoring path (`core.scorer`); nothing in `engagement.analysis`
scores or reads activities another way. Everything else the core names (scope resolution, customer
lookup, stakeholder coverage) is reached through here too, so a change of the core's shape is a
change of this file.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sqlmodel import Session

from engagement import lookup
from engagement.caller import Caller
from engagement.core import Core
from engagement.customer import coverage
from engagement.metrics import ScoredTable
from engagement.models import Customer
from engagement.periods import Period, resolve_period
from engagement.schemas import StakeholderCoverage
from engagement.scope import Scope, resolve_scope


def scores(core: Core, session: Session, scope: Scope, period: Period) -> tuple[ScoredTable, np.ndarray]:
    """The whole store scored for `period` (cached, churned customers included) and a mask of `scope`'s customers."""
    table = core.scorer.portfolio(session, period)
    return table, visible(core, table, scope)


def visible(core: Core, table: ScoredTable, scope: Scope) -> np.ndarray:
    """A mask of `scope`'s customers in a table `scores` read: a second scope over the same period, read once."""
    return core.scorer.visible(table, scope)


def period(caller: Caller, token: str | None) -> Period:
    return resolve_period(token, caller.as_of)


def scope(session: Session, caller: Caller, csm: str | None, segment: str | None) -> Scope:
    """The customers of `csm` (a manager: the team; 'all': all the caller may see), or of the caller's user."""
    return resolve_scope(session, caller, csm, segment)


def everyone_visible(session: Session, caller: Caller, segment: str | None = None) -> Scope:
    """Every customer the caller may see (the peers an account is compared with), churned ones left out."""
    return resolve_scope(session, caller, "all", segment)


def with_churned(scope: Scope) -> Scope:
    return dataclasses.replace(scope, include_churned=True)


def customer(session: Session, caller: Caller, ref: str) -> Customer:
    return lookup.find_customer(session, ref, caller)


def stakeholders(session: Session, found: Customer, period: Period) -> list[StakeholderCoverage]:
    """Each known stakeholder's touchpoints in the period and last contact up to its end (as the detail view)."""
    history = lookup.participant_history(session, found.id, period.end_exclusive_dt())
    return coverage(history, lookup.stakeholders_of(session, found.id), period)


csm_names = lookup.csm_names
