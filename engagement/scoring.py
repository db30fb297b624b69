"""The score model: weights and benchmarks from a validated config file, rounding, category, trend."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engagement.errors import ConfigError

COMPONENTS = (
    "email_volume",
    "email_response",
    "meeting_frequency",
    "meeting_quality",
    "stakeholder_breadth",
    "recency",
)
Category = Literal["high", "healthy", "low", "at_risk"]
Trend = Literal["improving", "stable", "declining"]
CATEGORIES: tuple[Category, ...] = ("high", "healthy", "low", "at_risk")
TREND_THRESHOLD = 5.0


class Weights(BaseModel):
    """How much each component counts; each non-negative, together exactly 1."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email_volume: float = Field(0.15, ge=0)
    email_response: float = Field(0.20, ge=0)
    meeting_frequency: float = Field(0.25, ge=0)
    meeting_quality: float = Field(0.15, ge=0)
    stakeholder_breadth: float = Field(0.15, ge=0)
    recency: float = Field(0.10, ge=0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> Weights:
        total = sum(getattr(self, name) for name in COMPONENTS)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"weights must sum to 1, these sum to {total:g}")
        return self


class Benchmark(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    healthy_score: tuple[float, float]
    meetings_per_quarter: tuple[float, float]
    emails_per_month: tuple[float, float]


SegmentName = Literal["Enterprise", "Mid-Market", "SMB"]
# Days a customer of each segment may go without any contact before the daily check raises an alert.
DEFAULT_CONTACT_LIMITS: dict[SegmentName, int] = {"Enterprise": 14, "Mid-Market": 21, "SMB": 30}


class ScoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: Weights = Weights()
    benchmarks: dict[SegmentName, Benchmark] = {}
    contact_limit_days: dict[SegmentName, Annotated[int, Field(ge=1, le=3650)]] = DEFAULT_CONTACT_LIMITS

    def contact_limit(self, segment: str) -> int:
        """Days without contact a customer of `segment` may go (a segment the file leaves out: the default)."""
        return self.contact_limit_days.get(segment, DEFAULT_CONTACT_LIMITS.get(segment, 30))  # type: ignore[call-overload]


def load_scoring_config(path: Path | None = None) -> ScoringConfig:
    """The shipped model, or the TOML file at `path`; an invalid file is a ConfigError naming the fault."""
    try:
        if path is None:
            text = resources.files("engagement").joinpath("scoring.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return ScoringConfig.model_validate(tomllib.loads(text))
    except FileNotFoundError as exc:
        raise ConfigError(f"Scoring config file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Scoring config file {path} is not valid TOML: {exc}.") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"Scoring config file {path} is invalid ({problems}). Weights are {', '.join(COMPONENTS)}, "
            "each non-negative, summing to 1."
        ) from exc


def round1(value: float) -> float:
    """One decimal, a half away from zero, after dropping float noise below 1e-9 (SPEC.md)."""
    cleaned = round(value, 9)
    tenths = round(abs(cleaned) * 10, 8)
    return math.copysign(math.floor(tenths + 0.5) / 10, cleaned) + 0.0


def round1_array(values: np.ndarray) -> np.ndarray:
    """`round1` over an array, vectorised; NaN stays NaN."""
    cleaned = np.round(np.asarray(values, dtype=float), 9)
    tenths = np.round(np.abs(cleaned) * 10, 8)
    return np.copysign(np.floor(tenths + 0.5) / 10, cleaned) + 0.0


def category_array(scores: np.ndarray) -> np.ndarray:
    """The category of each rounded score: high >= 80, healthy >= 60, low >= 40, else at_risk."""
    return np.select([scores >= 80, scores >= 60, scores >= 40], ["high", "healthy", "low"], default="at_risk")


def trend_array(changes: np.ndarray) -> np.ndarray:
    """The trend of each rounded change: improving at +5.0 or more, declining at -5.0 or less."""
    return np.select([changes >= TREND_THRESHOLD, changes <= -TREND_THRESHOLD], ["improving", "declining"], "stable")
