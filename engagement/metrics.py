"""One customer's or a whole portfolio's metrics and score for a period, from per-customer aggregates.

The database sums each customer's activities of the period in one GROUP BY (`store.period_aggregates`);
`score_frame` turns those sums into SPEC.md's metrics, the six components, the rounded score and
the category. It is the single computation behind every score the product shows: the portfolio,
one customer's detail, trends and alerts all call it, so they cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engagement.periods import Period
from engagement.scoring import COMPONENTS, Weights, category_of, round1_series

COUNT_COLUMNS = [
    "emails_sent",
    "emails_received",
    "meetings_held",
    "qbrs_completed",
    "calls_made",
    "calls_received",
    "messages_sent",
    "messages_received",
    "executive_touchpoints",
    "responses_known",
    "responses_answered",
    "response_times",
]
SUM_COLUMNS = ["meeting_minutes", "response_hours"]
AGGREGATE_COLUMNS = ["customer_id", *COUNT_COLUMNS, *SUM_COLUMNS]
LAST_CONTACT_COLUMNS = ["customer_id", "date", "type"]


def score_frame(
    aggregates: pd.DataFrame, people: pd.Series, last_contacts: pd.DataFrame, index: pd.Index, period: Period,
    weights: Weights,
) -> pd.DataFrame:
    """Metrics, components, score and category of every customer in `index` for `period`.

    `aggregates` has one row of period sums per customer with activity (AGGREGATE_COLUMNS), `people`
    the distinct participants per customer, `last_contacts` each customer's latest activity on or
    before the period's end. Customers missing from them had no activity.
    """
    frame = aggregates.set_index("customer_id").reindex(index)
    frame[COUNT_COLUMNS] = frame[COUNT_COLUMNS].fillna(0).astype(int)
    frame[SUM_COLUMNS] = frame[SUM_COLUMNS].astype(float).fillna(0.0)
    known, answered = frame["responses_known"], frame["responses_answered"]
    frame["response_rate"] = np.where(known > 0, answered / known.clip(lower=1), 0.0)
    frame["avg_response_time_hours"] = (frame["response_hours"] / frame["response_times"]).where(
        frame["response_times"] > 0
    )
    frame["stakeholders_engaged"] = people.reindex(index).fillna(0).astype(int)

    latest = last_contacts.set_index("customer_id").reindex(index)
    frame["last_contact_date"] = latest["date"]
    frame["last_contact_type"] = latest["type"]
    contact_day = pd.to_datetime(latest["date"]).dt.normalize()
    frame["days_ago"] = (pd.Timestamp(period.end) - contact_day).dt.days

    frame["email_volume"] = np.minimum(100.0, frame["emails_sent"] * 5.0)
    frame["email_response"] = np.where(known > 0, answered * 100.0 / known.clip(lower=1), 0.0)
    frame["meeting_frequency"] = np.minimum(100.0, frame["meetings_held"] * 20.0)
    frame["meeting_quality"] = np.minimum(100.0, frame["meeting_minutes"] * 10.0 / 60.0)
    frame["stakeholder_breadth"] = np.minimum(100.0, frame["stakeholders_engaged"] * 25.0)
    frame["recency"] = np.maximum(0.0, 100.0 - frame["days_ago"].astype(float) * 3.0).fillna(0.0)

    raw = sum(frame[name] * getattr(weights, name) for name in COMPONENTS)
    frame["raw_score"] = raw
    frame["engagement_score"] = round1_series(raw)
    frame["category"] = frame["engagement_score"].map(category_of)
    return frame
