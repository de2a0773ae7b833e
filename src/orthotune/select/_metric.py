"""A single-number metric, chosen by name, and which way is better.

Names say direction (STYLE.md): ``*_error`` (``error_rate``, ``Error (%)``,
``misclassification_rate``, ``false_positive_rate``), ``*_loss``, ``*_ms``, ``*_s``, ``*_seconds``,
``*_time``, ``*_latency``, ``params``, ``*_bytes``, ``*_mb``, ``flops`` are lower-better;
scores (``accuracy``, precision, recall, F, averages, ``*_score``) are higher-better. Rates
(scores and errors) are fractions; quantities such as ``latency_ms`` or ``params`` are plain
numbers.

The metrics of a :class:`~orthotune.metrics.ClassificationReport` by name:
``accuracy``, ``error``, ``balanced_accuracy`` (= macro recall) and
``{macro,micro,weighted,harmonic}_{precision,recall,fbeta}`` (``…_f1`` when beta is 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from orthotune._errors import InvalidInputError
from orthotune.metrics import ClassificationReport

__all__ = [
    "REPORT_METRICS",
    "Direction",
    "canonical_name",
    "direction_of",
    "is_rate",
    "metric_value",
    "resolve_metric",
]


class Direction(StrEnum):
    """Which way a metric is better."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


_UNITS = (
    "ms|us|s|sec|seconds|minutes|hours|time|latency|params|parameters|bytes|kb|mb|gb|flops"
    # what a model costs to run: money, energy, memory
    "|cost|price|usd|eur|gbp|dollars|euros|energy|joules|wh|kwh|co2|memory|ram"
)
# an error however a spreadsheet heads it: "Error rate", "misclassification_rate"
_ERRORS = (
    r"(error|errors|misclassification|miss)(_rate|_pct|_percent)?|false_(positive|negative)_rate"
)
_LOWER_BETTER = re.compile(rf"(^|_)({_ERRORS}|loss|{_UNITS})$")
# quantities that are no rates, higher better: throughput
_SPEEDS = "throughput|qps|fps|rps|per_second|per_s"
_NOT_RATE = re.compile(rf"(^|_)(loss|{_UNITS}|{_SPEEDS}|count)$")

_AVERAGES = ("macro", "micro", "weighted", "harmonic")
_SCORES = ("precision", "recall", "fbeta", "f1")

#: Every metric a ClassificationReport answers, by name.
REPORT_METRICS: tuple[str, ...] = (
    "accuracy",
    "error",
    "balanced_accuracy",
    *(f"{a}_{s}" for a in _AVERAGES for s in _SCORES),
)


def canonical_name(name: str) -> str:
    """Column and metric names compare as lower case with ``_`` for spaces, dashes and the
    brackets around a unit: a spreadsheet's ``Latency (ms)`` is ``latency_ms``; a rate's ``%``
    goes (``Accuracy (%)`` is ``accuracy``)."""
    spaced = name.strip().replace("%", " ")  # a rate's unit: "Error (%)" is error
    return re.sub(r"[\s\-()\[\]]+", "_", spaced).strip("_").lower()


def direction_of(name: str) -> Direction:
    """``MINIMIZE`` for errors, losses, times and sizes; ``MAXIMIZE`` for scores."""
    return Direction.MINIMIZE if _LOWER_BETTER.search(canonical_name(name)) else Direction.MAXIMIZE


def is_rate(name: str) -> bool:
    """Whether values of this metric are rates (fractions in [0, 1], written 3.5% or 0.035)."""
    return not _NOT_RATE.search(canonical_name(name))


def resolve_metric(name: str, accepted: Iterable[str]) -> str:
    """The accepted name ``name`` refers to (case and spaces ignored), or a one-line error."""
    options = list(dict.fromkeys(accepted))
    wanted = canonical_name(name)
    for option in options:
        if canonical_name(option) == wanted:
            return option
    raise InvalidInputError(
        f"unknown metric {name!r}: accepted are {', '.join(options)}; pick one of them"
    )


def metric_value(report: ClassificationReport, name: str) -> float:
    """The single number ``name`` of a classification report (see ``REPORT_METRICS``)."""
    key = resolve_metric(name, REPORT_METRICS)
    if key == "accuracy":
        return report.accuracy
    if key == "error":
        return report.error
    if key == "balanced_accuracy":
        return report.macro.recall
    average, score = key.split("_")
    if score == "f1":
        if report.beta != 1.0:
            raise InvalidInputError(
                f"metric {name!r} asks for F1 but the report holds F_beta with beta "
                f"{report.beta:g}: use {average}_fbeta or compute the report with beta=1"
            )
        score = "fbeta"
    return getattr(getattr(report, average), score)
