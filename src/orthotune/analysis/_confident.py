"""``confident``: confident learning on out-of-fold probabilities (cleanlab).

Each example is predicted by a model trained on the other K−1 folds (it never saw the example),
then cleanlab's ``find_label_issues`` estimates the joint of given and true labels and flags the
examples it attributes to label noise. Suggested label: the out-of-fold argmax. Score: one minus
the out-of-fold probability of the given label (its self-confidence).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from orthotune.analysis._fit import FitRecipe, out_of_fold
from orthotune.analysis._label_issues import LabelIssueMethod, LabelIssues, make_issues
from orthotune.data import Dataset


def cleanlab_issues(labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """cleanlab's default ``find_label_issues`` as a mask (the peer the benchmark quotes)."""
    from cleanlab.filter import find_label_issues

    return np.asarray(find_label_issues(labels, proba), dtype=bool)


class ConfidentLearning(LabelIssueMethod):
    """K-fold out-of-fold probabilities, then cleanlab's ``find_label_issues``."""

    name: ClassVar[str] = "confident"

    def __init__(self, *, folds: int = 5, recipe: FitRecipe | None = None) -> None:
        self.folds = folds
        self.recipe = recipe or FitRecipe()
        self.proba: np.ndarray | None = None  # the out-of-fold probabilities of the last find
        self.embedding: np.ndarray | None = None  # and the out-of-fold representation

    def find(self, data: Dataset, *, seed: int = 0) -> LabelIssues:
        proba, embedding = out_of_fold(
            data.x,
            data.y,
            num_classes=data.num_classes,
            folds=self.folds,
            recipe=self.recipe,
            weights=data.weights,
            seed=seed,
        )
        self.proba, self.embedding = proba, embedding
        y = data.y.numpy()
        flagged = cleanlab_issues(y, proba)
        score = 1.0 - proba[np.arange(len(y)), y]
        return make_issues(
            data,
            method=self.name,
            flagged=flagged,
            suggested=proba.argmax(axis=1),
            score=score,
            note=f"{self.folds}-fold out-of-fold probabilities, cleanlab find_label_issues",
        )
