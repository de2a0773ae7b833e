"""Evaluate a predictions table (any framework's) per split, then diagnose it.

The table follows DESIGN.md's predictions format: ``y_true`` (required), ``y_pred`` and/or one
``p_<class>`` probability column per class (rows summing to 1), optional ``split`` (train,
train-dev, dev, test), optional ``source`` and ``id``. Classes are the ``p_`` columns' names when
present, else the labels seen in ``y_true``; a predicted label that is not a class is refused.
Each split gets a classification report (one confusion matrix) and, with probabilities, a
confidence summary; with a train and a dev split the error levels are diagnosed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate
from orthotune._result import Result
from orthotune._splits import SPLITS, split_names
from orthotune._tables import alike_key
from orthotune.diagnose._diagnosis import Diagnosis, diagnose, parse_tolerance
from orthotune.diagnose._levels import ErrorLevels, Level
from orthotune.diagnose._verdict import DEFAULT_TOLERANCE
from orthotune.metrics import (
    ClassificationReport,
    ConfidenceSummary,
    check_probabilities,
    confidence_summary,
    confusion_matrix,
    encode_labels,
    probability_columns,
    report_from_confusion,
)

logger = logging.getLogger(__name__)

__all__ = ["SPLITS", "Evaluation", "SplitEvaluation", "evaluate_predictions"]

SCHEMA_VERSION = 1


class SplitEvaluation(BaseModel):
    """Scores of one split (``all`` when the table has no split column)."""

    model_config = ConfigDict(frozen=True)

    split: str
    n: int
    report: ClassificationReport
    confidence: ConfidenceSummary | None = None
    sources: dict[str, Level] = Field(default_factory=dict, description="error per source")


class Evaluation(Result):
    """Per-split metrics of a predictions table and, with train and dev splits, a diagnosis."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    classes: list[str]
    splits: list[SplitEvaluation]
    diagnosis: Diagnosis | None = None
    notes: list[str] = Field(default_factory=list)


class _IdNames:
    """Row names made only when an error names a row (no 10 M strings up front)."""

    def __init__(self, ids: np.ndarray) -> None:
        self._ids = ids

    def __getitem__(self, i: int) -> str:
        return f"id {self._ids[i]}"

    def __len__(self) -> int:
        return len(self._ids)


def _column(table: Any, name: str) -> np.ndarray:
    return np.asarray(table[name])


def _as_number(label: str) -> float | None:
    try:
        return float(label)
    except ValueError:
        return None


def _predicted_classes(y_true: np.ndarray, y_pred: np.ndarray) -> list | None:
    """The classes when no p_<class> column names them: None (those of y_true) when y_pred
    predicts only those; else y_true's and the ones a model predicted that no true label
    has (a 3-class model scored on a test set without its third class), with a warning — a
    label that is a true one written as another number (``1.0`` for ``1``) stays refused."""
    true = {str(v) for v in y_true.tolist()}
    extra = sorted({str(v) for v in y_pred.tolist()} - true)
    if not extra:
        return None
    numbers = {_as_number(t) for t in true} - {None}
    if any(_as_number(e) in numbers for e in extra):
        return None  # encode_labels names the labels, their spelling and type
    keys = {alike_key(t): t for t in true}
    alike = [f"{e!r} (y_true: {keys[alike_key(e)]!r})" for e in extra if alike_key(e) in keys]
    if alike:  # UCI adult's test file: "<=50K." where the model says "<=50K" — all "wrong"
        raise InvalidInputError(
            f"y_pred holds label(s) that y_true writes otherwise (case, a final '.', spaces): "
            f"{', '.join(alike[:5])}: write each label one way in both columns"
        )
    logger.warning(
        "y_pred holds %d label(s) that no true label has (%s): scored as classes without a "
        "true example; if a label is misspelled, fix it",
        len(extra),
        ", ".join(map(repr, extra[:5])),
    )
    return sorted(true | set(extra))


_KNOWN = ("y_true", "y_pred", "split", "source", "id")


def _known_names(table: Any) -> Any:
    """The table with its known columns found whatever their case and spaces (a spreadsheet's
    ``Split`` or ``Y_True``: a ``Split`` column was taken for no split, and nothing said so);
    a name written exactly wins over one that only matches so."""
    names = [str(c) for c in table]
    found = {}
    for c in names:
        key = c.strip().lower().replace(" ", "_").replace("-", "_")
        if key in _KNOWN and key not in names and key not in found:
            found[key] = c
    if not found:
        return table
    renamed = {v: k for k, v in found.items()}
    return {renamed.get(str(c), str(c)): table[c] for c in table}


