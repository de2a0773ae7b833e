"""Data with planted problems: flipped labels, an imbalanced class, a shifted source, tags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from orthotune.data import Dataset


def blobs(n: int = 240, *, classes: int = 3, flip: float = 0.1, seed: int = 0):
    """Well separated Gaussian blobs in 4-D; ``flip`` of the labels moved to another class.
    Returns (Dataset with the noisy labels, boolean mask of the flipped rows, clean labels)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    centers = rng.normal(0, 1, (classes, 4))
    centers = 6 * centers / np.linalg.norm(centers, axis=1, keepdims=True)
    x = centers[y] + rng.normal(0, 0.7, (n, 4))
    noisy = y.copy()
    rows = rng.choice(n, int(flip * n), replace=False)
    noisy[rows] = (y[rows] + rng.integers(1, classes, len(rows))) % classes
    flipped = np.zeros(n, dtype=bool)
    flipped[rows] = True
    names = tuple(f"c{k}" for k in range(classes))
    data = Dataset(
        x=torch.tensor(x, dtype=torch.float32),
        y=torch.tensor(noisy),
        class_names=names,
        ids=np.array([f"r{i}" for i in range(n)]),
        feature_names=("f0", "f1", "f2", "f3"),
    )
    return data, flipped, y


@pytest.fixture
def noisy_blobs():
    return blobs()


def predictions_frame(seed: int = 0) -> pd.DataFrame:
    """Dev predictions where class 'b' carries most errors (planted), plus train/train-dev rows,
    two dev sources (dev2 much worse) and probabilities."""
    rng = np.random.default_rng(seed)
    rows = []
    names = ["a", "b", "c"]

    def add(split: str, source: str, true: str, pred: str, count: int) -> None:
        for _ in range(count):
            p = np.full(3, 0.05)
            p[names.index(pred)] = 0.9
            p = p / p.sum()
            rows.append(
                {
                    "split": split,
                    "source": source,
                    "y_true": true,
                    "y_pred": pred,
                    **{f"p_{c}": p[i] for i, c in enumerate(names)},
                }
            )

    # dev: 100 rows, 12 errors: 8 of class b (6 predicted as c), 3 of a, 1 of c
    add("dev", "s1", "a", "a", 30)
    add("dev", "s1", "a", "b", 3)
    add("dev", "s1", "b", "b", 20)
    add("dev", "s2", "b", "c", 6)
    add("dev", "s2", "b", "a", 2)
    add("dev", "s1", "c", "c", 38)
    add("dev", "s1", "c", "a", 1)
    # train: imbalanced (c is a minority), 2 % error; train-dev 5 % error
    add("train", "s1", "a", "a", 98)
    add("train", "s1", "a", "b", 2)
    add("train", "s1", "b", "b", 100)
    add("train", "s1", "c", "c", 20)
    add("train-dev", "s1", "a", "a", 19)
    add("train-dev", "s1", "a", "c", 1)
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", [f"e{i}" for i in range(len(frame))])
    del rng
    return frame
