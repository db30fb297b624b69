"""`score_table` on plain per-customer sums: SPEC.md's worked examples and hand-computed cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from engagement.metrics import COUNT_COLUMNS, SUM_COLUMNS, PeriodInputs, ScoredTable, score_table
from engagement.periods import resolve_period
from engagement.scoring import Weights

PERIOD = resolve_period("this_quarter", dt.date(2026, 11, 24))  # 2026-10-01 .. 2026-11-24
COLUMNS = [*COUNT_COLUMNS, *SUM_COLUMNS]


def inputs(customers: list[dict[str, Any]]) -> PeriodInputs:
    """Sums as the store hands them over: NaN for a customer without activity in the period."""
    sums = np.full((len(customers), len(COLUMNS)), np.nan)
    for row, given in enumerate(customers):
        if given.get("sums"):
            sums[row] = [given["sums"].get(name, 0) for name in COLUMNS]
    last = np.array([np.datetime64(c["last"]) if c.get("last") else np.datetime64("NaT") for c in customers],
                    dtype="datetime64[us]")
    return PeriodInputs(
        sums, np.array([c.get("people", 0) for c in customers], dtype=float), last,
        np.array([c.get("type") for c in customers], dtype=object),
    )


EXAMPLES = [
    pytest.param(  # SPEC.md example 1
        {"sums": {"emails_sent": 10, "responses_known": 10, "responses_answered": 6, "meetings_held": 3,
                  "meeting_minutes": 90}, "people": 3, "last": "2026-11-20T15:00", "type": "meeting"},
        {"email_volume": 50, "email_response": 60, "meeting_frequency": 60, "meeting_quality": 15,
         "stakeholder_breadth": 75, "recency": 88},
        56.8, "low", id="spec-example-1",
    ),
    pytest.param(  # SPEC.md example 2: never contacted
        {}, {name: 0 for name in ("email_volume", "email_response", "meeting_frequency", "meeting_quality",
                                  "stakeholder_breadth", "recency")},
        0.0, "at_risk", id="spec-example-2",
    ),
    pytest.param(  # SPEC.md example 3: every component at its clamp
        {"sums": {"emails_sent": 30, "responses_known": 30, "responses_answered": 30, "meetings_held": 8,
                  "meeting_minutes": 960}, "people": 5, "last": "2026-11-24T08:00", "type": "email"},
        {"email_volume": 100, "email_response": 100, "meeting_frequency": 100, "meeting_quality": 100,
         "stakeholder_breadth": 100, "recency": 100},
        100.0, "high", id="spec-example-3",
    ),
    pytest.param(  # unknown outcomes do not count: 1 of 2 known answered; 2 unknown. Last contact before the period.
        {"sums": {"emails_sent": 4, "responses_known": 2, "responses_answered": 1, "meetings_held": 1,
                  "meeting_minutes": 45}, "people": 1, "last": "2026-09-15", "type": "call"},
        # 4*5=20, 50, 20, 45/60*10=7.5, 25, 100-70*3<0 -> 0
        {"email_volume": 20, "email_response": 50, "meeting_frequency": 20, "meeting_quality": 7.5,
         "stakeholder_breadth": 25, "recency": 0},
        # 3 + 10 + 5 + 1.125 + 3.75 + 0 = 22.875 -> 22.9
        22.9, "at_risk", id="unknown-outcomes-and-old-contact",
    ),
    pytest.param(  # only inbound mail and calls: no outbound email, so response 0 (none known)
        {"sums": {"emails_received": 7, "calls_received": 2}, "people": 2, "last": "2026-11-23", "type": "call"},
        {"email_volume": 0, "email_response": 0, "meeting_frequency": 0, "meeting_quality": 0,
         "stakeholder_breadth": 50, "recency": 97},
        # 7.5 + 9.7 = 17.2
        17.2, "at_risk", id="inbound-only",
    ),
]


@pytest.mark.parametrize(("given", "components", "score", "category"), EXAMPLES)
def test_score_table_gives_the_components_score_and_category_worked_by_hand(
    given: dict[str, Any], components: dict[str, float], score: float, category: str
) -> None:
    table = score_table(np.array(["c"], dtype=object), inputs([given]), PERIOD, Weights())
    row = table.row(0)

    assert {name: pytest.approx(row[name]) for name in components} == components
    assert (row["engagement_score"], row["category"]) == (score, category)


def test_a_whole_portfolio_scores_each_customer_as_it_would_alone() -> None:
    given = [example.values[0] for example in EXAMPLES]
    ids = np.array([f"c{i}" for i in range(len(given))], dtype=object)

    together = score_table(ids, inputs(given), PERIOD, Weights())

    alone = [score_table(ids[i : i + 1], inputs([g]), PERIOD, Weights()).row(0) for i, g in enumerate(given)]
    assert together["engagement_score"].tolist() == [row["engagement_score"] for row in alone]
    assert together["category"].tolist() == [row["category"] for row in alone]


def test_weights_change_the_sum_not_the_components() -> None:
    example_one = EXAMPLES[0].values[0]
    meetings_only = Weights(email_volume=0, email_response=0, meeting_frequency=1, meeting_quality=0,
                            stakeholder_breadth=0, recency=0)

    row = score_table(np.array(["c"], dtype=object), inputs([example_one]), PERIOD, meetings_only).row(0)

    assert (row["meeting_frequency"], row["engagement_score"], row["category"]) == (60, 60.0, "healthy")



def test_a_patched_table_derives_again_only_from_the_columns_the_patch_changed() -> None:
    def table(ids: list[str], category: list[str], health: list[float | None]) -> ScoredTable:
        columns = {"category": np.array(category, dtype=object), "health_score": np.array(health, dtype=object)}
        return ScoredTable(np.array(ids, dtype=object), columns)

    computed: list[list[float]] = []

    def health(values: np.ndarray) -> np.ndarray:
        computed.append(values.tolist())
        return np.array(values, dtype=float)

    before = table(["a", "b"], ["low", "high"], [70.0, None])
    before.codes("category")
    before.derived("health_score", "float", health)

    after = before.patched(table(["a"], ["healthy"], [70.0]))  # a logged touchpoint: category moves, health stays
    codes, lookup = after.codes("category")
    assert sorted(lookup, key=lookup.__getitem__) == ["healthy", "high"] and codes.tolist() == [0, 1]
    after.derived("health_score", "float", health)
    assert computed == [[70.0, None]]

    after.patched(table(["b"], ["high"], [55.0])).derived("health_score", "float", health)
    assert computed == [[70.0, None], [70.0, 55.0]]
