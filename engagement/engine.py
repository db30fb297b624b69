"""The questions users ask, answered from the store with the one scoring computation.

`EngagementService` is what every edge (MCP tools, CLI, later REST) calls. Each answer is a model
from `engagement.schemas`; views format it and never recompute.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, or_, select

from engagement import store
from engagement.activities import validate_activity
from engagement.cache import ScoreCache
from engagement.db import read_scope, session_scope
from engagement.freshness import current_version, own_bumps
from engagement.errors import EngagementError
from engagement.metrics import ScoredTable, days_before, score_table
from engagement.models import Activity, Customer, Stakeholder
from engagement.periods import Period, previous_period, recent_periods, resolve_period
from engagement.schemas import (
    ActivityCounts,
    ActivityPublic,
    CategoryCount,
    Components,
    CustomerEngagement,
    CustomerMatch,
    CustomerSearch,
    EngagementTrends,
    LastContact,
    LoggedActivity,
    LowEngagementCustomers,
    Page,
    PeriodInfo,
    PortfolioEngagement,
    PortfolioRow,
    PortfolioSummary,
    Quality,
    Score,
    StakeholderCoverage,
    TrendPoint,
    UncontactedCustomers,
    UncontactedRow,
)
from engagement.scoring import CATEGORIES, COMPONENTS, ScoringConfig, round1, round1_array, trend_array
from engagement.settings import Settings

MAX_LIMIT = 500
RECENT_ACTIVITIES = 10
PORTFOLIO_COLUMNS = (
    "name", "segment", "csm_id", "engagement_score", "category", "trend", "change", "days_ago", "responses_known",
    "response_rate", "meetings_held", "executive_touchpoints", "stakeholders_engaged", *COMPONENTS,
)


def _none(value: Any) -> Any:
    """Missing values (NaN, None) as None, for the answer models."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def period_info(period: Period) -> PeriodInfo:
    return PeriodInfo(label=period.label, start=period.start, end=period.end)


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise EngagementError(f"limit {limit} is out of range; give 1 to {MAX_LIMIT}.")
    if offset < 0:
        raise EngagementError(f"offset {offset} is negative; give 0 or more.")


def attention_reason(row: dict[str, Any]) -> str | None:
    """Why a customer needs attention (docs/rules.md): low or at-risk, declining, or silent 30+ days."""
    days = _none(row["days_ago"])
    declining = row["trend"] == "declining"
    if row["category"] in ("high", "healthy") and not declining and (days is not None and days < 30):
        return None
    if days is None:
        return "Never contacted"
    if days >= 30:
        return f"No contact for {int(days)} days"
    if declining:
        return f"Score down {abs(row['change']):.1f} vs previous period"
    if row["responses_known"] > 0 and row["response_rate"] < 0.5:
        return f"Response rate {round(row['response_rate'] * 100)}%"
    if row["meetings_held"] == 0:
        return "No meeting this period"
    if row["executive_touchpoints"] == 0:
        return "No executive touchpoint"
    if row["stakeholders_engaged"] <= 1:
        return "Single-threaded: one contact"
    weakest = min(COMPONENTS, key=lambda name: row[name])
    return f"Weakest part: {weakest.replace('_', ' ')} ({row[weakest]:.0f}/100)"


