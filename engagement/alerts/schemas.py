"""What the daily check and the alert questions answer: pydantic models every edge formats as is."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from engagement.schemas import Components, Page, PeriodInfo, UtcDateTime
from engagement.scoring import Category

AlertKind = Literal["at_risk", "score_drop", "no_contact", "no_executive_touchpoint"]
AlertStatus = Literal["open", "acknowledged", "resolved"]
ALERT_KINDS: tuple[AlertKind, ...] = ("at_risk", "score_drop", "no_contact", "no_executive_touchpoint")
KIND_LABELS: dict[str, str] = {  # how a digest and the CLI name each kind
    "at_risk": "at risk",
    "score_drop": "score drop",
    "no_contact": "no contact",
    "no_executive_touchpoint": "no executive touchpoint",
}


class AlertRow(BaseModel):
    alert_id: int
    customer_id: str
    name: str
    segment: str
    csm_id: str | None
    kind: AlertKind
    status: AlertStatus
    day: dt.date = Field(description="The check's day that raised it.")
    number: float | None = Field(description="The number behind it: the score, the points dropped, or the days without contact.")
    details: str
    opened_at: UtcDateTime
    acknowledged_at: UtcDateTime | None = None
    acknowledged_by: str | None = None
    resolved_at: UtcDateTime | None = None


class CheckReport(BaseModel):
    """One run of the daily check."""

    day: dt.date = Field(description="The as-of day the check scored and recorded.")
    period: PeriodInfo = Field(description="The window each day's score covers.")
    customers_scored: int
    recorded: int = Field(description="History rows written by this run; 0 when the day was recorded already.")
    raised: dict[AlertKind, int] = Field(description="New alerts by kind.")
    resolved: dict[AlertKind, int] = Field(description="Alerts this run resolved, by kind: their condition cleared.")
    open_alerts: int = Field(description="Open and acknowledged alerts after the run (list_alerts shows them).")
    digests_queued: int = Field(description="Digests of new alerts put in the outbox, one per CSM.")
    digests_sent: int = Field(description="Digests the webhook took in this run (new and retried).")
    digests_pending: int = Field(description="Digests still waiting for the webhook (retried on the next check).")
    webhook: bool = Field(description="Whether ENGAGEMENT_ALERT_WEBHOOK is set.")


class AlertList(BaseModel):
    scope: str
    status: str = Field(description="The statuses listed: open and acknowledged unless one was asked for.")
    counts: dict[AlertKind, int] = Field(description="Alerts listed, by kind (all pages).")
    alerts: list[AlertRow]
    page: Page


class HistoryPoint(BaseModel):
    day: dt.date
    engagement_score: float
    category: Category
    components: Components


class ScoreHistoryAnswer(BaseModel):
    customer_id: str
    name: str
    days: int
    start: dt.date
    end: dt.date
    period: str = Field(description="The window each recorded score covers, ending on its day.")
    points: list[HistoryPoint] = Field(description="One per day the check ran, oldest first; days it did not run are absent.")
