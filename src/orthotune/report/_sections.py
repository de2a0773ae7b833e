"""Read a run folder into backend-neutral section objects (compute; ``_render`` renders).

The report reads only what the other parts left in the run folder (DESIGN.md "The run folder"):
``run.json``, ``split.json``, ``study.db``, ``models/<name>/manifest.json`` with ``models/best``,
``history/<name>.json``, ``diagnosis.json``, ``decisions.json``, ``calibration.json`` and
``analysis/``. It computes
nothing that those parts compute; it only shapes their results for display (and asks Optuna for
hyperparameter importance on the stored study).

Every section is present only when its data exists. Files are read tolerantly: a missing file
drops its section, an unreadable one adds a note, and the accepted shapes are deliberately
loose (a level may be a bare fraction or ``{"value", "low", "high"}`` / ``{"value", "interval"}``;
a history may be a list of per-epoch records or a dict of columns), so that older or newer
writers still render.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from orthotune._errors import InvalidInputError
from orthotune.analysis import SaliencyReport
from orthotune.metrics import TemperatureScaling
from orthotune.report._records import CALIBRATION_FILE, SALIENCY_FILE, read_record

logger = logging.getLogger(__name__)

__all__ = [
    "AnalysisInfo",
    "ClassRow",
    "ClassScores",
    "ConfusionInfo",
    "Curve",
    "CurvesInfo",
    "DecisionStep",
    "DecisionsInfo",
    "Estimate",
    "GapInfo",
    "LadderInfo",
    "ReportInfo",
    "StudyInfo",
    "SummaryInfo",
    "TableInfo",
    "TrialPoint",
    "read_run_folder",
    "read_study",
]

# The run-folder entries that make a folder a run folder (any one of them is enough).
RUN_MARKERS = (
    "run.json",
    "study.db",
    "diagnosis.json",
    "decisions.json",
    "history",
    "models",
    "analysis",
)
MAX_TABLE_ROWS = 25
# Keys of a stored metrics object that are settings or counts, not scores to headline.
NOT_METRICS = {"schema_version", "beta", "zero_division", "n", "sample_weighted", "split"}
BEST_FEW = 4

# The ladder, bottom to top: (key in diagnosis.json, label on the chart).
LEVELS = (
    ("bayes_error", "Bayes"),
    ("human_error", "human-level"),
    ("train_error", "train"),
    ("train_dev_error", "train-dev"),
    ("dev_error", "dev"),
    ("test_error", "test"),
)
# The gaps: (key, accepted aliases, label, lower level, upper level). The variance gap spans
# train → dev when there is no train-dev set (DESIGN.md / issue 4).
GAPS = (
    ("avoidable_bias", (), "avoidable bias", "human_error", "train_error"),
    ("variance", (), "variance", "train_error", "train_dev_error"),
    ("data_mismatch", ("mismatch",), "data mismatch", "train_dev_error", "dev_error"),
    (
        "dev_overfitting",
        ("dev_overfit", "overfitting_dev", "dev_set_overfitting"),
        "dev overfitting",
        "dev_error",
        "test_error",
    ),
)


# ----------------------------------------------------------------------------- section objects
@dataclass(frozen=True)
class Estimate:
    """A rate or gap (fraction) with its 95 % interval when the writer stored one."""

    value: float
    low: float | None = None
    high: float | None = None
    is_high: bool | None = None  # for gaps: above tolerance and outside the noise


@dataclass(frozen=True)
class SummaryInfo:
    """The top of the report: what ran, on what, and what came out."""

    facts: list[tuple[str, str]]
    headline: str | None
    test_metrics: list[tuple[str, str]]


@dataclass(frozen=True)
class GapInfo:
    key: str
    label: str
    lower: str  # level key the gap starts from
    upper: str  # level key the gap ends at
    estimate: Estimate


@dataclass(frozen=True)
class LadderInfo:
    """Error levels (ordered bottom to top) and the gaps between them, with the verdict."""

    levels: list[tuple[str, str, Estimate]]  # (key, label, estimate)
    gaps: list[GapInfo]
    verdict: str | None
    knobs: list[str]
    notes: list[str] = field(default_factory=list)  # the verdict's caveats (noise, set sizes)


@dataclass(frozen=True)
class Curve:
    """Per-epoch series of one model (``train_loss``, ``dev_error``, ``lr`` …)."""

    name: str
    epochs: list[float]
    series: dict[str, list[float | None]]
    stop_reason: str | None = None

    def has(self, key: str) -> bool:
        return any(v is not None for v in self.series.get(key, []))


@dataclass(frozen=True)
class CurvesInfo:
    chosen: Curve | None
    others: list[Curve]  # the best few other kept models (history files)
    trials: list[Curve]  # the best few trials' intermediate values (Optuna), as ``value``
    trial_metric: str


@dataclass(frozen=True)
class ClassRow:
    name: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: float | None


@dataclass(frozen=True)
class ClassScores:
    rows: list[ClassRow]
    average: tuple[float | None, float | None, float | None]
    harmonic: tuple[float | None, float | None, float | None]
    stored_summary: bool  # True when the writer stored the average / harmonic mean itself


@dataclass(frozen=True)
class ConfusionInfo:
    split: str
    class_names: list[str]
    matrix: list[list[float]]
    scores: ClassScores | None


@dataclass(frozen=True)
class DecisionStep:
    index: int
    problem: str | None
    knob: str | None
    choice: str | None
    kept: bool | None
    reason: str | None
    seconds: float | None
    before: list[tuple[str, Estimate]]
    after: list[tuple[str, Estimate]]
    variants: TableInfo | None


@dataclass(frozen=True)
class DecisionsInfo:
    steps: list[DecisionStep]
    final: str | None
    validation: str | None = None  # how the errors were estimated (hold-out dev or k-fold)


@dataclass(frozen=True)
class TrialPoint:
    number: int
    state: str
    values: list[float] | None
    params: dict[str, Any]
    start_s: float | None  # seconds since the study's first trial started
    end_s: float | None
    user_attrs: dict[str, Any]
    feasible: bool  # satisficing constraints met (a writer's ``feasible`` attribute; default yes)


@dataclass(frozen=True)
class StudyInfo:
    name: str
    directions: list[str]  # "minimize" / "maximize" per objective
    metric_names: list[str]
    trials: list[TrialPoint]
    importances: dict[str, float]
    importance_note: str | None
    pareto_axes: tuple[str, str] | None  # (x, y) names when a Pareto front can be shown
    pareto_points: list[tuple[int, float, float, bool]]  # (trial, x, y, on_front)
    pareto_directions: tuple[str, str] | None

    @property
    def complete(self) -> list[TrialPoint]:
        return [t for t in self.trials if t.state == "COMPLETE" and t.values]

    def ranked(self, limit: int = 10) -> list[TrialPoint]:
        """The best complete trials by the first objective, those meeting constraints first."""
        sign = -1.0 if self.directions and self.directions[0] == "maximize" else 1.0
        ordered = sorted(self.complete, key=lambda t: (not t.feasible, sign * t.values[0]))
        return ordered[:limit]

    def state_counts(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for t in self.trials:
            counts[t.state] = counts.get(t.state, 0) + 1
        return sorted(counts.items())


@dataclass(frozen=True)
class TableInfo:
    title: str
    columns: list[str]
    rows: list[list[str]]
    total_rows: int


@dataclass(frozen=True)
class AnalysisInfo:
    file_name: str
    title: str
    kind: str  # "error_analysis", "label_issues" or "other"
    facts: list[tuple[str, str]]
    tables: list[TableInfo]


@dataclass(frozen=True)
class ReportInfo:
    """Everything the report shows; ``None`` / empty means the section is left out."""

    title: str
    source: str
    summary: SummaryInfo | None = None
    ladder: LadderInfo | None = None
    curves: CurvesInfo | None = None
    schedule: Curve | None = None
    confusion: ConfusionInfo | None = None
    decisions: DecisionsInfo | None = None
    study: StudyInfo | None = None
    analyses: list[AnalysisInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calibration: TemperatureScaling | None = None  # calibration.json (temperature scaling)
    saliency: SaliencyReport | None = None  # analysis/saliency.json (errors --saliency)
    more_data: Any = None  # analysis.LearningCurve: would more data help?

    def section_ids(self) -> list[str]:
        """The sections this report contains, in page order."""
        study = self.study
        present = {
            "summary": self.summary is not None,
            "diagnosis": self.ladder is not None,
            "learning-curves": self.curves is not None,
            "lr-schedule": self.schedule is not None,
            "confusion": self.confusion is not None,
            "calibration": self.calibration is not None,
            "decisions": self.decisions is not None,
            "more-data": self.more_data is not None,
            "search-progress": study is not None and bool(study.complete),
            "importance": study is not None and bool(study.importances),
            "pareto": study is not None and bool(study.pareto_points),
            "error-analysis": any(a.kind != "label_issues" for a in self.analyses),
            "label-issues": any(a.kind == "label_issues" for a in self.analyses),
            "saliency": self.saliency is not None,
            "notes": bool(self.notes),
        }
        return [name for name, ok in present.items() if ok]


# ----------------------------------------------------------------------------- small readers
def _first(mapping: Any, *keys: str) -> Any:
    """The value of the first key present (and not None) in ``mapping``."""
    if not isinstance(mapping, Mapping):
        return None
    for key in keys:
        if mapping.get(key) is not None:
            return mapping[key]
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _estimate(value: Any) -> Estimate | None:
    """A bare number, or a dict with value/estimate and an interval in any common spelling."""
    if isinstance(value, Mapping):
        centre = _number(_first(value, "value", "error", "estimate", "point", "rate", "mean"))
        if centre is None:
            return None
        low = _number(_first(value, "low", "lo", "lower", "ci_low"))
        high = _number(_first(value, "high", "hi", "upper", "ci_high"))
        interval = _first(value, "interval", "ci", "ci95", "confidence_interval")
        if isinstance(interval, Mapping):
            low = _number(_first(interval, "low", "lo", "lower"))
            high = _number(_first(interval, "high", "hi", "upper"))
        elif isinstance(interval, list | tuple) and len(interval) == 2:
            low, high = _number(interval[0]), _number(interval[1])
        flag = _first(value, "is_high", "high_flag", "significant", "flagged")
        return Estimate(centre, low, high, flag if isinstance(flag, bool) else None)
    number = _number(value)
    return None if number is None else Estimate(number)


def _text(value: Any) -> str | None:
    """A readable one-liner of a scalar, a dict with a message, or a list of those."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        inner = _first(
            value,
            "headline",
            "sentence",
            "message",
            "summary",
            "text",
            "words",
            "reason",
            "name",
            "kind",
        )
        return _text(inner) if inner is not None else None
    if isinstance(value, list | tuple):
        parts = [p for p in (_text(v) for v in value) if p]
        return "; ".join(parts) or None
    return str(value)


