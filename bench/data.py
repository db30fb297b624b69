"""Generated portfolios for the benchmark: CSMs, customers and a year of activities as CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TYPES = np.array(["email", "email", "email", "email", "meeting", "call", "message", "qbr", "event"])
SEGMENTS = np.array(["Enterprise", "Mid-Market", "SMB"])
CUSTOMERS_PER_CSM = 250
PEOPLE_PER_CUSTOMER = 6
CHUNK = 1_000_000
FILE_ROWS = 4_000_000  # activities per file: ~360 MB, under the import's 512 MiB limit per file


@dataclass(frozen=True)
class Files:
    csms: Path
    customers: Path
    activities: list[Path]  # in order, each at most FILE_ROWS rows
    customers_count: int
    activities_count: int


def generate(folder: Path, customers: int, activities: int, as_of: dt.date, seed: int = 1) -> Files:
    """Write csms.csv, customers.csv and activities-N.csv (12 months ending on `as_of`) into `folder`."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    csm_count = max(1, customers // CUSTOMERS_PER_CSM)
    managers = max(1, csm_count // 8)
    csms = pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(managers)] + [f"c{i}" for i in range(csm_count)],
            "name": [f"Manager {i}" for i in range(managers)] + [f"CSM {i}" for i in range(csm_count)],
            "email": [f"m{i}@ourco.example" for i in range(managers)] + [f"c{i}@ourco.example" for i in range(csm_count)],
            "manager": [""] * managers + [f"m{i % managers}" for i in range(csm_count)],
        }
    )
    ids = np.array([f"k{i:06d}" for i in range(customers)])
    table = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Customer {i:06d}" for i in range(customers)],
            "segment": SEGMENTS[rng.integers(0, 3, customers)],
            "csm": [f"c{i % csm_count}" for i in range(customers)],
            "arr": rng.integers(5, 500, customers) * 1000,
            "status": "active",
        }
    )
    parts = [folder / f"activities-{n}.csv" for n in range(max(1, -(-activities // FILE_ROWS)))]
    paths = Files(folder / "csms.csv", folder / "customers.csv", parts, customers, activities)
    csms.to_csv(paths.csms, index=False)
    # Skewed volume: some accounts get far more touchpoints than others.
    weights = rng.pareto(2.0, customers) + 0.2
    _outcomes(np.random.default_rng(seed + 1), table, weights, as_of)  # its own generator: the activities stay as they were
    table.to_csv(paths.customers, index=False)
    # In chunks, so 20 million rows (100,000 customers) fit in memory; the same rows whatever FILE_ROWS is.
    for first in range(0, activities, CHUNK):
        part = paths.activities[first // FILE_ROWS]
        chunk = _activities(rng, ids, weights / weights.sum(), first, min(CHUNK, activities - first), as_of)
        with part.open("a" if first % FILE_ROWS else "w", newline="") as out:
            chunk.to_csv(out, header=first % FILE_ROWS == 0, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.0f")
    return paths


def _outcomes(rng: np.random.Generator, table: pd.DataFrame, weights: np.ndarray, as_of: dt.date) -> None:
    """Health scores that follow the touchpoint volume, and a third of the accounts past a renewal in the
    last year, mostly renewed (the busier, the likelier): what the correlation and calibration read."""
    count = len(table)
    rank = np.argsort(np.argsort(weights)) / max(1, count - 1)
    table["health_score"] = np.clip(np.round(30 + 50 * rank + rng.normal(0, 10, count), 1), 0, 100)
    past = rng.random(count) < 1 / 3
    days = np.where(past, -rng.integers(1, 365, count), rng.integers(1, 365, count))
    table["renewal_date"] = (pd.Timestamp(as_of) + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    churned = past & (rng.random(count) < 0.25 * (1 - rank))
    table["status"] = np.where(churned, "churned", np.where(past, "renewed", "active"))


def _activities(
    rng: np.random.Generator, ids: np.ndarray, weights: np.ndarray, first: int, count: int, as_of: dt.date
) -> pd.DataFrame:
    who = rng.choice(len(ids), size=count, p=weights)
    start = pd.Timestamp(as_of) - pd.Timedelta(days=365)
    seconds = rng.integers(0, 365 * 86400 + 86399, count)
    kinds = TYPES[rng.integers(0, len(TYPES), count)]
    outbound = rng.random(count) < 0.6
    email_out = (kinds == "email") & outbound
    answered = rng.random(count) < 0.7
    known = rng.random(count) < 0.9
    person = rng.integers(0, PEOPLE_PER_CUSTOMER, count)
    meeting = np.isin(kinds, ["meeting", "qbr"])
    return pd.DataFrame(
        {
            "customer": ids[who],
            "type": kinds,
            "direction": np.where(outbound, "outbound", "inbound"),
            "date": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%S"),
            "duration_minutes": np.where(meeting, rng.integers(15, 91, count), np.nan),
            "participants": pd.Series(person).map(lambda p: f"p{p}@") + pd.Series(ids[who]) + ".example",
            "stakeholder_level": np.where(person == 0, "executive", np.where(person < 3, "champion", "user")),
            "response_received": np.where(email_out & known, np.where(answered, "true", "false"), ""),
            "response_time_hours": np.where(email_out & known & answered, rng.integers(1, 72, count), np.nan),
            "source": "bench",
            "external_id": [f"b{i}" for i in range(first, first + count)],
        }
    )
