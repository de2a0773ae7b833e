"""Decompose the error into the lecture's gaps, each with a 95 % interval.

    avoidable bias   = train − human-level error
    bias             = train − Bayes error                 (when the Bayes error is known)
    variance         = train-dev − train                   (dev − train without a train-dev set)
    data mismatch    = dev − train-dev
    dev overfitting  = test − dev

Intervals (95 %, z = 1.96):

- a level (an error rate measured on ``n`` examples): the **Wilson score interval** — unlike the
  normal (Wald) interval it stays inside [0, 1] and is honest for the small rates (0.5 %, 1 %)
  this analysis lives on;
- a gap against a reference (human-level, Bayes): the level's Wilson interval shifted by the
  reference, which is taken as a known constant;
- a gap between two measured levels (independent example sets): **Newcombe's hybrid score
  interval** (method 10, Newcombe 1998) built from the two Wilson intervals — a normal-
  approximation score method for a difference of independent proportions, deterministic (no
  bootstrap seed), and well behaved near 0.

When an example count is missing the interval is ``None`` (the noise is unknown).
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from orthotune.diagnose._levels import ErrorLevels, Level

__all__ = [
    "Z95",
    "Decomposition",
    "Gap",
    "GapName",
    "LevelEstimate",
    "decompose",
    "newcombe_interval",
    "wilson_interval",
]

SCHEMA_VERSION = 1
#: The two-sided 95 % normal quantile.
Z95 = 1.959963984540054
INTERVAL_METHOD = (
    "levels: Wilson score interval; gaps between levels: Newcombe hybrid score interval "
    "(difference of independent rates); gaps to human/Bayes error: Wilson interval shifted"
)


class GapName(StrEnum):
    """The lecture's gaps, named as the lecture names them."""

    AVOIDABLE_BIAS = "avoidable_bias"
    BIAS = "bias"
    VARIANCE = "variance"
    DATA_MISMATCH = "data_mismatch"
    DEV_OVERFITTING = "dev_overfitting"


def wilson_interval(rate: float, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a rate observed on ``n`` examples."""
    z2n = z * z / n
    center = (rate + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(rate * (1 - rate) / n + z2n / (4 * n))
    # the interval always holds the observed rate (rounding can put 0 just outside it)
    return min(max(0.0, center - half), rate), max(min(1.0, center + half), rate)


def newcombe_interval(
    rate1: float, n1: int, rate2: float, n2: int, *, z: float = Z95
) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``rate1 − rate2`` (independent samples)."""
    l1, u1 = wilson_interval(rate1, n1, z=z)
    l2, u2 = wilson_interval(rate2, n2, z=z)
    d = rate1 - rate2
    return (
        d - math.sqrt((rate1 - l1) ** 2 + (u2 - rate2) ** 2),
        d + math.sqrt((u1 - rate1) ** 2 + (rate2 - l2) ** 2),
    )


class LevelEstimate(BaseModel):
    """A measured level with its 95 % interval (``None`` without an example count)."""

    model_config = ConfigDict(frozen=True)

    name: str
    error: float
    n: int | None
    low: float | None
    high: float | None


class Gap(BaseModel):
    """``upper − lower`` with its 95 % interval (``None`` when a count is missing)."""

    model_config = ConfigDict(frozen=True)

    name: GapName
    value: float
    low: float | None
    high: float | None
    upper: str = Field(description="the level subtracted from")
    lower: str = Field(description="the level or reference subtracted")


class Decomposition(BaseModel):
    """Levels with intervals and the lecture's gaps between them."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    levels: list[LevelEstimate] = Field(description="train, train-dev, dev, test (those given)")
    sources: list[LevelEstimate] = Field(default_factory=list, description="dev per source")
    avoidable_bias: Gap | None = Field(description="None without a human-level error")
    bias: Gap | None = Field(description="None without a Bayes error")
    variance: Gap
    data_mismatch: Gap | None = Field(description="None without a train-dev set")
    dev_overfitting: Gap | None = Field(description="None without a test set")
    interval_method: str = INTERVAL_METHOD

    def gaps(self) -> list[Gap]:
        """The gaps that could be computed, in the lecture's order."""
        found = (
            self.avoidable_bias,
            self.bias,
            self.variance,
            self.data_mismatch,
            self.dev_overfitting,
        )
        return [g for g in found if g is not None]

    def level(self, name: str) -> LevelEstimate | None:
        """A level by name (``train``, ``train-dev``, ``dev``, ``test``)."""
        return next((lv for lv in self.levels if lv.name == name), None)


def _estimate(name: str, level: Level) -> LevelEstimate:
    low, high = (None, None) if level.n is None else wilson_interval(level.error, level.n)
    return LevelEstimate(name=name, error=level.error, n=level.n, low=low, high=high)


def _gap_to_reference(name: GapName, upper: LevelEstimate, ref: float, ref_name: str) -> Gap:
    low = None if upper.low is None else upper.low - ref
    high = None if upper.high is None else upper.high - ref
    return Gap(
        name=name, value=upper.error - ref, low=low, high=high, upper=upper.name, lower=ref_name
    )


def _gap(name: GapName, upper: LevelEstimate, lower: LevelEstimate) -> Gap:
    if upper.n is None or lower.n is None:
        low = high = None
    else:
        low, high = newcombe_interval(upper.error, upper.n, lower.error, lower.n)
    return Gap(
        name=name,
        value=upper.error - lower.error,
        low=low,
        high=high,
        upper=upper.name,
        lower=lower.name,
    )


def decompose(levels: ErrorLevels) -> Decomposition:
    """The lecture's gaps between the error levels, each with its 95 % interval."""
    train = _estimate("train", levels.train)
    train_dev = None if levels.train_dev is None else _estimate("train-dev", levels.train_dev)
    dev = _estimate("dev", levels.dev)
    test = None if levels.test is None else _estimate("test", levels.test)
    measured = [lv for lv in (train, train_dev, dev, test) if lv is not None]
    return Decomposition(
        levels=measured,
        sources=[_estimate(f"dev[{s}]", lv) for s, lv in levels.dev_sources.items()],
        avoidable_bias=None
        if levels.human_error is None
        else _gap_to_reference(GapName.AVOIDABLE_BIAS, train, levels.human_error, "human"),
        bias=None
        if levels.bayes_error is None
        else _gap_to_reference(GapName.BIAS, train, levels.bayes_error, "bayes"),
        variance=_gap(GapName.VARIANCE, train_dev or dev, train),
        data_mismatch=None if train_dev is None else _gap(GapName.DATA_MISMATCH, dev, train_dev),
        dev_overfitting=None if test is None else _gap(GapName.DEV_OVERFITTING, test, dev),
    )
