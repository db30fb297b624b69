"""The score's rounding, categories and trends on plain numbers (SPEC.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engagement.errors import ConfigError
from engagement.scoring import category_array, load_scoring_config, round1, round1_array, trend_array


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (56.8, 56.8),
        (56.25, 56.3),  # a half rounds away from zero
        (-2.25, -2.3),
        (0.15, 0.2),  # 0.15 is 0.1499999... in binary: float noise below 1e-9 is dropped first
        (2.675, 2.7),
        (7.5 + 12 + 15 + 2.25 + 11.25 + 8.8, 56.8),  # SPEC.md's first example, summed in float
        (99.95, 100.0),
        (1e-10, 0.0),
        (-0.04, 0.0),
        (0.0, 0.0),
    ],
)
def test_round1_rounds_once_half_away_from_zero(value: float, rounded: float) -> None:
    assert round1(value) == rounded
    assert str(round1(value)) == str(rounded)  # never "-0.0"
    assert round1_array(np.array([value]))[0] == rounded


def test_round1_array_keeps_missing_values_missing() -> None:
    assert math.isnan(round1_array(np.array([np.nan]))[0])


@pytest.mark.parametrize(
    ("score", "category"),
    [(100.0, "high"), (80.0, "high"), (79.9, "healthy"), (60.0, "healthy"), (59.9, "low"), (40.0, "low"),
     (39.9, "at_risk"), (0.0, "at_risk")],
)
def test_categories_start_at_80_60_and_40(score: float, category: str) -> None:
    assert category_array(np.array([score]))[0] == category


@pytest.mark.parametrize(
    ("change", "trend"),
    [(5.0, "improving"), (4.9, "stable"), (0.0, "stable"), (-4.9, "stable"), (-5.0, "declining")],
)
def test_a_change_of_five_points_either_way_is_a_trend(change: float, trend: str) -> None:
    assert trend_array(np.array([change]))[0] == trend


def test_weights_that_do_not_sum_to_one_are_refused_at_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "weights.toml"
    path.write_text("[weights]\nemail_volume = 0.5\n", encoding="utf-8")

    with pytest.raises(ConfigError, match="sum to 1"):
        load_scoring_config(path)


def test_the_shipped_config_has_the_prds_weights_and_segment_benchmarks() -> None:
    config = load_scoring_config()

    assert config.weights.meeting_frequency == 0.25 and config.weights.recency == 0.10
    assert config.benchmarks["Enterprise"].meetings_per_quarter == (6, 8)
    assert config.benchmarks["SMB"].emails_per_month == (4, 6)