def format_value(value: Any, *, rate: bool = False) -> str:
    """How the report prints one cell: rates as percents, floats with 4 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if rate:
            return f"{100 * value:.2f} %"
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    return str(value)


def _is_rate_name(name: str) -> bool:
    lowered = name.lower()
    return any(
        word in lowered
        for word in (
            "error",
            "accuracy",
            "precision",
            "recall",
            "f1",
            "rate",
            "bias",
            "variance",
            "share",
            "ceiling",
            "mismatch",
            "overfit",
        )
    )


class _Reader:
    """Reads JSON files under one folder, turning failures into report notes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.notes: list[str] = []

    def json(self, relative: str | Path) -> Any:
        path = self.root / relative
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            self.notes.append(f"{relative} could not be read ({type(err).__name__}: {err}).")
            logger.warning("report: skipping %s: %s", path, err)
            return None


# ----------------------------------------------------------------------------- sections
def _model_names(root: Path) -> tuple[list[str], str | None]:
    """Model folders under ``models/`` and the chosen one (``models/best``: link or file)."""
    models = root / "models"
    if not models.is_dir():
        return [], None
    names = sorted(p.name for p in models.iterdir() if p.is_dir() and p.name != "best")
    best_path = models / "best"
    best: str | None = None
    if best_path.is_symlink():
        best = Path(best_path.readlink()).name
    elif best_path.is_file():
        try:
            best = best_path.read_text(encoding="utf-8").strip().splitlines()[0].strip() or None
        except (OSError, UnicodeDecodeError, IndexError):
            best = None
        if best is not None:
            best = Path(best).name
    return names, best


