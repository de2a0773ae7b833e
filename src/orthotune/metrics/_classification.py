"""Every classification score as a closed form of one confusion matrix.

Per class (the lecture's formulas, ``cm`` rows true, columns predicted)::

    precision = TP / (TP + FP)            recall = TP / (TP + FN)
    F_beta    = (1 + b²)·TP / ((1 + b²)·TP + b²·FN + FP)      (= 2 / (1/P + 1/R) for b = 1)
    accuracy  = trace(cm) / sum(cm)

Averages across classes: ``macro`` (plain mean over classes), ``micro`` (scores of the pooled
counts; equals accuracy when every class is counted), ``weighted`` (mean weighted by support)
and ``harmonic`` — the lecture's *harmonic mean across classes* ``k / Σ 1/s_c`` of any per-class
score (0 when any class scores 0). :func:`class_average` and :func:`harmonic_mean` apply to any
list of per-class scores (e.g. a table of per-class accuracies).

Zero division: a score whose denominator is 0 (precision of a class never predicted, recall of
a class absent from ``y_true``, F of a class absent from both) takes the explicit
``zero_division`` value (0 or 1, as scikit-learn's ``zero_division``) and is listed in
``ClassificationReport.undefined`` — never a silent NaN. The values equal scikit-learn's
``precision_recall_fscore_support(…, labels=range(k), zero_division=…)`` (the tests use it as
the oracle); when every class weight is zero the weighted average falls back to the plain mean,
as scikit-learn's does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune.metrics._confusion import _is_torch, confusion_matrix
from orthotune.metrics._labels import encode_labels

__all__ = [
    "Averages",
    "ClassScores",
    "ClassificationReport",
    "class_average",
    "classification_report",
    "fbeta_from_precision_recall",
    "harmonic_mean",
    "report_from_confusion",
]

SCHEMA_VERSION = 1


class ClassScores(BaseModel):
    """Scores of one class (rates as fractions); ``support`` = true examples (or their weight)."""

    model_config = ConfigDict(frozen=True)

    label: str
    precision: float
    recall: float
    fbeta: float
    support: float


class Averages(BaseModel):
    """Precision, recall and F_beta averaged across classes one way."""

    model_config = ConfigDict(frozen=True)

    precision: float
    recall: float
    fbeta: float


class ClassificationReport(BaseModel):
    """Per-class and averaged scores of one set of predictions (rates as fractions)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    labels: list[str]
    beta: float
    zero_division: float
    n: float = Field(description="examples (or their total weight)")
    sample_weighted: bool
    accuracy: float
    error: float = Field(description="1 - accuracy")
    per_class: list[ClassScores]
    macro: Averages
    micro: Averages
    weighted: Averages
    harmonic: Averages = Field(description="harmonic mean across classes (the lecture's)")
    positive_class: str | None = None
    binary: ClassScores | None = Field(
        default=None, description="scores of the positive class when one was chosen"
    )
    undefined: list[str] = Field(
        default_factory=list,
        description="scores whose denominator was 0 and which took the zero_division value",
    )
    confusion: list[list[float]] = Field(description="rows true class, columns predicted")

    def scores(self, name: Literal["precision", "recall", "fbeta", "support"]) -> list[float]:
        """One per-class score as a list in label order."""
        return [getattr(c, name) for c in self.per_class]


def class_average(scores: Sequence[float] | np.ndarray) -> float:
    """The plain (arithmetic) mean of per-class scores."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        raise InvalidInputError("no per-class scores to average: give at least one class")
    return float(s.mean())


def harmonic_mean(scores: Sequence[float] | np.ndarray) -> float:
    """``k / Σ 1/s_c`` — the lecture's harmonic mean across classes; 0 when any score is 0."""
    s = np.asarray(scores, dtype=np.float64)
    if s.size == 0:
        raise InvalidInputError("no per-class scores to average: give at least one class")
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise InvalidInputError(
            f"per-class scores {s.tolist()} hold negative or non-finite values: "
            "the harmonic mean takes scores >= 0"
        )
    if np.any(s == 0):
        return 0.0
    return float(s.size / np.sum(1.0 / s))


