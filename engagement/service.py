"""The questions users ask, each answered from the store with the one scoring path.

`EngagementService` is what every edge (MCP tools, CLI, REST, dashboard, agents) calls. Each method
takes the `Caller` (who asks, as of which day) and keyword arguments, checks them, reads the store
in one snapshot, and answers with a model from `engagement.schemas`; views format it and never
recompute. Scores come from `self.scorer`; lookups from `engagement.lookup`; ranking from
`engagement.portfolio`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from engagement import lookup, portfolio, store
from engagement.answers import check_paging, metrics_fields, page, period_info, score_of
from engagement.caller import Caller
from engagement.db import read_scope, session_scope
from engagement.errors import ConflictError, EngagementError
from engagement.metrics import days_before
from engagement.models import ActivityCreate, Customer, Stakeholder
from engagement.periods import Granularity, Period, previous_period, recent_periods, resolve_period
from engagement.schemas import (
    ActivityPublic,
    CustomerEngagement,
    CustomerMatch,
    CustomerSearch,
    EngagementTrends,
    LoggedActivity,
    LowEngagementCustomers,
    PortfolioEngagement,
    StakeholderCoverage,
    TrendPoint,
    UncontactedCustomers,
    UncontactedRow,
)
from engagement.scope import resolve_scope
from engagement.scorer import Scorer
from engagement.scoring import CATEGORIES, ScoringConfig
from engagement.settings import Settings
from engagement.writer import NewActivity, key_held, write_activities

RECENT_ACTIVITIES = 10
LEVEL_ORDER = {"executive": 0, "champion": 1, "user": 2}


class EngagementService:
    """Answers engagement questions against one store."""

    def __init__(self, engine: Engine, settings: Settings, scoring: ScoringConfig) -> None:
        self.engine = engine
        self.settings = settings
        self.scoring = scoring
        self.scorer = Scorer(engine, scoring)

    def portfolio(
        self,
        caller: Caller,
        *,
        csm: str | None = None,
        period: str | None = None,
        segment: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        category: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> PortfolioEngagement:
        check_paging(limit, offset)
        resolved = resolve_period(period, caller.as_of)
        if category is not None and category not in CATEGORIES:
            raise EngagementError(f"category '{category}' is not valid; use one of {', '.join(CATEGORIES)}.")
        for name, bound in (("min_score", min_score), ("max_score", max_score)):
            if bound is not None and not 0 <= bound <= 100:
                raise EngagementError(f"{name} {bound} is out of range; scores run from 0 to 100.")
        with read_scope(self.engine) as session:
            scope = resolve_scope(session, caller, csm, segment)
            table = self.scorer.portfolio(session, resolved)
        keep = self.scorer.visible(table, scope)
        scores = table["engagement_score"]
        if min_score is not None:
            keep &= scores >= min_score
        if max_score is not None:
            keep &= scores <= max_score
        if category is not None:
            keep &= table["category"] == category
        ranked = portfolio.worst_first(table, keep)
        return PortfolioEngagement(
            period=period_info(resolved),
            previous_period=period_info(previous_period(resolved)),
            scope=scope.label,
            summary=portfolio.summary(table, ranked),
            customers=portfolio.rows(table, ranked[offset : offset + limit]),
            page=page(len(ranked), offset, limit),
        )

    def customer(self, caller: Caller, *, ref: str, period: str | None = None) -> CustomerEngagement:
        resolved = resolve_period(period, caller.as_of)
        with read_scope(self.engine) as session:
            customer = lookup.find_customer(session, ref, caller)
            row = self.scorer.customer(session, customer, resolved)
            end = resolved.end_exclusive_dt()
            history = lookup.participant_history(session, customer.id, end)
            known = lookup.stakeholders_of(session, customer.id)
            recent = lookup.recent_activities(session, customer.id, end, RECENT_ACTIVITIES)
        return CustomerEngagement(
            **metrics_fields(customer.id, row, resolved),
            name=customer.name,
            segment=customer.segment,
            csm_id=customer.csm_id,
            status=customer.status,
            arr=customer.arr,
            renewal_date=customer.renewal_date,
            health_score=customer.health_score,
            stakeholders=coverage(history, known, resolved),
            recent_activities=[ActivityPublic.model_validate(a, from_attributes=True) for a in recent],
        )

    def trends(self, caller: Caller, *, ref: str, periods: int = 6, granularity: Granularity = "month") -> EngagementTrends:
        if not 1 <= periods <= 24:
            raise EngagementError(f"periods {periods} is out of range; give 1 to 24.")
        windows = recent_periods(periods, granularity, caller.as_of)
        with read_scope(self.engine) as session:
            customer = lookup.find_customer(session, ref, caller)
            rows = [(window, self.scorer.customer(session, customer, window)) for window in windows]
        return EngagementTrends(
            customer_id=customer.id,
            name=customer.name,
            granularity=granularity,
            points=[
                TrendPoint(
                    period=window.label,
                    start=window.start,
                    end=window.end,
                    engagement_score=row["engagement_score"],
                    category=row["category"],
                    change_from_last_period=row["change"],
                    trend=row["trend"],
                    components=score_of(row).components,
                )
                for window, row in rows
            ],
        )

    def uncontacted(
        self,
        caller: Caller,
        *,
        days: int = 30,
        csm: str | None = None,
        segment: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> UncontactedCustomers:
        check_paging(limit, offset)
        if not 1 <= days <= 3650:
            raise EngagementError(f"days {days} is out of range; give 1 to 3650.")
        as_of = caller.as_of
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        with read_scope(self.engine) as session:
            scope = resolve_scope(session, caller, csm, segment)
            customers = store.customer_columns(session, scope)
            ids = customers["customer_id"]
            positions = {cid: i for i, cid in enumerate(ids.tolist())}
            dates, kinds = store.last_contacts(session, scope, positions, end)
        silent = days_before(as_of, dates)
        never = np.isnan(silent)
        # Never contacted first, then the longest silence, then by name (ids break ties).
        order = np.lexsort((ids.astype(str), customers["name"].astype(str), -np.nan_to_num(silent), ~never))
        chosen = order[(never | (np.nan_to_num(silent) >= days))[order]]
        rows = [
            UncontactedRow(
                customer_id=ids[p],
                name=customers["name"][p],
                segment=customers["segment"][p],
                csm_id=customers["csm_id"][p],
                last_contact=dates[p].item(),
                last_contact_type=kinds[p],
                days_since_last_contact=None if never[p] else int(silent[p]),
            )
            for p in chosen[offset : offset + limit]
        ]
        return UncontactedCustomers(
            as_of=as_of, days=days, scope=scope.label, customers=rows, page=page(len(chosen), offset, limit)
        )

    def low_engagement(
        self,
        caller: Caller,
        *,
        period: str | None = None,
        csm: str | None = None,
        segment: str | None = None,
        threshold: float = 60,
        limit: int = 20,
        offset: int = 0,
    ) -> LowEngagementCustomers:
        check_paging(limit, offset)
        if not 0 <= threshold <= 100:
            raise EngagementError(f"threshold {threshold} is out of range; scores run from 0 to 100.")
        resolved = resolve_period(period, caller.as_of)
        with read_scope(self.engine) as session:
            scope = resolve_scope(session, caller, csm, segment)
            table = self.scorer.portfolio(session, resolved)
        keep = self.scorer.visible(table, scope) & (table["engagement_score"] < threshold)
        ranked = portfolio.worst_first(table, keep)
        return LowEngagementCustomers(
            period=period_info(resolved),
            threshold=threshold,
            scope=scope.label,
            customers=portfolio.rows(table, ranked[offset : offset + limit]),
            page=page(len(ranked), offset, limit),
        )

    def search(self, caller: Caller, *, query: str, limit: int = 20, offset: int = 0) -> CustomerSearch:
        text = (query or "").strip()
        if not text:
            raise EngagementError("query is empty; give part of a customer's name or id.")
        if len(text) > lookup.MAX_NAME_LENGTH:
            raise EngagementError(f"query is {len(text)} characters long; at most {lookup.MAX_NAME_LENGTH}.")
        check_paging(limit, offset)
        with read_scope(self.engine) as session:
            total, found = lookup.search_customers(session, caller, text, offset, limit)
        return CustomerSearch(
            query=text,
            matches=[
                CustomerMatch(customer_id=c.id, **c.model_dump(include={"name", "segment", "csm_id", "status"}))
                for c in found
            ],
            page=page(total, offset, limit),
        )

    def log_activity(
        self, caller: Caller, *, customer: str, activity: Mapping[str, Any], default_source: str = "agent"
    ) -> LoggedActivity:
        """Validate and store one touchpoint, then answer with it and the customer's fresh score."""
        [logged] = self.log_activities(caller, rows=[(customer, activity)], default_source=default_source)
        return logged

    def log_activities(
        self, caller: Caller, *, rows: Sequence[tuple[str, Mapping[str, Any]]], default_source: str = "agent"
    ) -> list[LoggedActivity]:
        """Validate and store touchpoints, each a (customer reference, activity fields) row, in one write
        transaction: all of them, or none when any row is refused (a value, a customer the caller may not
        see, a key another customer's activity holds). Each (source, external_id) is stored once, for one
        customer: sent again for that customer it is a replay (`created` false, the stored activity).
        Every row is answered as log_activity answers, in order, with its customer's score after the
        whole write. The fields are a JSON caller's (a tool call, a REST body): held to their JSON types,
        with no coercion (checks' `strict`)."""
        if not rows:
            raise EngagementError("No activities to log; give at least one.")
        numbered = len(rows) > 1  # a refusal names the row when there are several
        checked = []
        for number, (_, fields) in enumerate(rows, 1):
            with _row(number if numbered else None):
                checked.append(ActivityCreate.checked(fields, as_of=caller.as_of, default_source=default_source, strict=True))
        period = resolve_period(None, caller.as_of)
        with session_scope(self.engine) as session:
            found: dict[str, Customer] = {}
            for number, (ref, _) in enumerate(rows, 1):
                if ref not in found:
                    with _row(number if numbered else None):
                        found[ref] = lookup.find_customer(session, ref, caller)
            targets = [found[ref] for ref, _ in rows]
            written = write_activities(session, [NewActivity(t.id, row) for t, row in zip(targets, checked, strict=True)])
            for number, (each, row) in enumerate(zip(written, checked, strict=True), 1):
                if each.conflict:  # raised inside the session: it rolls back the rows written before
                    with _row(number if numbered else None):
                        raise ConflictError(key_held(row.source, row.external_id or ""))
            stored = [(each.activity, each.created) for each in written]
            earliest: dict[str, tuple[Customer, dt.datetime]] = {}
            for target, row in zip(targets, checked, strict=True):
                if target.id not in earliest or row.date < earliest[target.id][1]:
                    earliest[target.id] = (target, row.date)
            created = sum(was_created for _, was_created in stored)
            rescored = self.scorer.rescore_written(session, list(earliest.values()), created, period)
        self.scorer.keep(rescored)
        scores, info = rescored.tables[period], period_info(period)
        assert scores is not None  # the answer's own period is always rescored
        return [
            LoggedActivity(created=was_created, activity=activity, score=score_of(scores.row(scores.positions[target.id])), period=info)
            for target, (activity, was_created) in zip(targets, stored, strict=True)
        ]


