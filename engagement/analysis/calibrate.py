"""Weights that fit the store's own retention: the six component weights (non-negative, summing to 1)
whose score correlates best with renewal, checked on accounts held out of the fit.

For centred data, least squares over non-negative weights maximises the correlation of the weighted
score with the outcome over that cone (the scale that least squares also picks does not change a
correlation), so NNLS is the fit; the weights are then scaled to sum to 1. k-fold cross-validation
scores each account with weights fitted without it, and the correlation of those held-out scores with
the outcome is what the new weights would likely achieve on accounts not yet seen.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from engagement.analysis.correlation import Sample, result
from engagement.analysis.schemas import Calibration, CorrelationResult
from engagement.analysis.stats import MIN_ACCOUNTS, correlate
from engagement.errors import EngagementError
from engagement.scoring import COMPONENTS, Benchmark, Weights, load_scoring_config

MIN_PER_OUTCOME = 2  # each fold's fit needs both outcomes
WEIGHT_UNITS = 10_000  # weights are written to four decimals, summing exactly to 1


def fit(components: np.ndarray, renewed: np.ndarray) -> np.ndarray | None:
    """Non-negative weights summing to 1 whose score correlates most with `renewed`; None when no
    non-negative mix correlates positively (the fit is all zeros)."""
    from scipy.optimize import nnls  # the command line's cost only: scipy takes ~1 s to import

    centred = components - components.mean(axis=0)
    weights, _ = nnls(centred, renewed - renewed.mean())
    total = float(weights.sum())
    return None if total <= 1e-12 else weights / total


def stratified_folds(outcome: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """A fold number for each account, each outcome dealt round-robin in a seeded shuffle: the same
    accounts always give the same folds, and every fold gets its share of renewals and churns."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(outcome), dtype=np.int64)
    for value in (0.0, 1.0):
        members = np.flatnonzero(outcome == value)
        assignment[rng.permutation(members)] = np.arange(len(members)) % folds
    return assignment


def held_out(score: np.ndarray, outcome: np.ndarray) -> CorrelationResult:
    found = correlate(score, outcome, "point_biserial")
    if found is None:  # every score the same: no correlation at all
        return CorrelationResult(method="point_biserial", r=0.0, n=len(outcome), p_value=1.0, ci_low=0.0, ci_high=0.0)
    return result(found)


def calibrate(sample: Sample, outcome: str, current: Weights, folds: int, as_of: dt.date) -> Calibration:
    """Fit on every account, and measure before (current weights) and after (k-fold held-out) against the outcome."""
    y = sample.outcome
    renewed = y if outcome == "renewal" else 1.0 - y
    counts = int(renewed.sum()), int(len(renewed) - renewed.sum())
    if len(y) < MIN_ACCOUNTS or min(counts) < MIN_PER_OUTCOME:
        raise EngagementError(
            f"Not enough data to calibrate: {len(y)} accounts with a passed renewal date ({counts[0]} renewed, "
            f"{counts[1]} churned); at least {MIN_ACCOUNTS}, with {MIN_PER_OUTCOME} or more of each outcome, are needed."
        )
    folds = max(2, min(folds, min(counts)))
    now = np.array([getattr(current, name) for name in COMPONENTS])
    assignment = stratified_folds(renewed, folds)
    held = np.empty(len(y))
    for fold in range(folds):
        test = assignment == fold
        weights = fit(sample.components[~test], renewed[~test])
        held[test] = sample.components[test] @ (now if weights is None else weights)
    fitted = fit(sample.components, renewed)
    final = now if fitted is None else fitted
    before, after = held_out(sample.components @ now, y), held_out(held, y)
    better = abs(after.r) > abs(before.r) and (after.r > 0) == (outcome == "renewal")
    reading = (
        f"Held out of the fit, the fitted weights' score correlates {after.r:+.2f} with {outcome} "
        f"(95% CI {after.ci_low:.2f} to {after.ci_high:.2f}) against {before.r:+.2f} for the current weights, "
        f"over {len(y)} accounts in {folds} folds: "
        + ("an improvement." if better else "no improvement; keep the current weights.")
    )
    if fitted is None:
        reading = f"No non-negative weighting of the components correlates with {outcome} here; keep the current weights."
    return Calibration(
        outcome=outcome,  # type: ignore[arg-type]
        as_of=as_of,
        accounts=len(y),
        positives=int(y.sum()),
        folds=folds,
        current_weights={name: float(w) for name, w in zip(COMPONENTS, now)},
        fitted_weights=dict(zip(COMPONENTS, rounded_weights(final))),
        before=before,
        after=after,
        reading=reading,
    )


def rounded_weights(weights: np.ndarray) -> list[float]:
    """Weights to four decimals that sum to exactly 1 (the largest takes the rounding remainder)."""
    units = np.round(weights * WEIGHT_UNITS).astype(np.int64)
    units[int(np.argmax(units))] += WEIGHT_UNITS - int(units.sum())
    return [int(u) / WEIGHT_UNITS for u in units]


def weights_toml(weights: Mapping[str, float], benchmarks: Mapping[str, Benchmark], header: str) -> str:
    """A complete ENGAGEMENT_WEIGHTS_FILE: the weights and the benchmarks in force (a file without
    benchmarks would drop them)."""
    lines = [f"# {line}" for line in header.splitlines()] + ["", "[weights]"]
    lines += [f"{name} = {weights[name]:.4f}" for name in COMPONENTS]
    for segment, benchmark in benchmarks.items():
        lines += ["", f"[benchmarks.{segment}]"]
        for field, (low, high) in benchmark.model_dump().items():
            lines.append(f"{field} = [{low:g}, {high:g}]")
    return "\n".join(lines) + "\n"


def write_weights(path: Path, text: str) -> None:
    """Write the file whole or not at all, and refuse it if the product would not load it."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise EngagementError(f"Cannot write {path}: the folder {folder} does not exist.")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as any file the user writes, not mkstemp's owner-only
        load_scoring_config(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
