"""What the output probabilities say beyond the predicted class.

- ``confidence``: the largest probability of each example.
- ``top2_margin``: largest minus second-largest probability — the lecture's *hesitation*: a
  network whose two highest outputs are close hesitates between two classes.
- ``expected_calibration_error``: ``Σ_b (n_b / n) · |accuracy_b − confidence_b|`` over
  ``n_bins`` equal-width confidence bins (the usual ECE; 0 for a perfectly calibrated model).
- ``reliability_bins``: those bins themselves (count, mean confidence, accuracy) — the points of
  a reliability diagram.

Probabilities are an ``[n, k]`` array whose rows sum to 1 (within ``atol``); a row that does not
is refused by :func:`check_probabilities`, naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError

__all__ = [
    "ConfidenceSummary",
    "ReliabilityBin",
    "check_probabilities",
    "confidence",
    "confidence_summary",
    "expected_calibration_error",
    "probability_columns",
    "reliability_bins",
    "top2_margin",
]

SCHEMA_VERSION = 1


class ConfidenceSummary(BaseModel):
    """Confidence, hesitation and calibration of one set of probability outputs."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    n: int
    mean_confidence: float
    mean_margin: float = Field(description="mean top-2 margin (small = hesitating)")
    hesitation_threshold: float
    hesitant_fraction: float = Field(description="examples whose top-2 margin is below it")
    ece: float | None = Field(default=None, description="expected calibration error")
    n_bins: int


def _proba(proba: Any) -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise InvalidInputError(
            f"probabilities have shape {p.shape}: give an [examples, classes] array with at "
            "least 2 classes"
        )
    return p


def check_probabilities(
    proba: Any, *, atol: float = 1e-3, row_names: Sequence[Any] | None = None
) -> np.ndarray:
    """Refuse probabilities outside [0, 1] or rows that do not sum to 1, naming the first row."""
    p = _proba(proba)

    def name(i: int) -> str:
        return f"row {i}" if row_names is None else f"row {i} ({row_names[i]})"

    bad = ~np.isfinite(p).all(axis=1) | (p < 0).any(axis=1) | (p > 1).any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"probabilities of {name(i)} are {p[i].tolist()}: each must be a number in [0, 1]; "
            "fix that row (or apply softmax to logits)"
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        i = int(np.flatnonzero(off)[0])
        count = int(off.sum())
        others = f" ({count - 1} more rows too)" if count > 1 else ""
        raise InvalidInputError(
            f"probabilities of {name(i)} sum to {sums[i]:.6g}, not 1{others}: each row must sum "
            f"to 1 within {atol:g}; normalize the p_ columns (or apply softmax to logits)"
        )
    return p


def probability_columns(
    columns: Mapping[str, Any], *, row_names: Sequence[Any] | None = None
) -> np.ndarray:
    """A predictions table's ``p_<class>`` columns (name → cells) as one ``[n, k]`` float array,
    an empty cell NaN (which ``check_probabilities`` names); a cell that is no number
    (``38.4%``, ``n/a``) is refused in one line naming its column and row."""
    out = []
    for col, values in columns.items():
        cells = np.asarray(values)
        try:
            out.append(cells.astype(np.float64))
            continue
        except (TypeError, ValueError):
            pass
        for i, v in enumerate(cells.tolist()):
            try:
                float("nan" if v is None else v)
            except (TypeError, ValueError):
                row = f"row {i}" if row_names is None else f"row {i} ({row_names[i]})"
                raise InvalidInputError(
                    f"{col} of {row} holds {str(v)!r}, not a probability; accepted: a number in "
                    "[0, 1] (0.384, not 38.4%): write each p_<class> cell as a fraction"
                ) from None
    return np.column_stack(out) if out else np.empty((0, 0))


def confidence(proba: Any) -> np.ndarray:
    """The largest probability of each example."""
    return _proba(proba).max(axis=1)


def top2_margin(proba: Any) -> np.ndarray:
    """Largest minus second-largest probability of each example (the lecture's hesitation)."""
    p = _proba(proba)
    top2 = np.partition(p, p.shape[1] - 2, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


class ReliabilityBin(BaseModel):
    """One confidence bin (low, high] of a reliability diagram (empty bins: count 0, None)."""

    model_config = ConfigDict(frozen=True)

    low: float
    high: float
    count: int
    confidence: float | None = Field(default=None, description="mean confidence in the bin")
    accuracy: float | None = Field(default=None, description="share of correct predictions")


def _binned(proba: Any, y_true: Any, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin: (count, Σ confidence, Σ correct) over ``n_bins`` equal-width confidence bins."""
    p = _proba(proba)
    y = np.asarray(y_true)
    if y.shape != (p.shape[0],):
        raise InvalidInputError(
            f"y_true has shape {y.shape} for {p.shape[0]} probability rows: give one code per row"
        )
    if n_bins < 1:
        raise InvalidInputError(f"n_bins {n_bins} is not positive: give at least 1 bin")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    # Bin b holds confidences in (b/B, (b+1)/B]; a confidence of exactly 0 joins bin 0.
    bins = np.clip(np.ceil(conf * n_bins).astype(np.intp) - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    return (
        count,
        np.bincount(bins, weights=conf, minlength=n_bins),
        np.bincount(bins, weights=correct, minlength=n_bins),
    )


def expected_calibration_error(proba: Any, y_true: Any, *, n_bins: int = 15) -> float:
    """ECE over ``n_bins`` equal-width confidence bins; ``y_true`` holds class codes."""
    count, conf_sum, correct_sum = _binned(proba, y_true, n_bins)
    n = int(count.sum())
    return float(np.abs(correct_sum - conf_sum).sum() / n) if n else 0.0


def reliability_bins(proba: Any, y_true: Any, *, n_bins: int = 15) -> list[ReliabilityBin]:
    """The ``n_bins`` bins of the ECE: a reliability diagram plots accuracy against confidence
    per bin (on the diagonal when calibrated, below it when over-confident)."""
    count, conf_sum, correct_sum = _binned(proba, y_true, n_bins)
    return [
        ReliabilityBin(
            low=b / n_bins,
            high=(b + 1) / n_bins,
            count=int(count[b]),
            confidence=float(conf_sum[b] / count[b]) if count[b] else None,
            accuracy=float(correct_sum[b] / count[b]) if count[b] else None,
        )
        for b in range(n_bins)
    ]


def confidence_summary(
    proba: Any,
    y_true: Any = None,
    *,
    n_bins: int = 15,
    hesitation_threshold: float = 0.1,
) -> ConfidenceSummary:
    """Mean confidence and margin, the share of hesitant examples and (with labels) the ECE."""
    p = _proba(proba)
    margin = top2_margin(p)
    return ConfidenceSummary(
        n=p.shape[0],
        mean_confidence=float(p.max(axis=1).mean()),
        mean_margin=float(margin.mean()),
        hesitation_threshold=hesitation_threshold,
        hesitant_fraction=float((margin < hesitation_threshold).mean()),
        ece=None if y_true is None else expected_calibration_error(p, y_true, n_bins=n_bins),
        n_bins=n_bins,
    )
