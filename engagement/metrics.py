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
from engagement.scoring import COMPONENTS, Weights, category_array, round1_array

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
    before the period's end. Customers missing from them had no activity. The arithmetic runs on
    numpy arrays and builds the frame once: a single customer costs well under a millisecond.
    """
    sums = aggregates.set_index("customer_id").reindex(index)
    out: dict[str, np.ndarray] = {}
    for name in COUNT_COLUMNS:
        out[name] = np.nan_to_num(sums[name].to_numpy(dtype=float)).astype(np.int64)
    for name in SUM_COLUMNS:
        out[name] = np.nan_to_num(sums[name].to_numpy(dtype=float))
    known, answered, timed = out["responses_known"], out["responses_answered"], out["response_times"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["response_rate"] = np.where(known > 0, answered / np.maximum(known, 1), 0.0)
        out["avg_response_time_hours"] = np.where(timed > 0, out["response_hours"] / np.maximum(timed, 1), np.nan)
    out["stakeholders_engaged"] = np.nan_to_num(people.reindex(index).to_numpy(dtype=float)).astype(np.int64)

    latest = last_contacts.set_index("customer_id").reindex(index)
    contact = pd.to_datetime(latest["date"])
    days_ago = (pd.Timestamp(period.end) - contact.dt.normalize()).dt.days.to_numpy(dtype=float)

    components = {
        "email_volume": np.minimum(100.0, out["emails_sent"] * 5.0),
        "email_response": np.where(known > 0, answered * 100.0 / np.maximum(known, 1), 0.0),
        "meeting_frequency": np.minimum(100.0, out["meetings_held"] * 20.0),
        "meeting_quality": np.minimum(100.0, out["meeting_minutes"] * 10.0 / 60.0),
        "stakeholder_breadth": np.minimum(100.0, out["stakeholders_engaged"] * 25.0),
        "recency": np.nan_to_num(np.maximum(0.0, 100.0 - days_ago * 3.0)),
    }
    raw = np.zeros(len(index))
    for name in COMPONENTS:
        raw = raw + components[name] * getattr(weights, name)
    score = round1_array(raw)
    frame = pd.DataFrame(
        {**out, **components, "raw_score": raw, "engagement_score": score, "days_ago": days_ago}, index=index
    )
    frame["last_contact_date"] = contact.to_numpy()
    frame["last_contact_type"] = latest["type"].to_numpy()
    frame["category"] = category_array(score)
    return frame