def _check_cells(values: np.ndarray, name: str) -> None:
    """One label (or split, or source) per cell: a Parquet list or array cell is refused in
    one line (numpy's "setting an array element with a sequence" was an internal error)."""
    if values.dtype.kind != "O":
        return
    nested = (list, tuple, dict, np.ndarray)
    bad = next((i for i, v in enumerate(values.tolist()) if isinstance(v, nested)), None)
    if bad is not None:
        raise InvalidInputError(
            f"{name} holds a {type(values[bad]).__name__} at row {bad}: give one value per cell"
        )


def _empty(values: np.ndarray) -> np.ndarray:
    """Cells with no label: empty, or a missing value as a table writes it."""
    text = np.char.strip(values.astype(str))
    return (text == "") | (text == "nan") | (text == "None") | (text == "<NA>")


def _labelled(table: Any, columns: list[str]) -> tuple[Any, np.ndarray | None]:
    """The rows that have a y_true, as ``{column: values}``, and which rows those are (``predict``
    leaves y_true empty on rows without a label); the table itself (None) when every row has
    one.
    A labelled row without a y_pred is refused in one line (it read as a class named 'nan')."""
    empty = _empty(_column(table, "y_true"))
    if "y_pred" in columns:
        unpredicted = np.flatnonzero(_empty(_column(table, "y_pred")) & ~empty)
        if unpredicted.size:
            raise InvalidInputError(
                f"y_pred is empty in {unpredicted.size} labelled row(s), the first at row "
                f"{unpredicted[0]}: give every row its predicted label (or drop y_pred and "
                "give p_<class> columns)"
            )
    if not empty.any() or empty.all():  # none: nothing to evaluate, said by the label check
        return table, None
    return {c: _column(table, c)[~empty] for c in columns}, ~empty


def _splits(values: np.ndarray) -> np.ndarray:
    text = split_names(values)
    unknown = sorted(set(np.unique(text).tolist()) - set(SPLITS))
    if unknown:
        raise InvalidInputError(
            f"split column holds {unknown}: accepted values are {', '.join(SPLITS)}; "
            "rename those splits"
        )
    return text


def _disagreement(
    proba: np.ndarray, y_pred: np.ndarray, classes: list[str], file_rows: np.ndarray
) -> list[str]:
    """A note when ``y_pred`` is not the class of the largest ``p_<class>`` on some rows:
    accuracy is scored from y_pred, confidence and calibration from the p_ columns (a sweep's
    file with swapped p_ columns showed accuracy 14 % beside "confidence 90 %, ECE 5.59 %")."""
    rows = np.arange(len(y_pred))
    off = np.flatnonzero(proba[rows, y_pred] < proba.max(axis=1) - 1e-6)
    if not off.size:
        return []
    i = int(off[0])
    said, largest = classes[int(y_pred[i])], classes[int(proba[i].argmax())]
    return [
        f"y_pred is not the class of the largest p_<class> in {off.size} of {len(y_pred)} "
        f"scored row(s) (the first at row {int(file_rows[i])}: y_pred {said!r}, largest "
        f"p_{largest}): accuracy and the report come from y_pred, "
        "confidence and calibration from the p_ columns; unless y_pred came from a decision "
        "threshold, check that both columns come from the same model and that the p_ columns "
        "are named for their classes"
    ]