def _data_facts(run: Mapping[str, Any]) -> list[tuple[str, str]]:
    data = _first(run, "data", "dataset")
    facts: list[tuple[str, str]] = []
    if isinstance(data, str):
        facts.append(("Data", data))
    elif isinstance(data, Mapping):
        name = _first(data, "name", "source", "path", "spec")
        if name is not None:
            facts.append(("Data", str(name)))
        size = _first(data, "n_examples", "examples", "size", "rows", "n")
        if size is not None:
            facts.append(("Examples", format_value(size)))
        shape = _first(data, "input_shape", "shape")
        if shape is not None:
            facts.append(("Input shape", format_value(list(shape) if shape else shape)))
        classes = _first(data, "class_names", "classes")
        if isinstance(classes, list):
            shown = ", ".join(map(str, classes[:12])) + (" …" if len(classes) > 12 else "")
            facts.append(("Classes", f"{len(classes)} ({shown})"))
        target = _first(data, "target")
        if target is not None:
            facts.append(("Target column", str(target)))
    return facts


def _split_facts(split: Any) -> list[tuple[str, str]]:
    parts = _first(split, "parts", "splits", "ids") if isinstance(split, Mapping) else None
    parts = parts if isinstance(parts, Mapping) else split
    if not isinstance(parts, Mapping):
        return []
    sizes = []
    for part in ("train", "train-dev", "train_dev", "dev", "test"):
        ids = parts.get(part)
        if isinstance(ids, list):
            sizes.append(f"{part} {len(ids):,}")
    return [("Split", " · ".join(sizes))] if sizes else []


def _summary(
    run: Any, split: Any, chosen: str | None, ladder: LadderInfo | None
) -> SummaryInfo | None:
    run = run if isinstance(run, Mapping) else {}
    facts: list[tuple[str, str]] = []
    command = _first(run, "command")
    if command is not None:
        facts.append(("Command", format_value(command)))
    facts += _data_facts(run)
    facts += _split_facts(split)
    config = _first(run, "config") or {}
    budget = _first(run, "budget") or _first(config, "budget")
    if budget is not None:
        facts.append(("Budget", format_value(budget)))
    strategy = _first(run, "strategy") or _first(config, "strategy")
    if strategy is not None:
        facts.append(("Strategy", format_value(strategy)))
    seed = _first(run, "seed") if "seed" in run else _first(config, "seed")
    if seed is not None:
        facts.append(("Seed", format_value(seed)))
    result = _first(run, "summary", "result") or {}
    chosen = chosen or _text(_first(result, "chosen_model", "best_model", "model", "best"))
    if chosen:
        members = _first(result, "ensemble")
        if isinstance(members, int) and members > 1:
            chosen = f"{chosen} (an ensemble of {members}, probabilities averaged)"
        facts.append(("Chosen model", chosen))
    for key, label in (("parameters", "Parameters"), ("latency_ms", "Latency (ms per example)")):
        if _first(result, key) is not None:
            facts.append((label, format_value(_first(result, key))))
    for key, label in (("started", "Started"), ("finished", "Finished"), ("created", "Created")):
        if _first(run, key) is not None:
            facts.append((label, format_value(run[key])))
    versions = _first(run, "versions")
    if isinstance(versions, Mapping) and versions:
        facts.append(("Versions", format_value(dict(versions))))

    metrics = _first(result, "test_metrics", "test", "metrics") or {}
    test_metrics = []
    if isinstance(metrics, Mapping):
        for name, value in metrics.items():
            if name in NOT_METRICS:
                continue
            estimate = _estimate(value)
            if estimate is not None:
                test_metrics.append((str(name), format_value(estimate.value, rate=_is_rate(name))))
    if not test_metrics and ladder is not None:
        for key, label, estimate in ladder.levels:
            if key == "test_error":
                test_metrics.append((f"{label} error", format_value(estimate.value, rate=True)))
    headline = (ladder.verdict if ladder else None) or _text(
        _first(result, "headline", "verdict", "diagnosis")
    )
    if not facts and not test_metrics and not headline:
        return None
    return SummaryInfo(facts=facts, headline=headline, test_metrics=test_metrics)


def _is_rate(name: str) -> bool:
    return _is_rate_name(str(name)) and "loss" not in str(name).lower()


LEVEL_NAMES = {  # names in a decomposition's level list → ladder keys
    "train": "train_error",
    "train-dev": "train_dev_error",
    "train_dev": "train_dev_error",
    "dev": "dev_error",
    "test": "test_error",
}


