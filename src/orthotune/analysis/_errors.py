"""Error analysis of predictions: which classes are wrong, what fixing each would gain (ceiling).

The lecture: "Check to which classes belong incorrectly classified examples … focus your effort on
the most numerous incorrectly classified examples of one class because it can help you to
decrease the error the most (ceiling)", and "find out all possible categories of errors and count
up their occurrences" — the table of tags (too big, blurry, mislabeled …) with "% of total".

For the analysed rows (the dev split when the file has one, else every row) with n examples and
E errors: a class's error rate is its errors over its examples; its share is its errors over E;
its ceiling is the error left if every error of that class were fixed, (E − E_k)/n. A tag's
"% of total" is the share of the E errors carrying it, and its ceiling (E − E_tag)/n.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from orthotune._errors import InvalidInputError
from orthotune._splits import split_names
from orthotune._tables import csv_dialect
from orthotune.analysis._predictions import Predictions
from orthotune.metrics import confusion_matrix, top2_margin

SCHEMA_VERSION = 1
_TRUE = {"1", "1.0", "true", "yes", "y", "x"}
_FALSE = {"0", "0.0", "false", "no", "n", "", "nan", "-"}
_FREE_TEXT = {"comments", "comment", "notes", "note", "remarks"}


class ClassErrors(BaseModel):
    """Errors of one true class and the ceiling of fixing them all."""

    label: str
    n: int
    errors: int
    error_rate: float = Field(description="errors of this class / its examples")
    share_of_errors: float = Field(description="errors of this class / all errors")
    ceiling_error: float = Field(description="overall error if every error of this class is fixed")


class ConfusionPair(BaseModel):
    """How often examples of ``true_label`` were predicted as ``predicted_label``."""

    true_label: str
    predicted_label: str
    count: int
    share_of_errors: float


class Misclassified(BaseModel):
    """One wrong prediction; confidence and margin when the file holds probabilities."""

    id: str
    true_label: str
    predicted_label: str
    confidence: float | None = Field(default=None, description="probability of the prediction")
    margin: float | None = Field(default=None, description="top-1 minus top-2 probability")
    source: str | None = None


class TagRow(BaseModel):
    """One row of the lecture's error-category table."""

    tag: str
    count: int = Field(description="errors carrying this tag")
    share_of_errors: float = Field(description="the lecture's '% of total'")
    ceiling_error: float = Field(description="overall error if every error with this tag is fixed")


class ErrorAnalysis(BaseModel):
    """The error analysis of one set of predictions (persisted as analysis/errors.json)."""

    schema_version: int = SCHEMA_VERSION
    split: str = Field(description="the rows analysed: a split name or 'all'")
    n: int
    errors: int
    error_rate: float
    classes: list[ClassErrors]
    confusions: list[ConfusionPair]
    misclassified: list[Misclassified]
    misclassified_total: int
    tags: list[TagRow] = Field(default_factory=list)
    untagged_errors: int | None = None

    def ceiling_sentence(self, label: str) -> str:
        """'if every error of class k were fixed, dev error would fall from X to Y'."""
        row = next(c for c in self.classes if c.label == label)
        return (
            f"if every error of class {label} were fixed, {self.split} error would fall from "
            f"{self.error_rate:.2%} to {row.ceiling_error:.2%}"
        )


def read_tags(path: str | Path, *, known_ids: np.ndarray | None = None) -> dict[str, list[str]]:
    """A tags file: CSV with an ``id`` column and either a ``tags`` column (tags separated by
    ``;`` ``|`` or ``,``) or one column per tag holding 1/true/yes/x (the lecture's table).
    Ids not in ``known_ids`` are refused, naming a few of them."""
    import pandas as pd

    p = Path(path).expanduser()
    if not p.is_file():
        raise InvalidInputError(f"--tags {path} does not exist; accepted: a CSV file of id, tags")
    try:  # in the file's dialect (a spreadsheet's ";"-separated CSV), as every table is read
        frame = pd.read_csv(p, **csv_dialect(p).pandas(), dtype=str, keep_default_na=False)
    except Exception as err:
        raise InvalidInputError(
            f"--tags {path} could not be read as CSV ({type(err).__name__}); accepted: a CSV "
            "with an id column and a tags column"
        ) from None
    columns = [str(c) for c in frame.columns]
    named = {c.strip().lower(): c for c in columns}
    if "id" in named:  # "ID", "Id": the id column
        frame = frame.rename(columns={named["id"]: "id"})
        columns = [str(c) for c in frame.columns]
    else:
        raise InvalidInputError(
            f"--tags {path} has no id column (columns: {', '.join(columns[:8])}); accepted: "
            "id plus a tags column or one column per tag; fix: name the id column 'id'"
        )
    ids = frame["id"].astype(str).str.strip().to_numpy()
    if known_ids is not None:
        known = set(np.asarray(known_ids).astype(str).tolist())
        unknown = [i for i in dict.fromkeys(ids.tolist()) if i not in known]
        if unknown:
            few = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise InvalidInputError(
                f"--tags {path} names {len(unknown)} id(s) not in the predictions: {few}; "
                "accepted: ids of the predictions file's id column; fix: correct or drop them"
            )
    tags: dict[str, list[str]] = {}
    if "tags" in columns:
        for i, cell in zip(ids, frame["tags"].astype(str), strict=True):
            found = [t.strip() for t in re.split(r"[;|,]", cell) if t.strip()]
            tags.setdefault(i, []).extend(found)
    else:
        # the lecture's table ends with free-text Comments: no tag
        tag_cols = [c for c in columns if c != "id" and c.strip().lower() not in _FREE_TEXT]
        if not tag_cols:
            raise InvalidInputError(
                f"--tags {path} has only an id column; accepted: a tags column or one column "
                "per tag"
            )
        for c in tag_cols:
            cells = frame[c].astype(str).str.strip().str.lower()
            other = ~cells.isin(_TRUE | _FALSE)
            if other.any():  # "maybe" read as "not tagged" without a word
                row = int(np.flatnonzero(other.to_numpy())[0])
                raise InvalidInputError(
                    f"--tags {path}: column {c!r} holds {frame[c].iloc[row]!r} at id "
                    f"{ids[row]}; accepted in a tag column: 1/true/yes/y/x (tagged) or "
                    "0/false/no/n/empty (not): write one of them"
                )
            marked = cells.isin(_TRUE).to_numpy()
            for i in ids[marked]:
                tags.setdefault(i, []).append(c)
    return {i: list(dict.fromkeys(t)) for i, t in tags.items()}


