"""Does engagement go with the outcomes? The score against health, and against renewal or churn scored
on the quarter before each renewal, with which components drive it and a one-line reading."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engagement.analysis.schemas import ComponentCorrelation, CorrelationResult, Outcome, RenewalCohort
from engagement.analysis.stats import MIN_ACCOUNTS, Correlation, Method, correlate, pearson_r, strength, t_test_p
from engagement.metrics import ScoredTable
from engagement.periods import Period, add_months, quarter_label
from engagement.scoring import COMPONENTS, round1

PRD_TARGET = 0.6  # PRD-157 §11: score-retention correlation > 0.6
RENEWAL_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Sample:
    """Accounts with a known outcome: their score, components (columns in COMPONENTS order) and outcome."""

    score: np.ndarray
    components: np.ndarray
    outcome: np.ndarray


def components_of(table: ScoredTable, index: np.ndarray) -> np.ndarray:
    """The six components of the rows `index` picks (a mask or positions), one column each."""
    return np.column_stack([np.asarray(table[name][index], dtype=float) for name in COMPONENTS])


def health_sample(table: ScoredTable, keep: np.ndarray, health: np.ndarray) -> Sample:
    known = keep & ~np.isnan(health)
    return Sample(table["engagement_score"][known].astype(float), components_of(table, known), health[known])


@dataclass(frozen=True)
class Renewals:
    sample: Sample
    cohorts: list[RenewalCohort]
    still_active: int  # past renewal date, but neither renewed nor churned: outcome unknown


def renewal_sample(
    table: ScoredTable,
    keep: np.ndarray,
    renewal: np.ndarray,
    first: dt.date,
    last: dt.date,
    outcome: Outcome,
    scores_of: Callable[[dt.date], tuple[Period, ScoredTable]],
) -> Renewals:
    """Accounts in `keep` (churned ones included) whose renewal date lies in first..last: renewed or
    churned, each scored on the quarter before its renewal quarter (`scores_of(quarter start)` gives
    that quarter's cached portfolio). The outcome is 1 for renewed (renewal) or churned (churn)."""
    status = table["status"]
    in_window = keep & ~np.isnat(renewal) & (renewal >= np.datetime64(first)) & (renewal <= np.datetime64(last))
    decided = in_window & ((status == "renewed") | (status == "churned"))
    still_active = int(np.count_nonzero(in_window & ~decided))
    scores, parts, outcomes, cohorts = [], [], [], []
    decided_at = np.flatnonzero(decided)
    months = renewal[decided_at].astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    scored_months = (months // 3 - 1) * 3  # the first month of the quarter before the renewal's
    for first_month in np.unique(scored_months).tolist():
        start = dt.date(1970 + first_month // 12, first_month % 12 + 1, 1)
        positions = decided_at[scored_months == first_month].tolist()
        period, scored = scores_of(start)
        if scored.ids is table.ids or np.array_equal(scored.ids, table.ids):  # the same store: the same rows
            rows = np.array(positions, dtype=np.int64)
        else:
            rows = np.array([scored.positions[str(table.ids[p])] for p in positions], dtype=np.int64)
        renewed = status[np.array(positions)] == "renewed"
        score = scored["engagement_score"][rows].astype(float)
        scores.append(score)
        parts.append(components_of(scored, rows))
        outcomes.append(renewed if outcome == "renewal" else ~renewed)
        cohorts.append(
            RenewalCohort(
                renewal_quarter=quarter_label(add_months(start, 3)),
                scored_on=period.label,
                accounts=len(positions),
                renewed=int(renewed.sum()),
                churned=int((~renewed).sum()),
                mean_score_renewed=round1(float(score[renewed].mean())) if renewed.any() else None,
                mean_score_churned=round1(float(score[~renewed].mean())) if (~renewed).any() else None,
            )
        )
    if not scores:
        return Renewals(Sample(np.zeros(0), np.zeros((0, len(COMPONENTS))), np.zeros(0)), [], still_active)
    sample = Sample(np.concatenate(scores), np.vstack(parts), np.concatenate(outcomes).astype(float))
    return Renewals(sample, cohorts, still_active)


def result(found: Correlation) -> CorrelationResult:
    return CorrelationResult(
        method=found.method, r=round(found.r, 3), n=found.n, p_value=float(f"{found.p_value:.3g}"),
        ci_low=round(found.ci_low, 3), ci_high=round(found.ci_high, 3),
    )


def component_correlations(sample: Sample) -> list[ComponentCorrelation]:
    """Each component's own Pearson r with the outcome, strongest first (those that do not vary last)."""
    rows = []
    n = len(sample.outcome)
    for i, name in enumerate(COMPONENTS):
        r = pearson_r(sample.components[:, i].astype(float), sample.outcome)
        rows.append(
            ComponentCorrelation(
                component=name,
                r=None if r is None else round(r, 3),
                p_value=None if r is None else float(f"{t_test_p(r, n):.3g}"),
            )
        )
    return sorted(rows, key=lambda row: 1.0 if row.r is None else -abs(row.r))


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def correlations(sample: Sample, outcome: Outcome) -> list[Correlation]:
    methods: tuple[Method, ...] = ("pearson", "spearman") if outcome == "health" else ("point_biserial",)
    found = [correlate(sample.score, sample.outcome, method) for method in methods]
    return [c for c in found if c is not None]


def not_enough(sample: Sample, outcome: Outcome, what: str) -> str | None:
    """Why no correlation can be given, or None when one can."""
    n = len(sample.outcome)
    if n < MIN_ACCOUNTS:
        return f"Not enough data: {n} {what}; a correlation needs at least {MIN_ACCOUNTS}."
    if outcome != "health" and len(set(sample.outcome.tolist())) < 2:
        side = "renewed" if (sample.outcome[0] == 1) == (outcome == "renewal") else "churned"
        return f"Not enough data: all {n} {what} {side}; a correlation needs both renewals and churns."
    if len(set(sample.outcome.tolist())) < 2 or len(set(sample.score.tolist())) < 2:
        return f"Not enough data: across the {n} {what} the score or the outcome does not vary."
    return None


def reading(main: Correlation, outcome: Outcome, drivers: list[ComponentCorrelation]) -> str:
    """The answer in one line: direction and size, the numbers, whether it may be chance, the driver."""
    words = strength(main.r)
    sign = "positive" if main.r > 0 else "negative"
    subject = {
        "health": "Engagement and health move together" if main.r > 0 else "Engagement and health move apart",
        "renewal": "Accounts that renewed were more engaged the quarter before" if main.r > 0
        else "Accounts that renewed were less engaged the quarter before",
        "churn": "Accounts that churned were less engaged the quarter before" if main.r < 0
        else "Accounts that churned were more engaged the quarter before",
    }[outcome]
    if words == "no":
        subject = {"health": "Engagement says little about health", "renewal": "Engagement says little about renewal",
                   "churn": "Engagement says little about churn"}[outcome]
        words, sign = "no real", ""
    numbers = f"r = {main.r:.2f}, 95% CI {main.ci_low:.2f} to {main.ci_high:.2f}, n = {main.n}, {_p(main.p_value)}"
    text = f"{subject}: {words} {sign} correlation ({numbers})".replace("  ", " ")
    if main.p_value >= 0.05:
        text += f"; with {main.n} accounts this could be chance"
    driver = next((d for d in drivers if d.r is not None), None)
    if driver is not None and words != "no real":
        text += f"; {driver.component.replace('_', ' ')} goes with it most (r = {driver.r:.2f})"
    if outcome != "health":
        met = abs(main.r) > PRD_TARGET and (main.r > 0) == (outcome == "renewal")
        text += f". The PRD's target (|r| > {PRD_TARGET}) is {'met' if met else 'not met'}"
    return text + "."