def _ladder(diagnosis: Any) -> LadderInfo | None:
    if not isinstance(diagnosis, Mapping):
        return None
    levels_src = _first(diagnosis, "levels", "error_levels") or diagnosis
    gaps_src = _first(diagnosis, "decomposition", "gaps") or diagnosis
    # A decomposition may list the measured levels with their intervals: prefer those.
    listed: dict[str, Estimate] = {}
    level_list = _first(gaps_src, "levels")
    if isinstance(level_list, list):
        for item in level_list:
            key = LEVEL_NAMES.get(str(_first(item, "name")))
            estimate = _estimate(item)
            if key and estimate is not None:
                listed[key] = estimate
    levels: list[tuple[str, str, Estimate]] = []
    for key, label in LEVELS:
        aliases = (key, key.replace("_error", ""), key.replace("train_dev", "train-dev"))
        estimate = listed.get(key) or _estimate(_first(levels_src, *aliases))
        if estimate is not None:
            levels.append((key, label, estimate))
    if not levels:
        return None
    flags = _first(diagnosis, "is_high")
    flags = flags if isinstance(flags, Mapping) else {}
    present = {key for key, _, _ in levels}
    gaps = []
    for key, aliases, label, lower, upper in GAPS:
        estimate = _estimate(_first(gaps_src, key, *aliases))
        if estimate is None:
            continue
        if estimate.is_high is None and isinstance(flags.get(key), bool):
            estimate = Estimate(estimate.value, estimate.low, estimate.high, flags[key])
        if key == "variance" and upper not in present:
            upper = "dev_error"  # no train-dev set: variance is dev − train
        if lower == "human_error" and lower not in present and "bayes_error" in present:
            lower = "bayes_error"
        if lower in present and upper in present:
            gaps.append(GapInfo(key, label, lower, upper, estimate))
    verdict_src = _first(diagnosis, "verdict")
    verdict = _text(verdict_src) or _text(_first(diagnosis, "headline", "summary"))
    knobs_src = _first(diagnosis, "knobs", "recommendations") or []
    knobs = [k for k in (_text(k) for k in knobs_src) if k] if isinstance(knobs_src, list) else []
    notes_src = _first(verdict_src, "notes") if isinstance(verdict_src, Mapping) else None
    notes = [n for n in (_text(v) for v in notes_src) if n] if isinstance(notes_src, list) else []
    return LadderInfo(levels=levels, gaps=gaps, verdict=verdict, knobs=knobs, notes=notes)


def _columns(records: Any) -> dict[str, list[Any]] | None:
    """Per-epoch records (list of dicts) or columns (dict of lists) → columns."""
    if isinstance(records, list) and records and all(isinstance(r, Mapping) for r in records):
        keys: list[str] = []
        for record in records:
            keys += [k for k in record if k not in keys]
        return {k: [r.get(k) for r in records] for k in keys}
    if isinstance(records, Mapping):
        lists = {k: v for k, v in records.items() if isinstance(v, list)}
        return lists or None
    return None


SERIES_ALIASES = {
    "train_loss": ("train_loss", "loss"),
    "dev_loss": ("dev_loss", "val_loss"),
    "train_error": ("train_error",),
    "dev_error": ("dev_error", "val_error"),
    "train_accuracy": ("train_accuracy", "train_acc"),
    "dev_accuracy": ("dev_accuracy", "dev_acc", "val_accuracy"),
    "lr": ("lr", "learning_rate"),
    "seconds": ("seconds", "time_s", "epoch_seconds"),
}


def _curve(name: str, history: Any) -> Curve | None:
    records = (
        _first(history, "epochs", "history", "records", "curves")
        if isinstance(history, Mapping)
        else history
    )
    columns = _columns(records)
    if columns is None and isinstance(history, Mapping):
        columns = _columns({k: v for k, v in history.items() if k in _all_aliases()})
    if not columns:
        return None
    series: dict[str, list[float | None]] = {}
    length = max(len(v) for v in columns.values())
    for key, aliases in SERIES_ALIASES.items():
        for alias in aliases:
            if alias in columns:
                series[key] = [_number(v) for v in columns[alias]]
                break
    if not any(any(v is not None for v in values) for values in series.values()):
        return None
    epoch_col = columns.get("epoch") or columns.get("t")
    epochs = [_number(e) for e in epoch_col] if epoch_col else []
    if len(epochs) != length or any(e is None for e in epochs):
        epochs = [float(i) for i in range(length)]
    stop = (
        _first(history, "stop_reason", "stopped", "early_stopping")
        if isinstance(history, Mapping)
        else None
    )
    stop_text = _text(stop)
    if isinstance(stop, Mapping):
        reason, message = _text(_first(stop, "reason", "kind")), _text(_first(stop, "message"))
        stop_text = " — ".join(p for p in (reason, message) if p) or stop_text
    return Curve(name=name, epochs=epochs, series=series, stop_reason=stop_text)  # type: ignore[arg-type]


def _all_aliases() -> set[str]:
    return {a for aliases in SERIES_ALIASES.values() for a in aliases} | {"epoch"}


def _final_dev(curve: Curve) -> float:
    for key in ("dev_error", "dev_loss"):
        values = [v for v in curve.series.get(key, []) if v is not None]
        if values:
            return min(values)
    for key in ("dev_accuracy",):
        values = [v for v in curve.series.get(key, []) if v is not None]
        if values:
            return -max(values)
    return math.inf


def _histories(reader: _Reader, chosen: str | None) -> tuple[Curve | None, list[Curve]]:
    folder = reader.root / "history"
    if not folder.is_dir():
        return None, []
    curves = []
    for path in sorted(folder.glob("*.json")):
        curve = _curve(path.stem, reader.json(Path("history") / path.name))
        if curve is not None:
            curves.append(curve)
    if not curves:
        return None, []
    chosen_curve = next((c for c in curves if c.name == chosen), None)
    if chosen_curve is None and len(curves) == 1:
        chosen_curve = curves[0]
    others = sorted((c for c in curves if c is not chosen_curve), key=_final_dev)[:BEST_FEW]
    return chosen_curve, others