def fbeta_from_precision_recall(precision: float, recall: float, *, beta: float = 1.0) -> float:
    """``(1 + b²)·P·R / (b²·P + R)`` — F1 is the harmonic mean of precision and recall."""
    _check_beta(beta)
    b2 = beta * beta
    denom = b2 * precision + recall
    return 0.0 if denom == 0 else (1 + b2) * precision * recall / denom


def _check_beta(beta: float) -> None:
    try:
        ok = math.isfinite(float(beta)) and float(beta) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidInputError(
            f"beta {beta!r} is not a positive finite number: give e.g. 1 (F1), 2 (recall "
            "counts twice as much) or 0.5"
        )


def _divide(num: np.ndarray, den: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """``num / den`` with ``fill`` where ``den == 0``; also the mask of those places."""
    zero = den == 0
    if not zero.any():
        return num / den, zero
    out = num / np.where(zero, 1, den)
    out[zero] = fill
    return out, zero


def report_from_confusion(
    cm: Any,
    *,
    labels: Sequence[Any] | None = None,
    beta: float = 1.0,
    positive_class: Any = None,
    zero_division: float = 0.0,
    sample_weighted: bool | None = None,
) -> ClassificationReport:
    """Every score of a ``k x k`` confusion matrix (rows true, columns predicted)."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise InvalidInputError(
            f"confusion matrix has shape {cm.shape}: give a square k x k matrix (k >= 1)"
        )
    k = cm.shape[0]
    _check_beta(beta)
    if zero_division not in (0, 1):
        raise InvalidInputError(
            f"zero_division {zero_division!r} is not accepted: give 0 or 1 (the value a score "
            "takes when its denominator is 0)"
        )
    names = [str(i) for i in range(k)] if labels is None else [str(x) for x in labels]
    if len(names) != k:
        raise InvalidInputError(
            f"{len(names)} labels given for a {k}-class confusion matrix: give one per class"
        )
    fill = float(zero_division)

    tp = np.diagonal(cm)
    pred_sum = cm.sum(axis=0)
    true_sum = cm.sum(axis=1)
    precision, p_zero = _divide(tp.astype(np.float64), pred_sum, fill)
    recall, r_zero = _divide(tp.astype(np.float64), true_sum, fill)
    b2 = float(beta) ** 2
    fbeta, f_zero = _divide((1 + b2) * tp.astype(np.float64), b2 * true_sum + pred_sum, fill)

    undefined = [f"precision of {names[c]!r} (never predicted)" for c in np.flatnonzero(p_zero)]
    undefined += [f"recall of {names[c]!r} (no true examples)" for c in np.flatnonzero(r_zero)]
    undefined += [
        f"fbeta of {names[c]!r} (neither true nor predicted)" for c in np.flatnonzero(f_zero)
    ]

    total = cm.sum()
    correct = tp.sum()
    accuracy = float(correct / total) if total else fill

    def pooled(num: Any, den: Any) -> float:
        return float(num / den) if den else fill

    micro_p = pooled(correct, pred_sum.sum())
    micro_r = pooled(correct, true_sum.sum())
    micro_den = b2 * true_sum.sum() + pred_sum.sum()
    micro = Averages(precision=micro_p, recall=micro_r, fbeta=pooled((1 + b2) * correct, micro_den))
    support_total = true_sum.sum()

    def weighted_mean(s: np.ndarray) -> float:
        if support_total == 0:  # no class has weight: the plain mean (as scikit-learn)
            return float(s.mean())
        return float(np.multiply(s, true_sum).sum() / support_total)

    weighted = Averages(
        precision=weighted_mean(precision), recall=weighted_mean(recall), fbeta=weighted_mean(fbeta)
    )
    # macro and harmonic averages over the classes that occur, as true or predicted labels
    # (scikit-learn's): a class neither in the rows nor predicted — too rare to reach test —
    # has no score to average (it made the report's table say 66 % where the headline said 88)
    occur = (true_sum + pred_sum) > 0
    if not occur.any():
        occur = np.ones_like(occur, dtype=bool)
    macro = Averages(
        precision=float(precision[occur].mean()),
        recall=float(recall[occur].mean()),
        fbeta=float(fbeta[occur].mean()),
    )
    harmonic = Averages(
        precision=harmonic_mean(precision[occur]),
        recall=harmonic_mean(recall[occur]),
        fbeta=harmonic_mean(fbeta[occur]),
    )
    support = true_sum.tolist()
    per_class = [
        ClassScores(label=names[c], precision=p, recall=r, fbeta=f, support=s)
        for c, (p, r, f, s) in enumerate(
            zip(precision.tolist(), recall.tolist(), fbeta.tolist(), support, strict=True)
        )
    ]
    binary = None
    positive = None
    if positive_class is not None:
        positive = str(positive_class)
        if positive not in names:
            raise InvalidInputError(
                f"positive class {positive!r} is not a class: accepted are {names}; "
                "give one of them"
            )
        binary = per_class[names.index(positive)]
    weighted_flag = cm.dtype.kind == "f" if sample_weighted is None else sample_weighted
    return ClassificationReport(
        labels=names,
        beta=float(beta),
        zero_division=fill,
        n=float(total),
        sample_weighted=weighted_flag,
        accuracy=accuracy,
        error=float((total - correct) / total) if total else 1.0 - accuracy,  # wrong / n
        per_class=per_class,
        macro=macro,
        micro=micro,
        weighted=weighted,
        harmonic=harmonic,
        positive_class=positive,
        binary=binary,
        undefined=undefined,
        confusion=cm.tolist(),
    )


def classification_report(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Sequence[Any] | None = None,
    n_classes: int | None = None,
    sample_weight: Any = None,
    beta: float = 1.0,
    positive_class: Any = None,
    zero_division: float = 0.0,
) -> ClassificationReport:
    """Scores of predictions: one validation pass, one ``bincount``, closed forms.

    Integer inputs are class codes ``0 … k-1`` (``k`` = ``len(labels)``, ``n_classes`` or the
    largest code + 1; ``labels`` then only names the codes). Other labels (strings, floats)
    are encoded over the sorted union of ``y_true`` and ``y_pred`` — or over ``labels`` when given.
    """
    if _is_torch(y_true) or _is_torch(y_pred) or (_is_integer(y_true) and _is_integer(y_pred)):
        k = len(labels) if labels is not None else n_classes
        cm = confusion_matrix(y_true, y_pred, n_classes=k, sample_weight=sample_weight)
        names = labels
    else:
        classes = labels
        if classes is None:
            t, p = np.asarray(y_true), np.asarray(y_pred)
            kinds = {t.dtype.kind, p.dtype.kind}
            if kinds & {"U", "S", "O"}:
                t, p = t.astype(str), p.astype(str)
            classes = np.union1d(t, p).tolist()
        enc = encode_labels(y_true, y_pred, classes=classes)
        cm = confusion_matrix(
            enc.y_true, enc.y_pred, n_classes=len(enc.classes), sample_weight=sample_weight
        )
        names = enc.classes
    return report_from_confusion(
        cm,
        labels=names,
        beta=beta,
        positive_class=positive_class,
        zero_division=zero_division,
        sample_weighted=sample_weight is not None,
    )


def _is_integer(values: Any) -> bool:
    kind = getattr(getattr(values, "dtype", None), "kind", None)
    if kind is None:
        kind = np.asarray(values).dtype.kind
    return kind in "iub"
