"""Compare classifiers from a table: rows are classifiers, columns per-class scores or metrics.

Columns are sorted by name (case and spaces ignored):

- **metrics**: ``accuracy``, ``error``, ``precision``, ``recall``, ``f1``/``fbeta``, any name
  ending in ``_score``/``_accuracy``/``_precision``/``_recall``/``_f1`` or whose name says
  lower-better (``latency_ms``, ``params``, ``*_error`` … see :func:`direction_of`);
- **per-class scores**: every other numeric column (the lecture's "Class A … Class D").

Derived columns: ``average`` and ``harmonic_mean`` across the per-class scores (the lecture's
"compute the average error or harmonic mean for all classes and classifiers"; a given Average /
Harmonic Mean column is recomputed), and ``f1`` (``f2``, ``f0.5`` … for other beta) when
``precision`` and ``recall`` columns exist. The optimizing metric defaults to that F-score (else
a given one), else ``accuracy``, else ``harmonic_mean``, else a score or error rate — never a
cost; the Pareto front runs over the metric, the constrained metrics and the cost columns
(lower-better quantities such as ``latency_ms``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate
from orthotune._result import Result
from orthotune.metrics import class_average, fbeta_from_precision_recall, harmonic_mean
from orthotune.select._constraints import Constraint, parse_constraint
from orthotune.select._metric import (
    REPORT_METRICS,
    Direction,
    canonical_name,
    direction_of,
    is_rate,
    resolve_metric,
)
from orthotune.select._rank import Candidate, Ranking, rank

__all__ = ["Comparison", "compare_table", "fbeta_name"]

SCHEMA_VERSION = 1

_NAME_COLUMNS = ("name", "classifier", "model", "candidate", "trial")
_KNOWN = {
    "accuracy",
    "error",
    "precision",
    "recall",
    "f1",
    "fbeta",
    "average",
    "harmonic_mean",
    *REPORT_METRICS,
}
_METRIC_SUFFIX = re.compile(r"_(score|accuracy|precision|recall|f1|fbeta)$|^f\d+(\.\d+)?$")


class Comparison(Result):
    """Per-class averages, F-score, satisficing choice and Pareto front of a table."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    class_columns: list[str] = Field(description="columns read as per-class scores")
    metric_columns: list[str] = Field(description="columns read as metrics")
    derived: list[str] = Field(description="columns computed here")
    beta: float
    ranking: Ranking
    notes: list[str] = Field(default_factory=list)


def fbeta_name(beta: float) -> str:
    """``f1`` for beta 1, ``f2``, ``f0.5`` … otherwise."""
    return f"f{beta:g}"


def _is_metric(key: str) -> bool:
    return (
        key in _KNOWN
        or bool(_METRIC_SUFFIX.search(key))
        or (direction_of(key) == Direction.MINIMIZE)
        or not is_rate(key)  # a quantity named by its unit (throughput, cost_usd)
    )


def _number(column: str, row: str, value: Any) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip()
    if text == "" or text.lower() in ("nan", "na", "n/a"):
        return math.nan
    if is_rate(column) or text.endswith("%"):
        return parse_rate(text, name=f"{column} of {row}")
    try:
        number = float(text)
    except ValueError:
        raise InvalidInputError(
            f"{column} of {row} is {text!r}, not a number: give a number such as 95 or 1e6"
        ) from None
    return number