def _class_scores(metrics: Mapping[str, Any], class_names: list[str]) -> ClassScores | None:
    per_class = _first(metrics, "per_class", "classes", "class_scores", "report")
    rows: list[ClassRow] = []
    if isinstance(per_class, list):
        for i, row in enumerate(per_class):
            if not isinstance(row, Mapping):
                continue
            name = _first(row, "class", "name", "label", "class_name")
            if name is None:
                name = class_names[i] if i < len(class_names) else str(i)
            rows.append(_class_row(str(name), row))
    elif isinstance(per_class, Mapping):
        if all(isinstance(v, Mapping) for v in per_class.values()):
            rows = [_class_row(str(k), v) for k, v in per_class.items()]
        else:  # columns: {"precision": [...], "recall": [...], ...}
            cols = _columns(per_class) or {}
            n = max((len(v) for v in cols.values()), default=0)
            names = cols.get("class") or cols.get("name") or class_names
            for i in range(n):
                cells = {k: (v[i] if i < len(v) else None) for k, v in cols.items()}
                label = str(names[i]) if i < len(names) else str(i)
                rows.append(_class_row(label, cells))
    if not rows:
        return None
    average = _triple(_first(metrics, "average", "mean", "macro", "arithmetic_mean"))
    harmonic = _triple(_first(metrics, "harmonic", "harmonic_mean"))
    averages = _first(metrics, "averages")
    if isinstance(averages, Mapping):
        average = average or _triple(_first(averages, "average", "mean", "macro", "arithmetic"))
        harmonic = harmonic or _triple(_first(averages, "harmonic", "harmonic_mean"))
    stored = average is not None and harmonic is not None
    if average is None:
        average = tuple(_mean([_attr(r, i) for r in rows]) for i in range(3))  # type: ignore[assignment]
    if harmonic is None:
        harmonic = tuple(_harmonic([_attr(r, i) for r in rows]) for i in range(3))  # type: ignore[assignment]
    return ClassScores(rows=rows, average=average, harmonic=harmonic, stored_summary=stored)  # type: ignore[arg-type]


