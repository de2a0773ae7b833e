"""The confusion matrix, in one ``bincount``.

Rows are true classes, columns predicted classes: ``cm[t, p]`` counts (or sums the weights of)
the examples of class ``t`` predicted as ``p``. Every score in :mod:`orthotune.metrics` is a
closed form of this matrix, so the data is read once: one validation pass (the largest code of
each array, read through an unsigned view so that a negative code shows up as a huge one), then
one fused ``bincount`` over ``y_true * k + y_pred``.

Inputs are integer class codes ``0 … k-1`` (numpy arrays, anything ``np.asarray`` takes, or torch
tensors — a tensor is counted with ``torch.bincount`` on its own device, so predictions on a GPU
never travel to the host). Arbitrary labels (strings, sparse integers) are turned into codes
first by :func:`orthotune.metrics.encode_labels`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orthotune._errors import InvalidInputError

__all__ = ["MAX_CLASSES", "confusion_matrix"]

#: The largest number of classes inferred from codes (a k x k matrix of this size is 800 MB).
MAX_CLASSES = 10_000


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def _codes(values: Any, name: str) -> np.ndarray:
    """The array itself when it already holds integer codes (no copy), validated for shape/kind."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidInputError(
            f"{name} has shape {arr.shape}: give a 1-D array of class codes, one per example"
        )
    if arr.dtype.kind == "b":
        return arr.view(np.uint8)
    if arr.dtype.kind not in "iu":
        raise InvalidInputError(
            f"{name} has dtype {arr.dtype}: give integer class codes 0..k-1, "
            "or encode arbitrary labels first with orthotune.metrics.encode_labels"
        )
    return arr


def _largest_code(arr: np.ndarray, name: str) -> int:
    """One pass: the largest code; a negative code is refused (it reads as huge unsigned)."""
    if arr.dtype.kind == "u":
        return int(arr.max())
    unsigned = arr.view(np.dtype(arr.dtype.str.replace("i", "u")))  # same bytes, same order
    top = int(unsigned.max())
    if top >= 2 ** (8 * arr.dtype.itemsize - 1):
        raise InvalidInputError(
            f"{name} holds negative class codes: give codes 0..k-1, "
            "or encode arbitrary labels first with orthotune.metrics.encode_labels"
        )
    return top


def _check_classes(largest: int, n_classes: int | None, names: tuple[str, str]) -> int:
    if n_classes is None:
        k = largest + 1
        if k > MAX_CLASSES:
            raise InvalidInputError(
                f"class code {largest} implies {k} classes (at most {MAX_CLASSES} are inferred): "
                "give codes 0..k-1 or pass n_classes / labels explicitly"
            )
        return k
    if n_classes < 1:
        raise InvalidInputError(f"n_classes {n_classes} is not positive: give at least 1 class")
    if largest >= n_classes:
        raise InvalidInputError(
            f"{' or '.join(names)} holds class code {largest} but there are only {n_classes} "
            f"classes (codes 0..{n_classes - 1}): pass the full label list"
        )
    return n_classes


def _weights(sample_weight: Any, n: int) -> np.ndarray:
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):
        raise InvalidInputError(
            f"sample_weight has shape {w.shape} but there are {n} examples: "
            "give one non-negative weight per example"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidInputError(
            "sample_weight holds negative or non-finite values: give finite weights >= 0"
        )
    return w


def confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    n_classes: int | None = None,
    sample_weight: Any = None,
) -> np.ndarray:
    """The ``k x k`` confusion matrix of integer class codes (rows true, columns predicted).

    ``n_classes`` defaults to the largest code + 1. Counts are int64; with ``sample_weight``
    the cells are float64 sums of weights. Torch tensors are counted on their device and the
    small matrix comes back as a numpy array.
    """
    if _is_torch(y_true) or _is_torch(y_pred):
        return _confusion_torch(y_true, y_pred, n_classes=n_classes, sample_weight=sample_weight)
    t = _codes(y_true, "y_true")
    p = _codes(y_pred, "y_pred")
    if t.shape != p.shape:
        raise InvalidInputError(
            f"y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}: give one prediction "
            "per true label"
        )
    if t.size == 0:
        raise InvalidInputError("y_true and y_pred are empty: give at least one prediction")
    k = _check_classes(
        max(_largest_code(t, "y_true"), _largest_code(p, "y_pred")), n_classes, ("y_true", "y_pred")
    )
    # One fused index per example: t * k + p (a single intp buffer, filled in place).
    codes = np.multiply(t, k, dtype=np.intp)
    codes += p
    w = None if sample_weight is None else _weights(sample_weight, t.shape[0])
    return np.bincount(codes, weights=w, minlength=k * k).reshape(k, k)


def _confusion_torch(
    y_true: Any, y_pred: Any, *, n_classes: int | None, sample_weight: Any
) -> np.ndarray:
    import torch

    t = torch.as_tensor(y_true)
    p = torch.as_tensor(y_pred, device=t.device)
    for name, x in (("y_true", t), ("y_pred", p)):
        if x.ndim != 1:
            raise InvalidInputError(
                f"{name} has shape {tuple(x.shape)}: give a 1-D tensor of class codes"
            )
        if x.dtype.is_floating_point or x.dtype.is_complex:
            raise InvalidInputError(
                f"{name} has dtype {x.dtype}: give integer class codes 0..k-1 "
                "(e.g. logits.argmax(1)), or encode labels with orthotune.metrics.encode_labels"
            )
    if t.shape != p.shape:
        raise InvalidInputError(
            f"y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}: give one prediction "
            "per true label"
        )
    if t.numel() == 0:
        raise InvalidInputError("y_true and y_pred are empty: give at least one prediction")
    lows_highs = [torch.aminmax(x.long() if x.dtype == torch.bool else x) for x in (t, p)]
    if min(int(lh.min) for lh in lows_highs) < 0:
        raise InvalidInputError("y_true or y_pred holds negative class codes: give codes 0..k-1")
    k = _check_classes(max(int(lh.max) for lh in lows_highs), n_classes, ("y_true", "y_pred"))
    codes = t.long() * k + p.long()
    w = None
    if sample_weight is not None:
        w = torch.as_tensor(sample_weight, dtype=torch.float64, device=t.device)
        if w.shape != t.shape or not bool(torch.isfinite(w).all()) or bool((w < 0).any()):
            raise InvalidInputError(
                "sample_weight must hold one finite weight >= 0 per example: fix the weights"
            )
    cm = torch.bincount(codes, weights=w, minlength=k * k).reshape(k, k)
    return cm.cpu().numpy()