@contextmanager
def _row(number: int | None) -> Iterator[None]:
    """A refusal of the `number`th of several rows says which row it was."""
    try:
        yield
    except EngagementError as exc:
        if number is None:
            raise
        raise type(exc)(f"activity {number}: {exc}") from None


def coverage(history: Sequence[Any], known: Sequence[Stakeholder], period: Period) -> list[StakeholderCoverage]:
    """Touchpoints in the period and last contact (to the period's end) of each person we deal with:
    the known stakeholders, then anyone else who took part, most touched first."""
    touch: dict[str, int] = {}
    last: dict[str, dt.datetime] = {}
    for when, participants in history:
        for person in participants or []:
            key = person.strip().lower()
            if when >= period.start_dt():
                touch[key] = touch.get(key, 0) + 1
            last[key] = max(last.get(key, when), when)
    rows = [
        StakeholderCoverage(
            name=s.name,
            email=s.email,
            title=s.title,
            level=s.level,
            touchpoints=touch.get((s.email or "").lower(), 0),
            last_contact=last.get((s.email or "").lower()),
        )
        for s in known
    ]
    listed = {(s.email or "").lower() for s in known}
    rows += [
        StakeholderCoverage(name=None, email=p, title=None, level=None, touchpoints=touch.get(p, 0), last_contact=t)
        for p, t in last.items()
        if p not in listed
    ]
    return sorted(rows, key=lambda r: (-r.touchpoints, LEVEL_ORDER.get(r.level or "", 3), r.name or r.email or ""))