def _attr(row: ClassRow, i: int) -> float | None:
    return (row.precision, row.recall, row.f1)[i]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _harmonic(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    if any(v <= 0 for v in present):
        return 0.0
    return len(present) / sum(1 / v for v in present)


def _triple(value: Any) -> tuple[float | None, float | None, float | None] | None:
    if not isinstance(value, Mapping):
        return None
    triple = (
        _number(_first(value, "precision")),
        _number(_first(value, "recall")),
        _number(_first(value, "f1", "f1_score", "fbeta", "f")),
    )
    return triple if any(v is not None for v in triple) else None


def _class_row(name: str, row: Mapping[str, Any]) -> ClassRow:
    return ClassRow(
        name=name,
        precision=_number(_first(row, "precision", "p")),
        recall=_number(_first(row, "recall", "r")),
        f1=_number(_first(row, "f1", "f1_score", "fbeta", "f")),
        support=_number(_first(row, "support", "n", "count")),
    )


def _confusion(run: Any, manifest: Any, class_names: list[str]) -> ConfusionInfo | None:
    """The chosen model's confusion matrix: the test split when measured, else dev."""
    candidates: list[Any] = []
    for holder in (manifest, _first(run, "summary", "result")):
        metrics = _first(holder, "metrics")
        if isinstance(metrics, Mapping):
            candidates.append(metrics)
    for metrics in candidates:
        by_split = [(s, _first(metrics, s)) for s in ("test", "dev", "train-dev", "train")]
        by_split = [(s, m) for s, m in by_split if isinstance(m, Mapping)]
        if not by_split and _first(metrics, "confusion_matrix") is not None:
            by_split = [(_text(_first(metrics, "split")) or "dev", metrics)]
        for split, m in by_split:
            matrix = _first(m, "confusion_matrix", "confusion", "cm")
            if isinstance(matrix, Mapping):
                matrix = _first(matrix, "matrix", "counts", "values")
            if not _is_square(matrix):
                continue
            names = _first(m, "class_names", "classes", "labels") or class_names
            names = [str(n) for n in names]
            if len(names) != len(matrix):
                names = [str(i) for i in range(len(matrix))]
            rows = [[float(_number(v) or 0.0) for v in row] for row in matrix]
            return ConfusionInfo(
                split=split, class_names=names, matrix=rows, scores=_class_scores(m, names)
            )
    return None


def _is_square(matrix: Any) -> bool:
    return (
        isinstance(matrix, list)
        and len(matrix) > 0
        and all(isinstance(row, list) and len(row) == len(matrix) for row in matrix)
    )


def _gap_list(value: Any) -> list[tuple[str, Estimate]]:
    if not isinstance(value, Mapping):
        return []
    source = _first(value, "decomposition", "gaps") or value
    out = []
    for key, aliases, label, _, _ in GAPS:
        estimate = _estimate(_first(source, key, *aliases))
        if estimate is not None:
            out.append((label, estimate))
    levels = _first(value, "levels") or value
    for key, label in LEVELS[2:]:
        estimate = _estimate(_first(levels, key))
        if estimate is not None:
            out.append((f"{label} error", estimate))
    return out


def _table(title: str, records: list[Any], *, limit: int = MAX_TABLE_ROWS) -> TableInfo | None:
    """A list of dicts (or scalars) → a table of strings; the first ``limit`` rows are kept."""
    if not records:
        return None
    if not all(isinstance(r, Mapping) for r in records):
        return TableInfo(
            title, ["value"], [[format_value(r)] for r in records[:limit]], len(records)
        )
    columns: list[str] = []
    for record in records:
        columns += [str(k) for k in record if str(k) not in columns]
    rows = [
        [format_value(r.get(c), rate=_is_rate(c) and _is_fraction(r.get(c))) for c in columns]
        for r in records[:limit]
    ]
    return TableInfo(title, columns, rows, len(records))


def _is_fraction(value: Any) -> bool:
    return isinstance(value, float) and 0.0 <= value <= 1.0


def _decisions(decisions: Any) -> DecisionsInfo | None:
    steps_src = (
        _first(decisions, "steps", "decisions", "log")
        if isinstance(decisions, Mapping)
        else decisions
    )
    if not isinstance(steps_src, list) or not steps_src:
        return None
    steps = []
    for i, step in enumerate(steps_src):
        if not isinstance(step, Mapping):
            continue
        variants_src = _first(step, "variants", "tried", "candidates")
        variants = None
        if isinstance(variants_src, list) and step.get("problem") == "polish":
            variants_src = _polish_rows(variants_src)
        if isinstance(variants_src, list):
            flat = [_variant_row(v) if isinstance(v, Mapping) else v for v in variants_src]
            variants = _table("variants tried", flat)
        kept = _first(step, "kept", "accepted", "improved")
        index = _number(_first(step, "step", "index", "iteration"))
        steps.append(
            DecisionStep(
                index=int(index) if index is not None else i + 1,
                problem=_text(_first(step, "problem", "target", "gap")),
                knob=_text(_first(step, "knob", "knob_family", "action")),
                choice=_text(_first(step, "choice", "chosen", "winner", "decision")),
                kept=kept if isinstance(kept, bool) else None,
                reason=_text(_first(step, "reason", "why", "message", "explanation")),
                seconds=_number(_first(step, "seconds", "time_s", "elapsed_s", "duration_s")),
                before=_gap_list(_first(step, "before")),
                after=_gap_list(_first(step, "after")),
                variants=variants,
            )
        )
    if not steps:
        return None
    final = validation = None
    if isinstance(decisions, Mapping):
        final = _text(
            _first(decisions, "final", "stop_reason", "remaining", "conclusion", "advice")
        )
        validation = _text(decisions.get("validation"))
        stick = decisions.get("yardstick")
        if isinstance(stick, Mapping) and _number(stick.get("dev_error")) is not None:
            words = (
                f"a gradient-boosting model ({stick.get('model')}, {stick.get('how')}) reaches "
                f"{100 * _number(stick.get('dev_error')):.2f} % dev error"
            )
            final = f"{final}; {words}" if final else words
        polish = _text(decisions.get("polish"))
        if polish:
            final = f"{final}; polish: {polish}" if final else f"polish: {polish}"
    return DecisionsInfo(steps=steps, final=final, validation=validation)


POLISH_ROWS = 10  # a polish step's variants in the report besides the kept one


def _polish_rows(variants: list) -> list:
    """A polish step's kept variant and its ``POLISH_ROWS`` best on dev (a local search tries
    dozens; decisions.json keeps them all)."""

    def dev(v: Any) -> float:
        errors = v.get("errors") if isinstance(v, Mapping) else None
        return errors.get("dev", 1.0) if isinstance(errors, Mapping) else 1.0

    best = sorted(variants, key=dev)[:POLISH_ROWS]
    return [v for v in variants if v in best or (isinstance(v, Mapping) and v.get("accepted"))]


def _variant_row(variant: Mapping[str, Any]) -> dict[str, Any]:
    """A variant of an autopilot step as the columns a reader compares (the autopilot's
    ``VariantScore``: label, errors per part, paired change of the targeted error); other
    shapes are flattened as they come."""
    if "label" not in variant or not isinstance(variant.get("errors"), Mapping):
        return _flatten(variant)
    row: dict[str, Any] = {"variant": variant["label"]}
    for part, error in variant["errors"].items():
        row[f"{part} error"] = error
    change, low, high = (variant.get(k) for k in ("target_change", "target_low", "target_high"))
    if isinstance(change, float) and isinstance(low, float) and isinstance(high, float):
        row["targeted error Δ (95 %)"] = (
            f"{100 * change:+.2f} ({100 * low:+.2f} … {100 * high:+.2f}) points"
        )
    row["kept"] = bool(variant.get("accepted"))
    row["why"] = variant.get("failed") or variant.get("why") or ""
    return row


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """One level of nesting becomes ``outer.inner`` columns (params, scores)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not prefix:
            flat.update(_flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


# ----------------------------------------------------------------------------- analysis/
def _analysis(reader: _Reader) -> list[AnalysisInfo]:
    folder = reader.root / "analysis"
    if not folder.is_dir():
        return []
    infos = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(reader.root)
        if relative.as_posix() == SALIENCY_FILE:  # its own section
            continue
        if relative.as_posix() == LEARNING_CURVE_FILE:
            continue  # its own section (``_more_data``)
        if path.suffix == ".json":
            info = _analysis_json(relative.as_posix(), reader.json(relative))
        elif path.suffix == ".csv":
            info = _analysis_csv(reader, relative)
        else:
            continue
        if info is not None:
            infos.append(info)
    return infos


LABEL_ISSUE_KEYS = ("suspects", "label_issues", "issues")
LEARNING_CURVE_FILE = "analysis/learning_curve.json"


def _more_data(reader: _Reader) -> Any:
    """``analysis/learning_curve.json`` as the typed ``LearningCurve`` (None when absent or
    unreadable; a note says why)."""
    from pydantic import ValidationError

    from orthotune.analysis import LearningCurve

    content = reader.json(LEARNING_CURVE_FILE)
    if content is None:
        return None
    try:
        return LearningCurve.model_validate(content)
    except ValidationError as err:
        reader.notes.append(
            f"{LEARNING_CURVE_FILE} is not a learning curve ({err.error_count()} errors)."
        )
        return None


def _analysis_json(name: str, content: Any) -> AnalysisInfo | None:
    if content is None:
        return None
    title = Path(name).stem.replace("_", " ").replace("-", " ")
    if isinstance(content, list):
        table = _table(title, content)
        return AnalysisInfo(name, title, _kind(name, {}), [], [table] if table else [])
    if not isinstance(content, Mapping):
        return None
    facts: list[tuple[str, str]] = []
    tables: list[TableInfo] = []
    for key, value in content.items():
        if key == "schema_version":
            continue
        label = str(key).replace("_", " ")
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            table = _table(label, [_flatten(v) if isinstance(v, Mapping) else v for v in value])
            if table:
                tables.append(table)
        elif (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) for v in value.values())
        ):
            records = [{"name": k, **_flatten(v)} for k, v in value.items()]
            table = _table(label, records)
            if table:
                tables.append(table)
        elif isinstance(value, list) and len(value) > 20:
            facts.append((label, f"{len(value):,} entries"))
        else:
            facts.append((label, format_value(value, rate=_is_rate(key) and _is_fraction(value))))
    if isinstance(content, Mapping):
        for key in LABEL_ISSUE_KEYS:
            if isinstance(content.get(key), list):
                facts.insert(0, ("suspected label issues", f"{len(content[key]):,}"))
                break
    if not facts and not tables:
        return None
    return AnalysisInfo(name, title, _kind(name, content), facts, tables)


def _kind(name: str, content: Mapping[str, Any]) -> str:
    lowered = name.lower()
    if any(k in content for k in LABEL_ISSUE_KEYS) or "label" in lowered or "clean" in lowered:
        return "label_issues"
    if "error" in lowered or any(k in content for k in ("per_class", "ceiling", "confusions")):
        return "error_analysis"
    return "other"


def _analysis_csv(reader: _Reader, relative: Path) -> AnalysisInfo | None:
    try:
        with (reader.root / relative).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        reader.notes.append(f"{relative.as_posix()} could not be read ({err}).")
        return None
    title = relative.stem.replace("_", " ").replace("-", " ")
    table = _table(title, rows)
    if table is None:
        return None
    facts = [("rows", f"{len(rows):,}")]
    return AnalysisInfo(relative.as_posix(), title, _kind(relative.name, {}), facts, [table])


# ----------------------------------------------------------------------------- study
def read_study(storage: Any, study_name: str | None = None) -> StudyInfo:
    """Trials, importance and Pareto points of one Optuna study (the one with most trials when
    ``study_name`` is None and the storage holds several)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        summaries = optuna.study.get_all_study_summaries(storage=storage, include_best_trial=False)
    except Exception as err:  # a storage URL that does not open
        raise InvalidInputError(
            f"--storage {storage!r} could not be opened ({type(err).__name__}): give an Optuna "
            "storage URL such as sqlite:///RUN_DIR/study.db"
        ) from err
    names = [s.study_name for s in summaries]
    if study_name is None:
        if not summaries:
            raise InvalidInputError(
                f"storage {storage!r} holds no study: run `orthotune tune` first"
            )
        study_name = max(summaries, key=lambda s: s.n_trials).study_name
    elif study_name not in names:
        listed = ", ".join(names[:10]) or "none"
        raise InvalidInputError(
            f"--study {study_name!r} is not in storage {storage!r}: studies there: {listed}; "
            "give one of them or the --storage that holds it"
        )
    study = optuna.load_study(study_name=study_name, storage=storage)
    return _study_info(study)


def _study_info(study: Any) -> StudyInfo:
    import optuna

    frozen = study.get_trials(deepcopy=False)
    starts = [t.datetime_start for t in frozen if t.datetime_start is not None]
    origin: datetime | None = min(starts) if starts else None

    def offset(moment: datetime | None) -> float | None:
        if moment is None or origin is None:
            return None
        return (moment - origin).total_seconds()

    trials = []
    for t in frozen:
        feasible = t.user_attrs.get("feasible", t.user_attrs.get("satisficing", True))
        trials.append(
            TrialPoint(
                number=t.number,
                state=t.state.name,
                values=list(t.values) if t.values is not None else None,
                params=dict(t.params),
                start_s=offset(t.datetime_start),
                end_s=offset(t.datetime_complete),
                user_attrs=dict(t.user_attrs),
                feasible=bool(feasible) if isinstance(feasible, bool) else True,
            )
        )
    directions = [d.name.lower() for d in study.directions]
    metric_names = list(study.metric_names or [])
    if not metric_names:
        attr = study.user_attrs.get("metric") or study.user_attrs.get("metric_name")
        metric_names = [str(attr)] if attr and len(directions) == 1 else []
    if len(metric_names) != len(directions):
        metric_names = (
            ["objective"]
            if len(directions) == 1
            else [f"objective {i}" for i in range(len(directions))]
        )

    importances, note = _importances(study, optuna)
    axes, points, pareto_dirs = _pareto(study, trials, directions, metric_names)
    return StudyInfo(
        name=study.study_name,
        directions=directions,
        metric_names=metric_names,
        trials=trials,
        importances=importances,
        importance_note=note,
        pareto_axes=axes,
        pareto_points=points,
        pareto_directions=pareto_dirs,
    )


def _importances(study: Any, optuna: Any) -> tuple[dict[str, float], str | None]:
    complete = [
        t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE" and t.params
    ]
    if len(complete) < 2:
        return {}, None
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    target = None if len(study.directions) == 1 else (lambda t: t.values[0])
    try:
        raw = optuna.importance.get_param_importances(study, evaluator=evaluator, target=target)
    except Exception as err:  # too few distinct values, a single-valued space …
        return {}, f"Hyperparameter importance unavailable: {type(err).__name__}: {err}"
    return {str(k): float(v) for k, v in raw.items()}, None


# Satisficing quantities a trial may record, plotted against the objective (lower is better).
SATISFICING_ATTRS = ("latency_ms", "params", "flops", "model_bytes")


def _pareto(
    study: Any, trials: list[TrialPoint], directions: list[str], metric_names: list[str]
) -> tuple[tuple[str, str] | None, list[tuple[int, float, float, bool]], tuple[str, str] | None]:
    complete = [t for t in trials if t.state == "COMPLETE" and t.values]
    if len(directions) >= 2:
        front = {t.number for t in study.best_trials}  # Optuna's own Pareto front
        points = [(t.number, t.values[0], t.values[1], t.number in front) for t in complete]
        return (metric_names[0], metric_names[1]), points, (directions[0], directions[1])
    for attr in SATISFICING_ATTRS:
        with_attr = [t for t in complete if _number(t.user_attrs.get(attr)) is not None]
        if len(with_attr) >= 2:
            xs = [(t.number, float(t.user_attrs[attr]), t.values[0]) for t in with_attr]
            front = _front(xs, maximize_y=directions[0] == "maximize")
            points = [(n, x, y, n in front) for n, x, y in xs]
            return (attr, metric_names[0]), points, ("minimize", directions[0])
    return None, [], None


def _front(points: Iterable[tuple[int, float, float]], *, maximize_y: bool) -> set[int]:
    """The display's non-dominated set for two axes (x lower is better; y by its direction)."""
    ordered = sorted(points, key=lambda p: (p[1], -p[2] if maximize_y else p[2]))
    front, best = set(), -math.inf if maximize_y else math.inf
    for number, _x, y in ordered:
        if (y > best) if maximize_y else (y < best):
            front.add(number)
            best = y
    return front


# ----------------------------------------------------------------------------- the run folder
def read_run_folder(run_dir: str | Path) -> ReportInfo:
    """Read every section the run folder has data for (see the module docstring)."""
    root = Path(run_dir)
    if not root.exists():
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} does not exist: give a run folder written by "
            "`orthotune train` or `orthotune tune` (it holds run.json), or use --study NAME"
        )
    if not root.is_dir():
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} is a file, not a run folder: give the folder that "
            "`orthotune train --out` or `orthotune tune --out` wrote (it holds run.json)"
        )
    if not any((root / marker).exists() for marker in RUN_MARKERS):
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} is not a run folder: it holds none of "
            f"{', '.join(RUN_MARKERS)}; give the folder that `orthotune train --out` or "
            "`orthotune tune --out` wrote"
        )
    reader = _Reader(root)
    run = reader.json("run.json")
    split = reader.json("split.json")
    _, chosen = _model_names(root)
    manifest = reader.json(Path("models") / chosen / "manifest.json") if chosen else None
    class_names = _class_names(run, manifest)

    ladder = _ladder(reader.json("diagnosis.json"))
    summary = _summary(run, split, chosen, ladder)
    chosen_curve, others = _histories(reader, chosen)

    study, trial_curves, metric = None, [], "objective"
    if (root / "study.db").is_file():
        storage = f"sqlite:///{(root / 'study.db').resolve()}"
        try:
            study = read_study(storage)
            trial_curves, metric = _intermediate_curves(storage, study)
        except InvalidInputError as err:
            reader.notes.append(f"study.db: {err}")
    curves = None
    if chosen_curve is not None or others or trial_curves:
        curves = CurvesInfo(
            chosen=chosen_curve, others=others, trials=trial_curves, trial_metric=metric
        )
    schedule = chosen_curve if chosen_curve is not None and chosen_curve.has("lr") else None

    calibration = read_record(root, CALIBRATION_FILE, TemperatureScaling, reader.notes)
    saliency = read_record(root, SALIENCY_FILE, SaliencyReport, reader.notes)
    title = "orthotune report"
    data_name = next((v for k, v in (summary.facts if summary else []) if k == "Data"), None)
    if data_name:
        title = f"orthotune report — {data_name}"
    return ReportInfo(
        title=title,
        source=str(root.resolve()),
        summary=summary,
        ladder=ladder,
        curves=curves,
        schedule=schedule,
        confusion=_confusion(run, manifest, class_names),
        decisions=_decisions(reader.json("decisions.json")),
        study=study,
        analyses=_analysis(reader),
        more_data=_more_data(reader),
        notes=reader.notes,
        calibration=calibration,
        saliency=saliency,
    )


