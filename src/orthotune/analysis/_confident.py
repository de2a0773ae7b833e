"""``confident``: confident learning on out-of-fold probabilities (cleanlab).

Each example is predicted by a model trained on the other K−1 folds (it never saw the example),
then cleanlab's ``find_label_issues`` estimates the joint of given and true labels and flags the
examples it attributes to label noise. Suggested label: the out-of-fold argmax. Score: one minus
the out-of-fold probability of the given label (its self-confidence).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from orthotune.analysis._fit import FitRecipe, out_of_fold
from orthotune.analysis._label_issues import LabelIssueMethod, LabelIssues, make_issues
from orthotune.data import Dataset

log = logging.getLogger(__name__)


def cleanlab_issues(
    labels: np.ndarray, proba: np.ndarray, class_names: Sequence[str] | None = None
) -> np.ndarray:
    """cleanlab's default ``find_label_issues`` as a mask (the peer the benchmark quotes).
    Its warning about a class of one example or none, a raw ``UserWarning`` from its worker
    processes naming the class by index ("class: 0"), is silenced; a class of one example is
    named in a log line instead (one of none was left out of judging, and said so)."""
    import warnings

    from cleanlab.filter import find_label_issues

    with warnings.catch_warnings():  # forked workers inherit the filter
        warnings.filterwarnings("ignore", message="May not flag all label issues")
        mask = np.asarray(find_label_issues(labels, proba), dtype=bool)
    counts = np.bincount(labels, minlength=proba.shape[1])
    for k in np.flatnonzero(counts == 1):
        name = class_names[k] if class_names is not None else str(k)
        log.warning("confident: class %r has one example, which cleanlab does not judge", str(name))
    return mask


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
        flagged = cleanlab_issues(y, proba, data.class_names)
        score = 1.0 - proba[np.arange(len(y)), y]
        return make_issues(
            data,
            method=self.name,
            flagged=flagged,
            suggested=proba.argmax(axis=1),
            score=score,
            note=f"{self.folds}-fold out-of-fold probabilities, cleanlab find_label_issues",
        )