class EngagementService:
    """Answers engagement questions against one store, as of one date."""

    def __init__(self, engine: Engine, settings: Settings, scoring: ScoringConfig) -> None:
        self.engine = engine
        self.settings = settings
        self.scoring = scoring
        self.cache = ScoreCache()

    # -- the one computation -------------------------------------------------------------------
    def _period_scores(
        self, session: Session, scope: store.Scope, ids: np.ndarray, period: Period, exact_last_contact: bool = True
    ) -> ScoredTable:
        """Scores for `period`; without `exact_last_contact` the last contact is only its day (enough for
        the score: see store.period_inputs), for a previous period whose scores alone are kept."""
        positions = {cid: i for i, cid in enumerate(ids.tolist())}
        inputs = store.period_inputs(session, scope, positions, period, exact_last_contact)
        return score_table(ids, inputs, period, self.scoring.weights)

    def score_scope(
        self,
        session: Session,
        scope: store.Scope,
        period: Period,
        customers: dict[str, np.ndarray] | None = None,
        previous_scores: np.ndarray | None = None,
    ) -> ScoredTable:
        """Every scope customer's metrics and score for `period`, with the previous period's and the trend.

        `customers` (store.customer_columns) and `previous_scores` are read from the store when not given.
        """
        customers = dict(customers or store.customer_columns(session, scope))
        ids = customers.pop("customer_id")
        table = self._period_scores(session, scope, ids, period)
        if previous_scores is None:
            previous = self._period_scores(session, scope, ids, previous_period(period), exact_last_contact=False)
            previous_scores = previous["engagement_score"]
        change = round1_array(table["engagement_score"] - previous_scores)
        table.columns.update(
            customers,
            previous_score=previous_scores,
            change=change,
            trend=trend_array(change),
            churned=customers["status"] == "churned",
        )
        return table

    def portfolio_scores(self, session: Session, scope: store.Scope, period: Period) -> tuple[ScoredTable, np.ndarray]:
        """The cached whole-portfolio scores for `period`, and a mask of the scope's customers in it."""
        everyone = store.Scope("everyone", include_churned=True)
        table = self.cache.scored(session, period, lambda: self.score_scope(session, everyone, period))
        keep = np.ones(len(table), dtype=bool)
        if not scope.include_churned:
            keep &= ~table["churned"]
        if scope.csm_ids is not None:
            keep &= table.mask_in("csm_id", scope.csm_ids)
        if scope.segment is not None:
            keep &= table.mask_in("segment", [scope.segment])
        return table, keep

    def as_of(self) -> dt.date:
        return self.settings.today()

    def period(self, token: str | None) -> Period:
        return resolve_period(token, self.as_of())

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _score(row: dict[str, Any]) -> Score:
        return Score(
            engagement_score=row["engagement_score"],
            category=row["category"],
            trend=row["trend"],
            change_from_last_period=row["change"],
            previous_score=row["previous_score"],
            components=Components(**{name: round(float(row[name]), 4) for name in COMPONENTS}),
        )

    def _metrics_fields(self, customer_id: str, row: dict[str, Any], period: Period) -> dict[str, Any]:
        last_date = row["last_contact_date"]
        return {
            "customer_id": customer_id,
            "period": period.label,
            "period_start": period.start,
            "period_end": period.end,
            "previous_period": period_info(previous_period(period)),
            "activities": ActivityCounts(
                **{name: int(row[name]) for name in ActivityCounts.model_fields if name != "meeting_minutes"},
                meeting_minutes=float(row["meeting_minutes"]),
            ),
            "quality": Quality(
                response_rate=round(float(row["response_rate"]), 4),
                avg_response_time_hours=_none(row["avg_response_time_hours"]),
                stakeholders_engaged=int(row["stakeholders_engaged"]),
                executive_touchpoints=int(row["executive_touchpoints"]),
            ),
            "score": self._score(row),
            "last_contact": None
            if last_date is None
            else LastContact(date=last_date, type=row["last_contact_type"], days_ago=int(row["days_ago"])),
        }

    @staticmethod
    def _portfolio_rows(table: ScoredTable, positions: np.ndarray) -> list[PortfolioRow]:
        rows = table.rows(positions, PORTFOLIO_COLUMNS)
        return [EngagementService._portfolio_row(cid, row) for cid, row in rows]

    @staticmethod
    def _portfolio_row(customer_id: str, row: dict[str, Any]) -> PortfolioRow:
        days = _none(row["days_ago"])
        return PortfolioRow(
            customer_id=customer_id,
            name=row["name"],
            segment=row["segment"],
            csm_id=_none(row["csm_id"]),
            engagement_score=row["engagement_score"],
            category=row["category"],
            trend=row["trend"],
            change_from_last_period=row["change"],
            days_since_last_contact=None if days is None else int(days),
            attention_reason=attention_reason(row),
        )

    @staticmethod
    def _worst_first(table: ScoredTable, keep: np.ndarray) -> np.ndarray:
        """Positions of the kept customers, lowest score first, then by name."""
        order = table.worst_first()
        return order[keep[order]]

    def portfolio(
        self,
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
        resolved = self.period(period)
        if category is not None and category not in CATEGORIES:
            raise EngagementError(f"category '{category}' is not valid; use one of {', '.join(CATEGORIES)}.")
        for name, bound in (("min_score", min_score), ("max_score", max_score)):
            if bound is not None and not 0 <= bound <= 100:
                raise EngagementError(f"{name} {bound} is out of range; scores run from 0 to 100.")
        with read_scope(self.engine) as session:
            scope = store.resolve_scope(session, csm, self.settings.user, segment)
            table, keep = self.portfolio_scores(session, scope, resolved)
        scores = table["engagement_score"]
        if min_score is not None:
            keep &= scores >= min_score
        if max_score is not None:
            keep &= scores <= max_score
        if category is not None:
            keep &= table["category"] == category
        ranked = self._worst_first(table, keep)
        return PortfolioEngagement(
            period=period_info(resolved),
            previous_period=period_info(previous_period(resolved)),
            scope=scope.label,
            summary=self._summary(table, ranked),
            customers=self._portfolio_rows(table, ranked[offset : offset + limit]),
            page=Page(total=len(ranked), offset=offset, limit=limit, has_more=offset + limit < len(ranked)),
        )

    @staticmethod
    def _summary(table: ScoredTable, positions: np.ndarray) -> PortfolioSummary:
        count = len(positions)
        average = round1(float(table["engagement_score"][positions].mean())) if count else None
        previous = round1(float(table["previous_score"][positions].mean())) if count else None
        codes, lookup = table.codes("category")
        tally = np.bincount(codes[positions], minlength=len(lookup))
        counts = {name: int(tally[lookup[name]]) if name in lookup else 0 for name in CATEGORIES}
        return PortfolioSummary(
            customer_count=count,
            average_score=average,
            previous_average_score=previous,
            average_change=None if average is None or previous is None else round1(average - previous),
            categories=[
                CategoryCount(category=name, count=counts[name], share=round1(counts[name] * 100 / count) if count else 0.0)
                for name in CATEGORIES
            ],
        )

    def customer(self, ref: str, period: str | None = None) -> CustomerEngagement:
        resolved = self.period(period)
        with read_scope(self.engine) as session:
            customer = store.find_customer(session, ref)
            scope = store.Scope(customer.name, customer_id=customer.id)
            row = self.score_scope(session, scope, resolved).row(0)
            stakeholders = self._coverage(session, customer, resolved)
            recent = session.exec(
                select(Activity)
                .where(Activity.customer_id == customer.id, col(Activity.date) < resolved.end_exclusive_dt())
                .order_by(col(Activity.date).desc(), col(Activity.id).desc())
                .limit(RECENT_ACTIVITIES)
            ).all()
        return CustomerEngagement(
            **self._metrics_fields(customer.id, row, resolved),
            name=customer.name,
            segment=customer.segment,
            csm_id=customer.csm_id,
            status=customer.status,
            arr=customer.arr,
            renewal_date=customer.renewal_date,
            health_score=customer.health_score,
            stakeholders=stakeholders,
            recent_activities=[ActivityPublic.model_validate(a, from_attributes=True) for a in recent],
        )

    @staticmethod
    def _coverage(session: Session, customer: Customer, period: Period) -> list[StakeholderCoverage]:
        """Touchpoints in the period and last contact (to the period's end) of each person we deal with."""
        history = session.exec(
            select(Activity.date, Activity.participants).where(
                Activity.customer_id == customer.id, col(Activity.date) < period.end_exclusive_dt()
            )
        ).all()
        touch: dict[str, int] = {}
        last: dict[str, dt.datetime] = {}
        for when, participants in history:
            for person in participants or []:
                key = person.strip().lower()
                if when >= period.start_dt():
                    touch[key] = touch.get(key, 0) + 1
                last[key] = max(last.get(key, when), when)
        known = session.exec(select(Stakeholder).where(Stakeholder.customer_id == customer.id)).all()
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
        rank = {"executive": 0, "champion": 1, "user": 2}
        return sorted(rows, key=lambda r: (-r.touchpoints, rank.get(r.level or "", 3), r.name or r.email or ""))

    def trends(self, ref: str, periods: int = 6, granularity: str = "month") -> EngagementTrends:
        if not 1 <= periods <= 24:
            raise EngagementError(f"periods {periods} is out of range; give 1 to 24.")
        windows = recent_periods(periods, granularity, self.as_of())
        with read_scope(self.engine) as session:
            customer = store.find_customer(session, ref)
            scope = store.Scope(customer.name, customer_id=customer.id)
            rows = [(window, self.score_scope(session, scope, window).row(0)) for window in windows]
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
                    components=self._score(row).components,
                )
                for window, row in rows
            ],
        )

    def uncontacted(
        self, days: int = 30, csm: str | None = None, segment: str | None = None, limit: int = 20, offset: int = 0
    ) -> UncontactedCustomers:
        check_paging(limit, offset)
        if not 1 <= days <= 3650:
            raise EngagementError(f"days {days} is out of range; give 1 to 3650.")
        as_of = self.as_of()
        end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
        with read_scope(self.engine) as session:
            scope = store.resolve_scope(session, csm, self.settings.user, segment)
            customers = store.customer_columns(session, scope)
            ids = customers["customer_id"]
            positions = {cid: i for i, cid in enumerate(ids.tolist())}
            dates, kinds = store.last_contacts(session, scope, positions, end)
        silent = days_before(as_of, dates)
        never = np.isnan(silent)
        # Never contacted first, then the longest silence, then by name (ids break ties).
        order = np.lexsort((ids.astype(str), customers["name"].astype(str), -np.nan_to_num(silent), ~never))
        chosen = order[(never | (np.nan_to_num(silent) >= days))[order]]
        page_rows = chosen[offset : offset + limit]
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
            for p in page_rows
        ]
        page = Page(total=len(chosen), offset=offset, limit=limit, has_more=offset + limit < len(chosen))
        return UncontactedCustomers(as_of=as_of, days=days, scope=scope.label, customers=rows, page=page)

    def low_engagement(
        self,
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
        resolved = self.period(period)
        with read_scope(self.engine) as session:
            scope = store.resolve_scope(session, csm, self.settings.user, segment)
            table, keep = self.portfolio_scores(session, scope, resolved)
        ranked = self._worst_first(table, keep & (table["engagement_score"] < threshold))
        return LowEngagementCustomers(
            period=period_info(resolved),
            threshold=threshold,
            scope=scope.label,
            customers=self._portfolio_rows(table, ranked[offset : offset + limit]),
            page=Page(total=len(ranked), offset=offset, limit=limit, has_more=offset + limit < len(ranked)),
        )

    def search(self, query: str, limit: int = 20, offset: int = 0) -> CustomerSearch:
        text = (query or "").strip()
        if not text:
            raise EngagementError("query is empty; give part of a customer's name or id.")
        if len(text) > store.MAX_NAME_LENGTH:
            raise EngagementError(f"query is {len(text)} characters long; at most {store.MAX_NAME_LENGTH}.")
        check_paging(limit, offset)
        lowered = text.lower()
        matching = or_(
            func.lower(Customer.name).contains(lowered, autoescape=True),
            func.lower(Customer.id).contains(lowered, autoescape=True),
        )
        with read_scope(self.engine) as session:
            total = session.exec(select(func.count()).select_from(Customer).where(matching)).one()
            found = session.exec(
                select(Customer).where(matching).order_by(Customer.name, Customer.id).offset(offset).limit(limit)
            ).all()
        return CustomerSearch(
            query=text,
            matches=[
                CustomerMatch(customer_id=c.id, **c.model_dump(include={"name", "segment", "csm_id", "status"}))
                for c in found
            ],
            page=Page(total=total, offset=offset, limit=limit, has_more=offset + limit < total),
        )

    def log_activity(self, customer: str, raw: dict[str, Any], default_source: str = "agent") -> LoggedActivity:
        """Validate and store one touchpoint, then answer with it and the customer's fresh score."""
        fields = validate_activity(raw, self.as_of(), default_source)
        period = self.period(None)
        with session_scope(self.engine) as session:
            target = store.find_customer(session, customer)
            if fields["stakeholder_level"] is None:
                fields["stakeholder_level"] = self.level_from_stakeholders(session, target.id, fields["participants"])
            activity, created = store.insert_activity(session, target.id, fields)
            public = ActivityPublic.model_validate(activity, from_attributes=True)
            # Read under our own write lock: nobody else can move the version before we commit, so the
            # store is `before` plus this activity, and rescoring here needs no second transaction.
            version = current_version(session)
            before = version - own_bumps(self.engine.dialect.name, created)
            scope = store.Scope(target.name, customer_id=target.id)
            customer = store.customer_columns_of(target)
            cached = self.cache.tables_at(before)
            fresh = {
                each: self._rescore_after_log(session, scope, customer, each, cached.get(each), activity.date)
                for each in dict.fromkeys([period, *cached])
            }
        for each, rows in fresh.items():
            self.cache.patch(each, before, version, rows)
        return LoggedActivity(
            created=created, activity=public, score=self._score(fresh[period].row(0)), period=period_info(period)
        )

    def _rescore_after_log(
        self,
        session: Session,
        scope: store.Scope,
        customer: dict[str, np.ndarray],
        period: Period,
        cached: ScoredTable | None,
        when: dt.datetime,
    ) -> ScoredTable:
        """The customer's row for `period` once a touchpoint dated `when` is stored. A touchpoint after
        the previous period's end changes nothing of that period, so its cached score (from just
        before the write) stands and only `period` is read again."""
        position = None if cached is None else cached.positions.get(scope.customer_id)
        if position is None or when < previous_period(period).end_exclusive_dt():
            return self.score_scope(session, scope, period, customer)
        return self.score_scope(session, scope, period, customer, cached["previous_score"][position : position + 1])

    @staticmethod
    def level_from_stakeholders(session: Session, customer_id: str, participants: list[str]) -> str | None:
        """The most senior known level among an activity's participants, when the caller gave none."""
        return store.StakeholderLevels.load(session, customer_id).most_senior(customer_id, participants)