def _class_names(run: Any, manifest: Any) -> list[str]:
    for holder in (manifest, _first(run, "data")):
        names = _first(holder, "class_names", "classes")
        if isinstance(names, list):
            return [str(n) for n in names]
    return []


def _intermediate_curves(storage: Any, study: StudyInfo) -> tuple[list[Curve], str]:
    """Per-epoch intermediate values of the best few complete trials (Optuna's reports)."""
    import optuna

    if len(study.directions) != 1:
        return [], study.metric_names[0] if study.metric_names else "objective"
    live = optuna.load_study(study_name=study.name, storage=storage)
    maximize = study.directions[0] == "maximize"
    complete = [t for t in live.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    complete = [t for t in complete if t.value is not None and t.intermediate_values]
    complete.sort(key=lambda t: -t.value if maximize else t.value)
    curves = []
    for t in complete[:BEST_FEW]:
        steps = sorted(t.intermediate_values)
        curves.append(
            Curve(
                name=f"trial {t.number}",
                epochs=[float(s) for s in steps],
                series={"value": [_number(t.intermediate_values[s]) for s in steps]},
            )
        )
    return curves, study.metric_names[0]


def study_report_info(
    storage: Any, study_name: str, workers: Any = None, *, source: str | None = None
) -> ReportInfo:
    """A report of one study alone (``orthotune report --study NAME --storage URL``).

    ``storage``: a URL or an opened Optuna storage, which ``source`` then names (a server's
    URL with its password hidden); ``workers``: the ``StudyRecord`` of a study shared by many
    workers."""
    url = source or str(storage)
    study = read_study(storage, study_name)
    trial_curves, metric = _intermediate_curves(storage, study)
    curves = CurvesInfo(None, [], trial_curves, metric) if trial_curves else None
    facts = [
        ("Study", study.name),
        ("Storage", url),
        ("Trials", f"{len(study.trials)} ({len(study.complete)} complete)"),
        (
            "Objective",
            ", ".join(
                f"{m} ({d})" for m, d in zip(study.metric_names, study.directions, strict=True)
            ),
        ),
    ]
    if workers is not None and workers.workers:
        facts.append(
            (
                "Workers",
                f"{len(workers.workers)}: "
                + ", ".join(
                    f"{w.folder} ({w.complete}/{w.trials} complete)" for w in workers.workers
                ),
            )
        )
        if workers.best_trial is not None:
            facts.append(("Best model", f"trial {workers.best_trial}: {workers.best_model_dir}"))
        if workers.missing_checkpoints:
            facts.append(
                ("Checkpoints not on this disk", ", ".join(map(str, workers.missing_checkpoints)))
            )
    return ReportInfo(
        title=f"orthotune report — study {study.name}",
        source=url,
        summary=SummaryInfo(facts=facts, headline=None, test_metrics=[]),
        curves=curves,
        study=study,
    )
