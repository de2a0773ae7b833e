"""``error_report``: everything ``orthotune errors`` finds in one predictions file.

The error analysis of the dev rows (classes, confusions, ceilings, tags), the mismatch levels by
split and source, and the class balance of the training rows (or of every row when the file has
no split column). Persisted by part: ``RUN_DIR/analysis/errors.json``,
``imbalance.json`` and ``mismatch.json``.
"""

from __future__ import annotations

from pydantic import Field

from orthotune._result import Result
from orthotune.analysis._attribution import SaliencyReport
from orthotune.analysis._errors import ErrorAnalysis, analyze_errors
from orthotune.analysis._imbalance import ImbalanceReport, detect_imbalance
from orthotune.analysis._mismatch import MismatchReport, mismatch_from_predictions
from orthotune.analysis._predictions import Predictions

SCHEMA_VERSION = 1


class ErrorReport(Result):
    """The result of ``orthotune errors``."""

    schema_version: int = SCHEMA_VERSION
    source: str
    errors: ErrorAnalysis
    mismatch: MismatchReport | None = None
    imbalance: ImbalanceReport
    saliency: SaliencyReport | None = None  # with --saliency: where the model looks
    notes: list[str] = Field(default_factory=list)  # how these rows relate to the run's figures


def error_report(
    preds: Predictions,
    *,
    source: str = "",
    tags: dict[str, list[str]] | None = None,
    split: str | None = None,
) -> ErrorReport:
    """Error analysis, mismatch levels and class balance of ``preds``."""
    train = preds.select(preds.split == "train") if preds.split is not None else preds
    counted = "train"
    if len(train) == 0 or preds.split is None:
        train, counted = preds, "all"
    imbalance = detect_imbalance(train.y_true, preds.class_names)
    return ErrorReport(
        source=source,
        errors=analyze_errors(preds, tags=tags, split=split),
        mismatch=mismatch_from_predictions(preds),
        imbalance=imbalance.model_copy(update={"counted": counted}),
    )
