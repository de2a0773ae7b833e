"""``Dataset``: the one in-memory form of a classification data set.

Features keep their shape — vectors ``[n, d]``, 1-D signals ``[n, c, length]``, images
``[n, c, h, w]`` — as one float32 tensor. Labels are int64 class indices into ``class_names``.
Everything per example (``ids``, ``weights``, ``source``, ``preset_split``) is aligned with ``x``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from orthotune._splits import SPLITS

SPLIT_PARTS = SPLITS  # the parts a preset_split names (orthotune._splits reads their aliases)


@dataclass(frozen=True)
class ReferenceLevels:
    """Reference error levels a data set carries (fractions): used when the user gives none."""

    human_error: float | None = None
    bayes_error: float | None = None
    note: str = ""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled data set: tensors plus the names that make results readable.

    x:            float32 [n, ...]  features (vectors, signals or images; shape kept)
    y:            int64   [n]       class index into ``class_names``
    ids:          str     [n]       stable example ids (default: the 0-based row index)
    weights:      float32 [n]       per-example weights s(i), or None (all 1)
    source:       str     [n]       which distribution each example came from, or None
    preset_split: str     [n]       a fixed assignment to SPLIT_PARTS ("" = let the policy
                                    decide), from ``--split-col`` or a built-in's canonical
                                    test set; or None
    encoding:     how the raw columns were turned into features (one-hot categories, dropped
                  columns); saved with a model so prediction encodes files the same way
    text_labels:  the labels were given as text (strings ``"0"``/``"1"``, not numbers): a
                  model's ``classes_`` gives them back as text
    """

    x: torch.Tensor
    y: torch.Tensor
    class_names: tuple[str, ...]
    ids: np.ndarray
    feature_names: tuple[str, ...] = ()
    weights: torch.Tensor | None = None
    source: np.ndarray | None = None
    preset_split: np.ndarray | None = None
    name: str = "data"
    reference: ReferenceLevels = field(default_factory=ReferenceLevels)
    encoding: Any = None
    text_labels: bool = False

    def __len__(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(40,)``, ``(1, 40)`` or ``(1, 8, 8)``."""
        return tuple(self.x.shape[1:])

    def subset(self, index: np.ndarray | torch.Tensor) -> Dataset:
        """The examples at ``index`` (integer positions), everything per example kept aligned."""
        idx = torch.as_tensor(np.asarray(index), dtype=torch.long)
        npidx = idx.numpy()
        return replace(
            self,
            x=self.x[idx],
            y=self.y[idx],
            ids=self.ids[npidx],
            weights=None if self.weights is None else self.weights[idx],
            source=None if self.source is None else self.source[npidx],
            preset_split=None if self.preset_split is None else self.preset_split[npidx],
        )
