"""``cluster``: flag examples whose label disagrees with the majority of their cluster.

The lecture's unsupervised route: cluster the training data, and in each cluster treat the
examples labelled differently from the most numerous class as suspects. Signals and images are
clustered in a learned representation — the penultimate layer of out-of-fold models, one k-means
per fold so that every example is embedded by a model that never saw its label; feature vectors
(tabular data) are clustered in the standardized input space. Each cluster must be dominated by
one class (its majority share at least ``min_purity``) before it accuses anyone.
Score: the majority's share in the cluster.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from orthotune.analysis._fit import FitRecipe, fold_jobs, out_of_fold
from orthotune.analysis._label_issues import LabelIssueMethod, LabelIssues, make_issues
from orthotune.data import Dataset, Normalizer


def cluster_disagreement(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    num_classes: int,
    clusters_per_class: int = 4,
    min_purity: float = 0.6,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means on ``features`` [n, d]; returns (flagged mask, suggested class, score) [n] each."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    n = len(labels)
    k = int(max(2, min(clusters_per_class * num_classes, n // 5)))
    with threadpool_limits(limits=1):
        km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(features)
    assign = km.labels_
    flagged = np.zeros(n, dtype=bool)
    suggested = labels.copy()
    score = np.zeros(n)
    for c in range(k):
        rows = np.flatnonzero(assign == c)
        if len(rows) == 0:
            continue
        counts = np.bincount(labels[rows], minlength=num_classes)
        majority = int(counts.argmax())
        purity = counts[majority] / len(rows)
        if purity < min_purity:
            continue
        odd = rows[labels[rows] != majority]
        flagged[odd] = True
        suggested[odd] = majority
        score[odd] = purity
    return flagged, suggested, score


def _standardized(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-6)


class ClusterDisagreement(LabelIssueMethod):
    """k-means in a learned representation (signals, images) or the input space (tabular)."""

    name: ClassVar[str] = "cluster"

    def __init__(
        self,
        *,
        representation: str = "auto",
        folds: int = 5,
        clusters_per_class: int = 4,
        min_purity: float = 0.6,
        recipe: FitRecipe | None = None,
    ) -> None:
        self.representation = representation  # auto | input | learned
        self.folds = folds
        self.clusters_per_class = clusters_per_class
        self.min_purity = min_purity
        self.recipe = recipe or FitRecipe()
        self.embedding: np.ndarray | None = None  # reuse out-of-fold embeddings when given

    def _learned(self, data: Dataset) -> bool:
        if self.representation == "auto":
            return data.x.dim() > 2
        return self.representation == "learned"

    def find(self, data: Dataset, *, seed: int = 0) -> LabelIssues:
        y = data.y.numpy()
        n = len(y)
        common = {
            "num_classes": data.num_classes,
            "clusters_per_class": self.clusters_per_class,
            "min_purity": self.min_purity,
            "seed": seed,
        }
        if not self._learned(data):
            x = data.x.reshape(n, -1).float()
            if bool(torch.isnan(x).any()):
                # the gaps --impute auto leaves are filled first, as the fold models' inputs
                # are (``data.Normalizer``): k-means refused a table with a missing value, in
                # scikit-learn's raw ValueError
                x = Normalizer.fit(x).apply(x)
            x = _standardized(x.numpy().astype(np.float64))
            flagged, suggested, score = cluster_disagreement(x, y, **common)
            where = "the standardized input space"
        else:
            embedding = self.embedding
            if embedding is None:
                _, embedding = out_of_fold(
                    data.x,
                    data.y,
                    num_classes=data.num_classes,
                    folds=self.folds,
                    recipe=self.recipe,
                    weights=data.weights,
                    seed=seed,
                )
            flagged = np.zeros(n, dtype=bool)
            suggested = y.copy()
            score = np.zeros(n)
            # One k-means per fold: the rows one fold model embedded share one space.
            for job in fold_jobs(y, folds=self.folds, seed=seed):
                rows = job.predict_index
                f, s, sc = cluster_disagreement(
                    _standardized(embedding[rows].astype(np.float64)), y[rows], **common
                )
                flagged[rows], suggested[rows], score[rows] = f, s, sc
            where = f"the learned representation of {self.folds} out-of-fold models"
        return make_issues(
            data,
            method=self.name,
            flagged=flagged,
            suggested=suggested,
            score=score,
            note=f"k-means ({self.clusters_per_class} clusters per class) in {where}",
        )
