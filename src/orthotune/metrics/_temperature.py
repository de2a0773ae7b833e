"""Temperature scaling: one number T > 0 that makes softmax confidences honest.

A network trained to a low loss is often over-confident: among dev examples predicted with
confidence 0.99, fewer than 99 % are right. Temperature scaling (Guo et al., 2017) divides the
logits by one temperature before the softmax, ``p = softmax(z / T)``: T > 1 softens the
probabilities, T < 1 sharpens them, and the predicted class never changes (so neither does any
error rate). T is fitted by minimizing the negative log-likelihood on dev examples. With
β = 1/T the NLL ``mean(logsumexp(β·z) − β·z_y)`` is convex in β, so a bounded scalar search
finds its minimum exactly.

``calibrate_temperature`` cross-fits: the dev examples are dealt into ``folds`` folds, each
fold's probabilities are scaled by a T fitted on the other folds, and the ECE "after" is
measured on those out-of-fold probabilities — never on examples the temperature saw. The
temperature handed back for later use (``predict``) is fitted on all dev examples, and is
applied only when the out-of-fold ECE is lower than before (else T = 1, and the record says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune.metrics._confidence import (
    ReliabilityBin,
    expected_calibration_error,
    reliability_bins,
)

__all__ = [
    "TemperatureScaling",
    "calibrate_temperature",
    "fit_temperature",
    "softmax",
]

SCHEMA_VERSION = 1
# T is searched in [1/20, 20]: wide enough for any network seen here (fitted T of 0.6–3).
T_BOUNDS = (0.05, 20.0)
# Fewer dev examples than this per fold leave the out-of-fold ECE too noisy to judge T by.
MIN_PER_FOLD = 10


class TemperatureScaling(BaseModel):
    """A fitted temperature and the ECE / reliability diagram before and after it (dev)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    temperature: float = Field(description="the temperature to apply: fitted, or 1 when not")
    fitted_temperature: float | None = Field(
        default=None, description="T fitted on all dev examples (None: too few to fit)"
    )
    applied: bool = Field(description="True when temperature is the fitted one (ECE went down)")
    n: int = Field(description="dev examples")
    folds: int
    fold_temperatures: list[float] = Field(default_factory=list)
    ece_before: float = Field(description="ECE of softmax(z) on dev")
    ece_after: float | None = Field(
        default=None, description="ECE of out-of-fold softmax(z / T_fold) on dev"
    )
    nll_before: float
    nll_after: float | None = None
    n_bins: int
    reliability_before: list[ReliabilityBin]
    reliability_after: list[ReliabilityBin] = Field(default_factory=list)
    message: str


def _logits(logits: Any, y_true: Any) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y_true)
    if z.ndim != 2 or z.shape[1] < 2:
        raise InvalidInputError(
            f"logits have shape {z.shape}: give an [examples, classes] array with at least 2 "
            "classes"
        )
    if y.shape != (z.shape[0],):
        raise InvalidInputError(
            f"y_true has shape {y.shape} for {z.shape[0]} logit rows: give one code per row"
        )
    if not np.isfinite(z).all():
        raise InvalidInputError("logits hold NaN or infinite values: fit on finite logits only")
    return z, y.astype(np.intp)


def softmax(logits: Any, *, temperature: float = 1.0) -> np.ndarray:
    """``softmax(z / T)`` row by row (float64, numerically stable)."""
    if not temperature > 0:
        raise InvalidInputError(f"temperature {temperature!r} is not positive: give T > 0")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(z: np.ndarray, y: np.ndarray, beta: float) -> float:
    """Mean negative log-likelihood of softmax(β·z)."""
    s = beta * z
    top = s.max(axis=1)
    lse = top + np.log(np.exp(s - top[:, None]).sum(axis=1))
    return float(np.mean(lse - s[np.arange(len(y)), y]))


def fit_temperature(logits: Any, y_true: Any) -> float:
    """The T in [0.05, 20] that minimizes the NLL of ``softmax(logits / T)`` on these labels."""
    from scipy.optimize import minimize_scalar

    z, y = _logits(logits, y_true)
    if len(y) == 0:
        raise InvalidInputError("no examples to fit a temperature on: give at least one")
    low, high = T_BOUNDS
    found = minimize_scalar(
        lambda beta: _nll(z, y, beta),
        bounds=(1.0 / high, 1.0 / low),
        method="bounded",
        options={"xatol": 1e-7},
    )
    return float(1.0 / found.x)


def calibrate_temperature(
    logits: Any,
    y_true: Any,
    *,
    folds: int = 5,
    seed: int = 0,
    n_bins: int = 15,
    examples: str = "dev examples",
) -> TemperatureScaling:
    """Fit T on dev logits, cross-fitted over ``folds`` folds (see the module doc).
    ``examples`` names the rows in the message: under k-fold they are the pooled train + dev
    rows' out-of-fold logits ("fitted on 1220 dev examples" named a dev set of 305)."""
    z, y = _logits(logits, y_true)
    n = len(y)
    if folds < 2:
        raise InvalidInputError(f"folds {folds} is below 2: cross-fitting needs at least 2 folds")
    p_before = softmax(z)
    before = {
        "n": n,
        "folds": folds,
        "n_bins": n_bins,
        "ece_before": expected_calibration_error(p_before, y, n_bins=n_bins) if n else 0.0,
        "nll_before": _nll(z, y, 1.0) if n else 0.0,
        "reliability_before": reliability_bins(p_before, y, n_bins=n_bins) if n else [],
    }
    if n < folds * MIN_PER_FOLD:
        return TemperatureScaling(
            temperature=1.0,
            applied=False,
            message=f"not calibrated: {n} {examples}, fewer than the {folds * MIN_PER_FOLD} "
            f"needed to fit a temperature on {folds} folds of {MIN_PER_FOLD}; T = 1",
            **before,
        )
    if (z.argmax(1) == y).all():  # the NLL falls as T → 0: T hit its bound, logits × 20
        return TemperatureScaling(
            temperature=1.0,
            applied=False,
            message=f"not calibrated: the model gets all {n} {examples} right, so no "
            "temperature can be fitted (the fit would sharpen it without end, until any "
            "mistake it makes on new rows came out at confidence 1.000); T = 1",
            **before,
        )
    fold_of = np.random.default_rng(seed).permutation(n) % folds
    p_after = np.empty_like(p_before)
    nll_after = 0.0
    fold_temperatures = []
    for k in range(folds):
        inside = fold_of == k
        t = fit_temperature(z[~inside], y[~inside])
        fold_temperatures.append(t)
        p_after[inside] = softmax(z[inside], temperature=t)
        nll_after += _nll(z[inside], y[inside], 1.0 / t) * inside.sum() / n
    fitted = fit_temperature(z, y)
    ece_after = expected_calibration_error(p_after, y, n_bins=n_bins)
    applied = ece_after < before["ece_before"]
    ece_words = f"ECE {100 * before['ece_before']:.2f} % → {100 * ece_after:.2f} %"
    message = (
        f"temperature T = {fitted:.3g} fitted on {n} {examples}; out of fold ({folds} folds) "
        + (
            f"{ece_words}"
            if applied
            else f"{ece_words}, no better: T = 1 is kept (probabilities left as they are)"
        )
    )
    return TemperatureScaling(
        temperature=fitted if applied else 1.0,
        fitted_temperature=fitted,
        applied=applied,
        fold_temperatures=fold_temperatures,
        ece_after=ece_after,
        nll_after=float(nll_after),
        reliability_after=reliability_bins(p_after, y, n_bins=n_bins),
        message=message,
        **before,
    )
