"""From a Dataset and its Split to the tensors a trainer eats: normalized with train statistics.

``prepare(ds, split)`` fits the ``Normalizer`` on the training part only (the lecture:
"use the same μ and σ² to normalize the test set") and applies it to every part. The test part
is kept apart in ``PreparedData.test`` so that searches never look at it; it is scored once, for
the chosen model, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from orthotune.data._dataset import Dataset
from orthotune.data._normalize import Normalizer
from orthotune.data._split import Split


@dataclass(frozen=True)
class Part:
    """One part of the split, normalized: x [n, …], y [n], optional weights and source [n]."""

    x: torch.Tensor
    y: torch.Tensor
    weights: torch.Tensor | None
    ids: np.ndarray
    source: np.ndarray | None

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def join(self, other: Part) -> Part:
        """This part's examples followed by ``other``'s (weights 1 where a side has none)."""
        weights = None
        if self.weights is not None or other.weights is not None:
            weights = torch.cat(
                [p.weights if p.weights is not None else torch.ones(len(p)) for p in (self, other)]
            )
        source = None
        if self.source is not None and other.source is not None:
            source = np.concatenate([self.source, other.source])
        return Part(
            torch.cat([self.x, other.x]),
            torch.cat([self.y, other.y]),
            weights,
            np.concatenate([self.ids, other.ids]),
            source,
        )


@dataclass(frozen=True)
class PreparedData:
    """Normalized parts (``train_dev``, ``dev``, ``test`` None when the split has none: a
    file's own split may hold train and test only) and what produced them."""

    train: Part
    train_dev: Part | None
    dev: Part | None
    test: Part | None
    normalizer: Normalizer
    dataset: Dataset
    split: Split

    def parts(self) -> dict[str, Part]:
        """The parts a search may score: train, train-dev and dev (those present) — never test."""
        out = {"train": self.train}
        if self.dev is not None:
            out["dev"] = self.dev
        if self.train_dev is not None:
            out["train-dev"] = self.train_dev
        return out


def prepare(dataset: Dataset, split: Split, *, bins: int = 0, points: bool = False) -> PreparedData:
    """Normalize every part of ``split`` with statistics of its training part (feature vectors
    with ``bins`` quantile bins per numeric feature beside it, when ``bins`` ≥ 2, and with
    ``points`` an indicator per value many training examples share: ``Bins``)."""
    normalizer = Normalizer.fit(dataset.x[torch.as_tensor(split.train)], bins=bins, points=points)

    def part(index: np.ndarray) -> Part | None:
        if len(index) == 0:
            return None
        sub = dataset.subset(index)
        return Part(normalizer.apply(sub.x), sub.y, sub.weights, sub.ids, sub.source)

    return PreparedData(
        train=part(split.train),
        train_dev=part(split.train_dev),
        dev=part(split.dev),
        test=part(split.test),
        normalizer=normalizer,
        dataset=dataset,
        split=split,
    )