def evaluate_predictions(
    table: Mapping[str, Any] | Any,
    *,
    human_error: float | str | None = None,
    bayes_error: float | str | None = None,
    beta: float = 1.0,
    positive_class: Any = None,
    tolerance: float | str = DEFAULT_TOLERANCE,
    zero_division: float = 0.0,
) -> Evaluation:
    """Evaluate a predictions table given as columns (a pandas DataFrame or ``{name: values}``)."""
    if not (isinstance(table, Mapping) or hasattr(table, "columns")):
        raise InvalidInputError(
            f"the predictions are a {type(table).__name__}; accepted: a CSV/Parquet path, a "
            "pandas DataFrame or {column: values} with y_true and y_pred (or p_<class>) columns"
        )
    for flag, rate in (("--human-error", human_error), ("--bayes-error", bayes_error)):
        if rate is not None:  # checked whether or not a diagnosis comes to use it
            parse_rate(rate, name=flag)
    parse_tolerance(tolerance)
    table = _known_names(table)
    columns = [str(c) for c in table]
    if "y_true" not in columns:
        raise InvalidInputError(
            f"the predictions have no y_true column (columns: {', '.join(columns)}): evaluate "
            "needs the true labels; add a y_true column"
        )
    p_cols = [c for c in columns if c.startswith("p_")]
    if "y_pred" not in columns and not p_cols:
        raise InvalidInputError(
            f"the predictions have neither y_pred nor p_<class> columns (columns: "
            f"{', '.join(columns)}): add the predicted labels or one probability column per class"
        )
    if not len(_column(table, "y_true")):
        raise InvalidInputError("the predictions hold no rows: give a table with scored rows")
    for name in ("y_true", "y_pred", "split", "source"):
        if name in columns:
            _check_cells(_column(table, name), name)
    proba = None
    classes = None
    if p_cols:  # checked on every row, so that a refusal names the row of the file
        ids = _column(table, "id") if "id" in columns else None
        proba = check_probabilities(
            probability_columns(
                {c: _column(table, c) for c in p_cols},
                row_names=None if ids is None else _IdNames(ids),
            ),
            row_names=None if ids is None else _IdNames(ids),
        )
        classes = [c[2:] for c in p_cols]
    table, kept = _labelled(table, columns)
    unlabelled = 0 if kept is None else int(len(kept) - kept.sum())
    if proba is not None and kept is not None:
        proba = proba[kept]
    y_true = _column(table, "y_true")
    if "y_pred" in columns:
        y_pred = _column(table, "y_pred")
    else:
        y_pred = np.asarray(classes)[proba.argmax(axis=1)]
    if classes is None:
        classes = _predicted_classes(y_true, y_pred)
    enc = encode_labels(y_true, y_pred, classes=classes)
    k = len(enc.classes)

    if "split" in columns:
        split_of = _splits(_column(table, "split"))
        order = [s for s in SPLITS if np.any(split_of == s)]
    else:
        split_of, order = None, ["all"]
    source_of = _column(table, "source").astype(str) if "source" in columns else None

    splits: list[SplitEvaluation] = []
    for split in order:
        mask = slice(None) if split_of is None else split_of == split
        t, p = enc.y_true[mask], enc.y_pred[mask]
        report = report_from_confusion(
            confusion_matrix(t, p, n_classes=k),
            labels=enc.classes,
            beta=beta,
            positive_class=positive_class,
            zero_division=zero_division,
        )
        conf = None if proba is None else confidence_summary(proba[mask], t)
        sources = {}
        if source_of is not None:
            src = source_of[mask]
            wrong = t != p
            for s in np.unique(src).tolist():
                m = src == s
                sources[s] = Level(error=float(wrong[m].mean()), n=int(m.sum()))
        splits.append(
            SplitEvaluation(
                split=split, n=int(t.shape[0]), report=report, confidence=conf, sources=sources
            )
        )

    by_split = {s.split: s for s in splits}
    notes: list[str] = []
    if unlabelled:
        notes.append(f"{unlabelled} row(s) without y_true (rows to predict) are not scored")
    if proba is not None and "y_pred" in columns:
        file_rows = np.arange(len(enc.y_pred)) if kept is None else np.flatnonzero(kept)
        notes.extend(_disagreement(proba, enc.y_pred, enc.classes, file_rows))
    diagnosis = None
    if "train" in by_split and "dev" in by_split:

        def error(name: str) -> float | None:
            return by_split[name].report.error if name in by_split else None

        def size(name: str) -> int | None:
            return by_split[name].n if name in by_split else None

        dev_sources = by_split["dev"].sources
        levels = ErrorLevels.from_rates(
            human_error=human_error,
            bayes_error=bayes_error,
            train_error=error("train"),
            train_dev_error=error("train-dev"),
            dev_error=error("dev"),
            test_error=error("test"),
            train_size=size("train"),
            train_dev_size=size("train-dev"),
            dev_size=size("dev"),
            test_size=size("test"),
            dev_sources={s: (lv.error, lv.n) for s, lv in dev_sources.items()}
            if len(dev_sources) > 1
            else None,
        )
        diagnosis = diagnose(levels, tolerance=tolerance)
        unseen = sorted(set(dev_sources) - set(by_split["train"].sources))
        if unseen and "train-dev" not in by_split:  # the lecture's case for a train-dev set
            notes.append(
                f"dev holds source(s) train has none of ({', '.join(unseen)}): dev − train then "
                "mixes variance with data mismatch, and the 'variance' above is both; give "
                "train-dev rows (train's distribution, not trained on) to tell them apart"
            )
    else:
        notes.append(
            "no diagnosis: it needs a split column with train and dev rows "
            f"(found: {', '.join(order)})"
        )
    return Evaluation(classes=enc.classes, splits=splits, diagnosis=diagnosis, notes=notes)