def compare_table(
    columns: Mapping[str, Sequence[Any]],
    *,
    metric: str | None = None,
    constraints: Sequence[Constraint | str] = (),
    beta: float = 1.0,
    name_column: str | None = None,
) -> Comparison:
    """Compare the rows of a table given as ``{column: values}`` (see the module doc)."""
    if not columns:
        raise InvalidInputError("the table has no columns: give a name column and score columns")
    keys = {canonical_name(c): c for c in columns}
    if len(keys) != len(columns):
        raise InvalidInputError(
            f"columns {list(columns)} repeat a name (case and spaces ignored): rename one"
        )
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise InvalidInputError("the table has no rows or ragged columns: give one value per cell")
    n_rows = lengths.pop()

    if name_column is not None:
        name_key = resolve_metric(name_column, keys)
    else:
        name_key = next((k for k in keys if k in _NAME_COLUMNS), None)
        first = next(iter(keys))
        if name_key is None and not _all_numeric(columns[keys[first]]):
            name_key = first
    names = (
        [str(v) for v in columns[keys[name_key]]]
        if name_key is not None
        else [f"row {i}" for i in range(n_rows)]
    )
    if len(set(names)) != len(names):
        raise InvalidInputError(f"classifier names {names} repeat: give each row its own name")

    data_keys = [k for k in keys if k != name_key]
    class_cols = [k for k in data_keys if not _is_metric(k)]
    given_averages = [k for k in data_keys if k in ("average", "harmonic_mean")]
    metric_cols = [
        k for k in data_keys if _is_metric(k) and (k not in given_averages or not class_cols)
    ]
    notes = [
        f"column {keys[k]!r} is recomputed from the per-class scores"
        for k in given_averages
        if class_cols
    ]
    values: list[dict[str, float]] = [{} for _ in range(n_rows)]
    for key in metric_cols:
        for i, v in enumerate(columns[keys[key]]):
            values[i][key] = _number(key, names[i], v)
    for key in class_cols:
        for i, v in enumerate(columns[keys[key]]):
            try:
                values[i][key] = _number(key, names[i], v)
            except InvalidInputError as err:  # a quantity read as a per-class score?
                raise InvalidInputError(
                    f"{err} (column {keys[key]!r} reads as a per-class score; if it holds a "
                    "quantity, name its unit: cost_usd, latency_ms, memory_mb, throughput)"
                ) from None

    derived: list[str] = []
    if class_cols:
        derived += ["average", "harmonic_mean"]
        for row in values:
            scores = [row[c] for c in class_cols]
            missing = any(math.isnan(s) for s in scores)
            row["average"] = math.nan if missing else class_average(scores)
            row["harmonic_mean"] = math.nan if missing else harmonic_mean(scores)
    f_name = fbeta_name(beta)
    if beta != 1.0 and not ("precision" in metric_cols and "recall" in metric_cols):
        raise InvalidInputError(
            f"--beta {beta:g}: the table has no precision and recall columns to compute "
            f"{f_name} from (columns: {', '.join(keys[k] for k in data_keys)}); drop --beta, "
            "or add both columns"
        )
    if "precision" in metric_cols and "recall" in metric_cols:
        if f_name in metric_cols:
            notes.append(f"column {f_name!r} is recomputed from precision and recall")
            metric_cols.remove(f_name)
        derived.append(f_name)
        for row in values:
            p, r = row["precision"], row["recall"]
            row[f_name] = (
                math.nan
                if math.isnan(p) or math.isnan(r)
                else fbeta_from_precision_recall(p, r, beta=beta)
            )

    available = [*metric_cols, *derived, *class_cols]
    if not available:
        raise InvalidInputError(
            "the table has no score columns: give per-class scores or metrics such as accuracy"
        )
    if metric is None:
        metric = _default_metric(available, f_name if f_name in derived else None)
    metric = resolve_metric(metric, available)
    parsed = [parse_constraint(c, available) if isinstance(c, str) else c for c in constraints]
    costs = [c for c in metric_cols if direction_of(c) == Direction.MINIMIZE and not is_rate(c)]
    pareto = [metric, *(resolve_metric(c.metric, available) for c in parsed), *costs]
    ranking = rank(
        [Candidate(name=n, values=v) for n, v in zip(names, values, strict=True)],
        metric=metric,
        constraints=parsed,
        pareto_metrics=pareto,
    )
    return Comparison(
        class_columns=class_cols,
        metric_columns=metric_cols,
        derived=derived,
        beta=beta,
        ranking=ranking,
        notes=notes,
    )


def _default_metric(available: Sequence[str], derived_f: str | None) -> str:
    """The F-score (derived from precision and recall, else a given one), else accuracy, else
    the per-class harmonic mean, else another score or error rate in name order — never a cost
    (``latency_ms`` is satisficed, not optimized, and the choice must not hang on column order);
    with none, one line asks for ``--metric``."""
    given_f = sorted(m for m in available if re.fullmatch(r"(\w+_)?(f\d+(\.\d+)?|fbeta)", m))
    for m in (derived_f, *given_f, "accuracy", "harmonic_mean"):
        if m in available:
            return m
    rates = sorted(m for m in available if is_rate(m))
    scores = [m for m in rates if direction_of(m) == Direction.MAXIMIZE]
    if scores or rates:
        return (scores or rates)[0]
    raise InvalidInputError(
        f"the table has no score or error rate to optimize, only {', '.join(available)}: give "
        f"--metric NAME (e.g. --metric {available[0]})"
    )


def _all_numeric(values: Sequence[Any]) -> bool:
    for v in values:
        if isinstance(v, int | float):
            continue
        text = str(v).strip().rstrip("%")
        try:
            float(text)
        except ValueError:
            return False
    return True
