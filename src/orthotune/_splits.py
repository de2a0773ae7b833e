"""The four parts of a data set, in the lecture's order, and the other names files give them.

A ``split`` column (``--split-col``, an NPZ file's ``split`` array, a predictions file) and an
image folder's part folders may write a part as ``Train``, ``validation``, ``val`` or
``testing`` (Hugging Face's and Kaggle's names); each is read as its part, in any case."""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "train-dev", "dev", "test")
ALIASES = {
    "training": "train",
    "train_dev": "train-dev",
    "traindev": "train-dev",
    "validation": "dev",
    "valid": "dev",
    "val": "dev",
    "testing": "test",
}


def split_names(values: np.ndarray) -> np.ndarray:
    """Each value as its part's name (stripped, lower case, an alias resolved); a value that
    names no part stays as written, in lower case, for the caller's one-line refusal."""
    text = [str(v).strip().lower() for v in values]
    return np.array([ALIASES.get(v, v) for v in text], dtype=object)
