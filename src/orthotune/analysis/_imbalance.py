"""Class imbalance: detect it and offer the remedies the trainer applies.

The lecture: "Are trained classes represented evenly in the training set? If not, try to balance
the size of all classes, e.g. using augmentation to the less numerous classes or to reduce
unevenly the learning rates implemented to various classes taking into account the number of
examples which represent them." Three typed remedies:
- ``class_weights``: s(i) = n / (K · n_class(i)) — every class weighs the same in the cost
  (``TrainConfig(class_balance=True)``; the per-class weights are listed);
- ``oversample``: repeat minority examples until each class has the majority's count
  (``oversample_index`` gives the rows);
- ``augment_minority``: new augmented copies of minority examples (the factor per class; the
  trainer's augmentation policy makes them).
A class counts as a minority when it holds less than ``minority_below`` times the mean class
count; the data set is imbalanced when any class is a minority.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

SCHEMA_VERSION = 1


class Remedy(BaseModel):
    """One remedy: what to set in the trainer and what it does per class."""

    kind: Literal["class_weights", "oversample", "augment_minority"]
    description: str
    train_config: dict[str, Any] = Field(
        default_factory=dict, description="TrainConfig fields to set"
    )
    per_class: dict[str, float] = Field(
        default_factory=dict, description="weight (class_weights) or copies factor per class"
    )


class ImbalanceReport(BaseModel):
    """Class counts, the imbalance ratio and the remedies (persisted as analysis/imbalance.json)."""

    schema_version: int = SCHEMA_VERSION
    counts: dict[str, int]
    shares: dict[str, float]
    imbalance_ratio: float = Field(description="largest class count / smallest class count")
    counted: str = Field(
        default="train", description="the rows counted: train, or all (predictions without split)"
    )
    imbalanced: bool
    minority_classes: list[str]
    remedies: list[Remedy] = Field(default_factory=list)


def detect_imbalance(
    y: np.ndarray,
    class_names: tuple[str, ...] | list[str],
    *,
    minority_below: float = 0.5,
) -> ImbalanceReport:
    """Counts per class of labels ``y`` (codes), the minorities and the remedies for them."""
    y = np.asarray(y, dtype=np.int64)
    k = len(class_names)
    counts = np.bincount(y, minlength=k)
    n = int(counts.sum())
    present = counts[counts > 0]
    ratio = float(present.max() / present.min()) if len(present) else 1.0
    mean = n / k if k else 0.0
    minority = [c for c in range(k) if counts[c] < minority_below * mean]
    names = [str(c) for c in class_names]
    report = ImbalanceReport(
        counts={names[c]: int(counts[c]) for c in range(k)},
        shares={names[c]: float(counts[c] / n) if n else 0.0 for c in range(k)},
        imbalance_ratio=ratio,
        imbalanced=bool(minority),
        minority_classes=[names[c] for c in minority],
    )
    if not minority:
        return report
    weights = {names[c]: float(n / (len(present) * counts[c])) for c in range(k) if counts[c] > 0}
    top = int(counts.max())
    factors = {names[c]: float(top / counts[c]) for c in minority if counts[c] > 0}
    listed = ", ".join(f"{names[c]} ({counts[c]})" for c in minority)
    report.remedies = [
        Remedy(
            kind="class_weights",
            description=(
                f"weigh each example by n/(K·n_class) so every class counts the same in the cost "
                f"(minorities: {listed})"
            ),
            train_config={"class_balance": True},
            per_class=weights,
        ),
        Remedy(
            kind="oversample",
            description=(
                f"repeat minority examples up to the largest class's {top} examples "
                "(train on dataset.subset(oversample_index(y)))"
            ),
            per_class=factors,
        ),
        Remedy(
            kind="augment_minority",
            description="add augmented copies of the minority classes (the trainer's policy)",
            train_config={"augment": "standard"},
            per_class={name: max(f - 1.0, 0.0) for name, f in factors.items()},
        ),
    ]
    return report


def oversample_index(y: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Row indices where every class appears as often as the largest one (minority rows
    repeated, each at most once more than any other of its class), shuffled."""
    y = np.asarray(y, dtype=np.int64)
    rng = np.random.default_rng(seed)
    counts = np.bincount(y)
    top = int(counts.max())
    parts = []
    for c in np.flatnonzero(counts):
        rows = np.flatnonzero(y == c)
        reps, extra = divmod(top, len(rows))
        parts.append(np.concatenate([np.tile(rows, reps), rng.permutation(rows)[:extra]]))
    out = np.concatenate(parts)
    return out[rng.permutation(len(out))]
