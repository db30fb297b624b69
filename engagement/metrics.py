"""One customer's or a whole portfolio's metrics and score for a period, from one DataFrame.

`score_frame` is the single computation behind every score the product shows: the portfolio, one
customer's detail, trends and alerts all call it, so they cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engagement.periods import Period
from engagement.scoring import COMPONENTS, Weights, category_of, round1_series

ACTIVITY_COLUMNS = [
    "customer_id",
    "type",
    "direction",
    "date",
    "duration_minutes",
    "participants",
    "stakeholder_level",
    "response_received",
    "response_time_hours",
]
LAST_CONTACT_COLUMNS = ["customer_id", "date", "type"]
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
    "stakeholders_engaged",
]


def _count(acts: pd.DataFrame, mask: pd.Series, index: pd.Index) -> pd.Series:
    return acts.loc[mask, "customer_id"].value_counts().reindex(index, fill_value=0).astype(int)


def activity_metrics(acts: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Counts, response and breadth metrics per customer (SPEC.md), zero for customers without activity."""
    kind, direction = acts["type"], acts["direction"]
    out_ = direction == "outbound"
    in_ = direction == "inbound"
    meetings = kind.isin(["meeting", "qbr"])
    frame = pd.DataFrame(index=index)
    frame["emails_sent"] = _count(acts, (kind == "email") & out_, index)
    frame["emails_received"] = _count(acts, (kind == "email") & in_, index)
    frame["meetings_held"] = _count(acts, meetings, index)
    frame["qbrs_completed"] = _count(acts, kind == "qbr", index)
    frame["calls_made"] = _count(acts, (kind == "call") & out_, index)
    frame["calls_received"] = _count(acts, (kind == "call") & in_, index)
    frame["messages_sent"] = _count(acts, (kind == "message") & out_, index)
    frame["messages_received"] = _count(acts, (kind == "message") & in_, index)
    frame["executive_touchpoints"] = _count(acts, acts["stakeholder_level"] == "executive", index)

    minutes = acts.loc[meetings, ["customer_id", "duration_minutes"]]
    frame["meeting_minutes"] = (
        minutes["duration_minutes"].astype(float).fillna(0.0).groupby(minutes["customer_id"]).sum()
    ).reindex(index, fill_value=0.0)

    sent = acts.loc[(kind == "email") & out_, ["customer_id", "response_received", "response_time_hours"]]
    known = sent[sent["response_received"].notna()]
    answered = known[known["response_received"].astype(bool)]
    frame["responses_known"] = known["customer_id"].value_counts().reindex(index, fill_value=0).astype(int)
    frame["responses_answered"] = answered["customer_id"].value_counts().reindex(index, fill_value=0).astype(int)
    frame["response_rate"] = np.where(
        frame["responses_known"] > 0, frame["responses_answered"] / frame["responses_known"].clip(lower=1), 0.0
    )
    times = answered["response_time_hours"].astype(float)
    frame["avg_response_time_hours"] = times.groupby(answered["customer_id"]).mean().reindex(index)

    people = acts[["customer_id", "participants"]].explode("participants").dropna(subset=["participants"])
    people["participants"] = people["participants"].astype(str).str.strip().str.lower()
    people = people[people["participants"] != ""]
    frame["stakeholders_engaged"] = people.groupby("customer_id")["participants"].nunique().reindex(
        index, fill_value=0
    ).astype(int)
    return frame


def score_frame(
    acts: pd.DataFrame, last_contacts: pd.DataFrame, index: pd.Index, period: Period, weights: Weights
) -> pd.DataFrame:
    """Metrics, the six components, the rounded score and the category of every customer in `index`.

    `acts` holds the period's activities; `last_contacts` each customer's latest activity on or
    before the period's end (at most one row per customer).
    """
    frame = activity_metrics(acts, index)
    latest = last_contacts.set_index("customer_id").reindex(index)
    frame["last_contact_date"] = latest["date"]
    frame["last_contact_type"] = latest["type"]
    contact_day = pd.to_datetime(latest["date"]).dt.normalize()
    frame["days_ago"] = (pd.Timestamp(period.end) - contact_day).dt.days

    frame["email_volume"] = np.minimum(100.0, frame["emails_sent"] * 5.0)
    frame["email_response"] = np.where(
        frame["responses_known"] > 0,
        frame["responses_answered"] * 100.0 / frame["responses_known"].clip(lower=1),
        0.0,
    )
    frame["meeting_frequency"] = np.minimum(100.0, frame["meetings_held"] * 20.0)
    frame["meeting_quality"] = np.minimum(100.0, frame["meeting_minutes"] * 10.0 / 60.0)
    frame["stakeholder_breadth"] = np.minimum(100.0, frame["stakeholders_engaged"] * 25.0)
    frame["recency"] = np.maximum(0.0, 100.0 - frame["days_ago"].astype(float) * 3.0).fillna(0.0)

    raw = sum(frame[name] * getattr(weights, name) for name in COMPONENTS)
    frame["raw_score"] = raw
    frame["engagement_score"] = round1_series(raw)
    frame["category"] = frame["engagement_score"].map(category_of)
    return frame


def empty_activities() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in ACTIVITY_COLUMNS})


def empty_last_contacts() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=object) for name in LAST_CONTACT_COLUMNS})
