"""Arbitrary labels (strings, sparse integers) to class codes ``0 … k-1``.

The class list defaults to the sorted labels seen in ``y_true``; a label predicted but never
seen among the true labels is refused and listed — usually a spelling or type mismatch
(``"1"`` vs ``"1.0"``, ``"Cat"`` vs ``"cat"``) rather than a real class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from orthotune._errors import InvalidInputError

__all__ = ["EncodedLabels", "encode_labels", "label_keys", "plain_integer"]

_SHOWN = 10  # unknown labels listed in an error message


class EncodedLabels(NamedTuple):
    """Codes into ``classes`` (``classes[code]`` is the label as text)."""

    y_true: np.ndarray
    y_pred: np.ndarray | None
    classes: list[str]


def _as_labels(values: Any, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} has shape {arr.shape}: give one label per example")
    if arr.dtype.kind == "O":
        arr = arr.astype(str)
    if arr.dtype.kind == "f":
        if np.isnan(arr).any():
            raise InvalidInputError(
                f"{name} holds missing labels (NaN): give a label for every example"
            )
        if np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
    return arr


def _listed(values: np.ndarray) -> str:
    shown = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:_SHOWN])
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return shown + more


def _lookup(sorted_classes: np.ndarray, order: np.ndarray, values: np.ndarray):
    """Codes of ``values`` in the original class order, and the values not among the classes."""
    idx = np.searchsorted(sorted_classes, values)
    np.minimum(idx, len(sorted_classes) - 1, out=idx)
    known = sorted_classes[idx] == values
    unknown = np.unique(values[~known]) if not known.all() else values[:0]
    return order[idx], unknown


def encode_labels(
    y_true: Any,
    y_pred: Any = None,
    *,
    classes: Sequence[Any] | None = None,
) -> EncodedLabels:
    """Map labels to codes ``0 … k-1`` (``classes`` fixes the order; default: sorted ``y_true``).

    Raises InvalidInputError listing the labels of ``y_pred`` (or ``y_true`` when ``classes``
    is given) that are not classes.
    """
    t = _as_labels(y_true, "y_true")
    p = None if y_pred is None else _as_labels(y_pred, "y_pred")
    if classes is None:
        cls, codes_true = np.unique(t, return_inverse=True)
        order = np.arange(len(cls))
        sorted_cls = cls
    else:
        cls = np.asarray(list(classes))
        if cls.size == 0:
            raise InvalidInputError("classes is empty: give at least one class label")
        if len(np.unique(cls)) != len(cls):
            raise InvalidInputError(f"classes {list(cls)} repeat a label: give each class once")
        codes_true = None
    textual = any(a.dtype.kind in "US" for a in (t, cls) + (() if p is None else (p,)))
    if textual:  # compare as text when any side is text
        t = t.astype(str)
        cls = cls.astype(str)
        p = None if p is None else p.astype(str)
    if classes is not None or textual:
        order = np.argsort(cls, kind="stable")
        sorted_cls = cls[order]
        if codes_true is None:
            codes_true, unknown = _lookup(sorted_cls, order, t)
            if unknown.size:
                raise InvalidInputError(
                    f"y_true holds labels that are not classes: {_listed(unknown)}; accepted "
                    f"classes are {_listed(cls)}: fix the labels or the class list"
                )
    codes_pred = None
    if p is not None:
        if p.shape != t.shape:
            raise InvalidInputError(
                f"y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}: give one "
                "prediction per true label"
            )
        codes_pred, unknown = _lookup(sorted_cls, order, p)
        if unknown.size:
            seen = "the true labels" if classes is None else "the classes"
            raise InvalidInputError(
                f"y_pred holds labels never seen in {seen}: {_listed(unknown)} (classes: "
                f"{_listed(cls)}); check their spelling and type (e.g. '1' vs '1.0')"
            )
    names = [str(c.item() if hasattr(c, "item") else c) for c in cls]
    return EncodedLabels(codes_true.astype(np.intp, copy=False), codes_pred, names)


def plain_integer(name: str) -> bool:
    """``"12"`` or ``"-1"``, not ``"007"``, ``"+1"`` or ``"1.0"`` (codes kept as written)."""
    try:
        return str(int(name)) == name
    except ValueError:
        return False


def label_keys(values: Any) -> list[str]:
    """Labels as comparable text: a number by its value (``1``, ``1.0`` and ``"1"`` alike),
    a boolean as ``True``/``False``, anything else as its stripped text."""
    out = []
    for v in np.asarray(values, dtype=object).tolist():
        if isinstance(v, bool | np.bool_):
            out.append(str(bool(v)))
            continue
        text = str(v).strip()
        if plain_integer(text.lstrip("+")):  # exactly, beyond float's 2**53 too
            out.append(str(int(text)))
            continue
        try:
            number = float(text)
        except ValueError:
            out.append(text)
            continue
        out.append(str(int(number)) if number.is_integer() else repr(number))
    return out