def _rows(preds: Predictions, split: str | None) -> tuple[Predictions, str]:
    if preds.split is None:
        if split not in (None, "all"):
            raise InvalidInputError(
                f"--split {split}: the predictions have no split column; accepted: all"
            )
        return preds, "all"
    present = sorted(set(preds.split.tolist()))
    if split not in (None, "all"):
        split = str(split_names([split])[0])  # "validation", "Dev": dev
    if split is None:
        split = "dev" if "dev" in present else "all"
    if split == "all":
        return preds, "all"
    if split not in present:
        raise InvalidInputError(
            f"split {split!r} is not in the predictions; accepted: {', '.join(present)} or all"
        )
    return preds.select(preds.split == split), split


def analyze_errors(
    preds: Predictions,
    *,
    tags: dict[str, list[str]] | None = None,
    split: str | None = None,
    top_confusions: int = 10,
    max_examples: int = 200,
) -> ErrorAnalysis:
    """Per-class errors and ceilings, top confusions, misclassified examples and the tag table.

    ``split``: which rows (default: dev when present, else all). Misclassified examples are
    listed most confident first (confident mistakes are the likeliest label errors).
    """
    rows, name = _rows(preds, split)
    k = len(rows.class_names)
    n = len(rows)
    wrong = rows.y_true != rows.y_pred
    errors = int(wrong.sum())
    cm = confusion_matrix(rows.y_true, rows.y_pred, n_classes=k)  # [true, predicted]
    per_class_n = cm.sum(axis=1)
    per_class_err = per_class_n - np.diag(cm)
    classes = [
        ClassErrors(
            label=rows.class_names[c],
            n=int(per_class_n[c]),
            errors=int(per_class_err[c]),
            error_rate=float(per_class_err[c] / per_class_n[c]) if per_class_n[c] else 0.0,
            share_of_errors=float(per_class_err[c] / errors) if errors else 0.0,
            ceiling_error=float((errors - per_class_err[c]) / n) if n else 0.0,
        )
        for c in range(k)
    ]
    classes.sort(key=lambda c: (-c.errors, c.label))
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(-off, axis=None, kind="stable")[:top_confusions]
    confusions = [
        ConfusionPair(
            true_label=rows.class_names[i // k],
            predicted_label=rows.class_names[i % k],
            count=int(off.flat[i]),
            share_of_errors=float(off.flat[i] / errors),
        )
        for i in order
        if off.flat[i] > 0
    ]
    idx = np.flatnonzero(wrong)
    conf = margin = None
    if rows.proba is not None:
        conf = rows.proba.max(axis=1)
        margin = top2_margin(rows.proba)
        idx = idx[np.argsort(-conf[idx], kind="stable")]
    misclassified = [
        Misclassified(
            id=str(rows.ids[i]),
            true_label=rows.class_names[rows.y_true[i]],
            predicted_label=rows.class_names[rows.y_pred[i]],
            confidence=None if conf is None else float(conf[i]),
            margin=None if margin is None else float(margin[i]),
            source=None if rows.source is None else str(rows.source[i]),
        )
        for i in idx[:max_examples]
    ]
    result = ErrorAnalysis(
        split=name,
        n=n,
        errors=errors,
        error_rate=errors / n if n else 0.0,
        classes=classes,
        confusions=confusions,
        misclassified=misclassified,
        misclassified_total=errors,
    )
    if tags is not None:
        result.tags, result.untagged_errors = _tag_table(rows, wrong, tags)
    return result


def _tag_table(
    rows: Predictions, wrong: np.ndarray, tags: dict[str, list[str]]
) -> tuple[list[TagRow], int]:
    errors = int(wrong.sum())
    n = len(rows)
    counts: dict[str, int] = {}
    untagged = 0
    for i in np.flatnonzero(wrong):
        found = tags.get(str(rows.ids[i]), [])
        if not found:
            untagged += 1
        for t in found:
            counts[t] = counts.get(t, 0) + 1
    table = [
        TagRow(
            tag=t,
            count=c,
            share_of_errors=c / errors if errors else 0.0,
            ceiling_error=(errors - c) / n if n else 0.0,
        )
        for t, c in counts.items()
    ]
    table.sort(key=lambda r: (-r.count, r.tag))
    return table, untagged
