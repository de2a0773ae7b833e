"""Read a run folder into backend-neutral section objects (compute; ``_render`` renders).

The report reads only the typed records the other parts left in the run folder (DESIGN.md
"The run folder"), each through its one reader: ``RunDir`` (``orthotune._rundir``) for
run.json (``RunRecord``), split.json, history/<name>.json (``History``), diagnosis.json
(``Diagnosis``), decisions.json (``DecisionLog``), calibration.json (``TemperatureScaling``),
test_scores.json (``ClassificationReport``) and the analysis results under analysis/ (errors,
imbalance, mismatch, label_issues, learning_curve and saliency, each its ``orthotune.analysis``
record; CSV files there are shown as tables); the checkpoint reader
(``orthotune.train.read_manifest``) for the chosen model's manifest; Optuna for study.db
(and hyperparameter importance on it). It computes nothing that those parts compute; it only
shapes their results for display.

Every section is present only when its record exists: a missing file drops its section, and a
file its reader refuses (damaged, or from a newer orthotune) becomes a note. The records have
one spelling each, so there is no alias table here; files written before the typed records are
migrated by ``RunDir`` or refused there in one line. A JSON file under analysis/ that is none of
those records is named in a note and not shown.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from orthotune._errors import InvalidInputError
from orthotune._records import (
    DecisionLog,
    History,
    JobSummary,
    RunRecord,
    SplitRecord,
    VariantScore,
)
from orthotune._rundir import CALIBRATION_FILE, TEST_SCORES_FILE, RunDir, shared_study_hint
from orthotune.analysis import (
    ErrorAnalysis,
    ImbalanceReport,
    LabelIssues,
    LearningCurve,
    MismatchReport,
    SaliencyReport,
)
from orthotune.diagnose import Diagnosis
from orthotune.metrics import ClassificationReport, TemperatureScaling
from orthotune.train import Manifest, read_manifest

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
# The gaps shown: (``Decomposition`` field, label); each spans the levels its ``Gap`` names
# (the variance gap spans train → dev when there is no train-dev set).
GAPS = (
    ("bias", "bias"),  # train − Bayes error, with a Bayes error (the verdict's "bias")
    ("avoidable_bias", "avoidable bias"),
    ("variance", "variance"),
    ("data_mismatch", "data mismatch"),
    ("dev_overfitting", "dev overfitting"),
)


# ----------------------------------------------------------------------------- section objects
@dataclass(frozen=True)
class Estimate:
    """A rate or gap (fraction) with its 95 % interval when the writer stored one."""

    value: float
    low: float | None = None
    high: float | None = None
    is_high: bool | None = None  # for gaps: above tolerance and outside the noise
    unresolved: bool = False  # for gaps: its interval leaves high or not open


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
    epochs: list[float]  # counted from 1, as the terminal says "epoch 1/20" (records: from 0)
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

    @property
    def k_fold(self) -> bool:
        """Whether the errors are out of fold (``autopilot._loop._validation``'s words)."""
        return "cross-validation" in (self.validation or "")


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

    @property
    def seconds(self) -> float | None:
        """Its training time: the ``seconds`` the writer recorded (the autopilot adds its models
        to the study once trained, so their start and end coincide: 0 s each), else end − start."""
        recorded = self.user_attrs.get("seconds")
        if isinstance(recorded, int | float) and not isinstance(recorded, bool):
            return float(recorded)
        if self.end_s is None or self.start_s is None:
            return None
        return self.end_s - self.start_s

    @property
    def label(self) -> str | None:
        """The variant it was, in words (the autopilot's trials: "32 bins", "synthesize toward
        dev: noise=0.4"), which its parameters alone do not tell: four trials of a sweep's run
        read alike in the table."""
        label = self.user_attrs.get("label")
        return label if isinstance(label, str) and label else None


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
    trial_curves: list[Curve] = field(default_factory=list)  # the best few trials' epochs
    ranking_note: str | None = None  # how the job chose among these trials, when not by rank
    chosen_trial: int | None = None  # the trial of the model the run returned, when one is

    @property
    def complete(self) -> list[TrialPoint]:
        return [t for t in self.trials if t.state == "COMPLETE" and t.values]

    def ranked(self, limit: int = 10) -> list[TrialPoint]:
        """The best complete trials by the first objective, those meeting constraints first."""
        sign = -1.0 if self.directions and self.directions[0] == "maximize" else 1.0
        ordered = sorted(self.complete, key=lambda t: (not t.feasible, sign * t.values[0]))
        return ordered[:limit]

    def labelled(self, limit: int = 10) -> bool:
        """Whether any of the ``ranked`` trials has a variant label (the table's column)."""
        return any(t.label for t in self.ranked(limit))

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
def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


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


Read = TypeVar("Read")


def _read(notes: list[str], where: str, read: Callable[[], Read]) -> Read | None:
    """``read()`` (a ``RunDir`` reader), or None with a note when the file is refused."""
    try:
        return read()
    except InvalidInputError as err:
        notes.append(f"{where} could not be read ({err}).")
        logger.warning("report: skipping %s: %s", where, err)
        return None


# ----------------------------------------------------------------------------- sections
FILLED_SHOWN = 3  # columns whose filling the summary names; run.json holds them all


def _trained_as(manifest: Manifest) -> list[tuple[str, str]]:
    """The chosen model's network and training, in a line each (the manifest's spec and
    training config; each field in the checkpoint)."""
    spec, config = manifest.spec, manifest.train_config
    net = [spec.kind]
    if spec.conv:
        net.append(f"{len(spec.conv)} conv blocks")
    if spec.hidden:
        net.append("hidden " + "-".join(map(str, spec.hidden)))
    net.append(spec.activation)
    rates = spec.dropout if isinstance(spec.dropout, tuple) else (spec.dropout,)
    if len(set(rates)) == 1:  # one rate for every layer (a PBT winner's per-layer tuple too)
        rates = rates[:1]
    net += ["batch norm"] * bool(spec.batch_norm)
    if any(rates):  # per-layer rates were "unsupported format string passed to tuple"
        net.append("dropout " + "-".join(f"{r:g}" for r in rates))
    if spec.select:
        net.append(f"reads {spec.select} chosen features")
    facts = [("Network", ", ".join(map(str, net)))]
    if config is not None:
        batch = "the whole set" if config.batch_size is None else config.batch_size
        train = [
            f"{config.optimizer} lr {config.lr:g}",
            f"{config.schedule} schedule",
            f"{config.epochs} epochs",
            f"batch {batch}",
            f"L2 {config.l2:g}",
            config.precision,
        ]
        # the knobs beyond the optimizer's (a sweep's report left out the augmentation its
        # mismatch knob had kept: four models in it read alike)
        train += [f"augmentation {config.augment}"] * bool(config.augment)
        train += [f"early stopping (patience {config.patience})"] * bool(config.patience)
        train += ["classes balanced"] * config.class_balance
        train += [f"label smoothing {config.label_smoothing:g}"] * bool(config.label_smoothing)
        train += [f"focal loss γ {config.focal_gamma:g}"] * bool(config.focal_gamma)
        facts.append(("Training", ", ".join(map(str, train))))
    bins = (manifest.normalization or {}).get("bins")
    if bins:  # step 0's input encoding, when it chose bins
        marked = sum(len(p) for p in bins.get("points", ()))
        inputs = "each numeric feature with its quantile bins beside it"
        facts.append(("Inputs", inputs + (f", {marked} shared values marked" if marked else "")))
    return facts


def _stopped(run: RunRecord | None, log: DecisionLog | None) -> str | None:
    """Why the job stopped, as the terminal said it: the autopilot's decision log, else the
    job's own summary (a search's, ``train``'s)."""
    if log is not None and log.stop_message:
        return log.stop_message
    extra = (run.summary.model_extra or {}) if run is not None and run.summary else {}
    message = extra.get("stop_message")
    return str(message) if message else None


def _summary(
    run: RunRecord | None,
    split: SplitRecord | None,
    chosen: str | None,
    manifest: Manifest | None,
    ladder: LadderInfo | None,
    stopped: str | None = None,
    label: str | None = None,
) -> SummaryInfo | None:
    import shlex

    facts: list[tuple[str, str]] = []
    result = run.summary if run is not None and run.summary is not None else JobSummary()
    extra = result.model_extra or {}
    if run is not None:  # the command as typed, not only its name (the API's is the name:
        typed = run.argv[:1] == [run.command]  # its process's argv is a script's or notebook's)
        facts.append(("Command", "orthotune " + shlex.join(run.argv) if typed else run.command))
        if run.data:
            facts.append(("Data", run.data))
    if manifest is not None and manifest.data_shape:
        shape = format_value(list(manifest.data_shape))
        reads = manifest.spec.input_shape
        if len(reads) == 1 and tuple(reads) != tuple(manifest.data_shape):  # bins, marked
            # values: "30" beside a network of 144,642 parameters read as a typo
            shape += f" (the network reads {reads[0]:,} inputs after encoding)"
        facts.append(("Input shape", shape))
    if manifest is not None and manifest.class_names:
        names = manifest.class_names
        shown = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
        facts.append(("Classes", f"{len(names)} ({shown})"))
    sizes = split.sizes if split is not None else None
    if sizes:
        shown = {part: n for part, n in sizes.items() if n}  # "train-dev 0" named a part not made
        facts.append(("Split", " · ".join(f"{part} {n:,}" for part, n in shown.items())))
    config = run.config if run is not None else {}
    if config.get("budget_s") is not None:
        facts.append(("Budget", f"{format_value(config['budget_s'])} s"))
    if config.get("strategy") is not None:
        facts.append(("Strategy", format_value(config["strategy"])))
    if config.get("constraints"):  # a search's satisficing metrics, as its terminal heads them
        objective = config.get("metric") or "dev_accuracy"
        facts.append(("Objective", f"{objective} subject to {', '.join(config['constraints'])}"))
    if stopped:
        facts.append(("Stopped", stopped))
    if run is not None and run.filled:  # what --impute filled, as the terminal says it (30
        # gappy columns were one 3,178-character fact that pushed the rest off the screen)
        shown = "; ".join(run.filled[:FILLED_SHOWN])
        more = len(run.filled) - FILLED_SHOWN
        rest = f"; … and {more} more (run.json: filled)" if more > 0 else ""
        facts.append(("Filled", shown + rest))
    if run is not None and run.left_out:  # warned on stderr as the table was read
        facts.append(("Columns left out", ", ".join(run.left_out)))
    used = _number(extra.get("seconds"))
    if used is not None:
        count = extra.get("models_trained") or extra.get("trials_this_run")
        what = "model{} trained" if extra.get("models_trained") else "trial{} this run"
        what = what.format("" if count == 1 else "s")  # "1 models trained" read as a typo
        facts.append(("Time", f"{used:,.1f} s" + (f" · {count:,} {what}" if count else "")))
    if run is not None and run.seed is not None:
        facts.append(("Seed", format_value(run.seed)))
    if chosen:
        members = len(manifest.members) if manifest is not None else 0
        if label:  # the step's words, as the terminal names it ("v1" alone said nothing)
            chosen = f"{chosen} ({label})"
        if members > 1:
            chosen = f"{chosen}, an ensemble of {members}, probabilities averaged"
        facts.append(("Chosen model", chosen))
    if manifest is not None:  # what was trained: the terminal's `train` said, the report not
        facts.extend(_trained_as(manifest))
    for value, label in (
        (result.parameters, "Parameters"),
        (result.latency_ms, "Latency (ms per example)"),
    ):
        if value is not None:
            facts.append((label, format_value(value)))
    if run is not None:
        facts.append(("Started", run.started))
        if run.finished:
            facts.append(("Finished", run.finished))
        if run.machine:
            facts.append(("Machine", format_value(run.machine)))
        if run.versions:
            facts.append(("Versions", format_value(run.versions)))

    test_metrics = [
        (_metric_label(str(name), value), format_value(value, rate=_is_rate(name)))
        for name, value in (result.test_metrics or {}).items()
        if _number(value) is not None
    ]
    if not test_metrics and ladder is not None:
        for key, label, estimate in ladder.levels:
            if key == "test_error":
                test_metrics.append((f"{label} error", format_value(estimate.value, rate=True)))
    headline = ladder.verdict if ladder else None
    if not facts and not test_metrics and not headline:
        return None
    return SummaryInfo(facts=facts, headline=headline, test_metrics=test_metrics)


def _job_notes(record: RunRecord | None) -> list[str]:
    """The notes the job's summary kept in run.json (the autopilot's: a chosen model no better
    than the floor, the yardstick ahead, a class only dev has …), which the terminal prints."""
    if record is None or record.summary is None:
        return []
    said = (record.summary.model_extra or {}).get("notes")
    return [str(n) for n in said] if isinstance(said, list) else []


def _metric_label(name: str, value: Any) -> str:
    """A test metric's tile label in words ("macro_f1" was shown as its key); a harmonic F1 of
    0 says why (a 32-class run's "harmonic_f1 0.00 %" beside 38 % accuracy looked broken)."""
    label = name.replace("_", " ").replace("f1", "F1")
    if name == "harmonic_f1" and _number(value) == 0:
        label += " (0: some class has F1 0)"
    return label


def _is_rate(name: str) -> bool:
    return _is_rate_name(str(name)) and "loss" not in str(name).lower()


def _level_key(name: str) -> str:
    """A level's name in a ``Decomposition`` (``train-dev``, ``human`` …) → its ladder key."""
    return f"{name.replace('-', '_')}_error"


def _ladder(diagnosis: Diagnosis | None) -> LadderInfo | None:
    if diagnosis is None:
        return None
    found = {
        _level_key(lv.name): Estimate(lv.error, lv.low, lv.high)
        for lv in diagnosis.decomposition.levels
    }
    for key in ("human_error", "bayes_error"):
        reference = getattr(diagnosis.levels, key)
        if reference is not None:
            found[key] = Estimate(reference)
    levels = [(key, label, found[key]) for key, label in LEVELS if key in found]
    gaps = []
    for key, label in GAPS:
        gap = getattr(diagnosis.decomposition, key)
        if gap is None:
            continue
        judged = next((j for j in diagnosis.verdict.judgements if j.gap.value == key), None)
        unresolved = judged is not None and judged.resolved is False
        estimate = Estimate(gap.value, gap.low, gap.high, diagnosis.is_high.get(key), unresolved)
        gaps.append(GapInfo(key, label, _level_key(gap.lower), _level_key(gap.upper), estimate))
    return LadderInfo(
        levels=levels,
        gaps=gaps,
        verdict=diagnosis.verdict.headline,
        knobs=[knob.words for knob in diagnosis.knobs],
        notes=list(diagnosis.verdict.notes),
    )


def _curve(name: str, history: History) -> Curve | None:
    if not history.epochs:
        return None
    series = {
        key: [_number(getattr(e, key)) for e in history.epochs]
        for key in ("train_loss", "dev_loss", "train_error", "dev_error", "lr", "seconds")
    }
    stop = " — ".join(p for p in (history.stop_reason, history.stop_message) if p) or None
    return Curve(
        name=name,
        epochs=[float(e.epoch + 1) for e in history.epochs],
        series=series,
        stop_reason=stop,
    )


DEV_SERIES = ("dev_error", "dev_loss", "dev_accuracy")  # what an other model's curve shows


def _final_dev(curve: Curve) -> float:
    for key in ("dev_error", "dev_loss"):
        values = [v for v in curve.series.get(key, []) if v is not None]
        if values:
            return min(values)
    return math.inf


def _histories(
    run: RunDir, chosen: str | None, notes: list[str]
) -> tuple[Curve | None, list[Curve]]:
    curves = []
    for name in run.history_names():
        history = _read(notes, f"history/{name}.json", lambda n=name: run.read_history(n))
        curve = None if history is None else _curve(name, history)
        if curve is not None:
            curves.append(curve)
    if not curves:
        return None, []
    chosen_curve = next((c for c in curves if c.name == chosen), None)
    # an ensemble's members (history/NAME.member-K.json) are the chosen model, not rivals:
    # its first member's curves stand for it
    members = [c for c in curves if chosen and c.name.startswith(f"{chosen}.member-")]
    if chosen_curve is None and members:  # named as what it is: "Chosen model: mlp.member-1"
        # read as the chosen model's curve, beside the ensemble's lower dev error
        chosen_curve = replace(
            members[0], name=f"{chosen}, member 1 of {len(members)} (the ensemble: the ladder)"
        )
    if chosen_curve is None and len(curves) == 1:
        chosen_curve = curves[0]
    # the others are shown by their dev curves: a model without one (k-fold's, trained on
    # train + dev) has nothing to draw there
    dev = [
        c
        for c in curves
        if c is not chosen_curve and c not in members and any(map(c.has, DEV_SERIES))
    ]
    return chosen_curve, sorted(dev, key=_final_dev)[:BEST_FEW]


def _confusion(scores: ClassificationReport | None) -> ConfusionInfo | None:
    """The chosen model's confusion matrix and per-class scores on test (test_scores.json)."""
    if scores is None:
        return None
    rows = [ClassRow(c.label, c.precision, c.recall, c.fbeta, c.support) for c in scores.per_class]
    triple = lambda a: (a.precision, a.recall, a.fbeta)  # noqa: E731
    return ConfusionInfo(
        split="test",
        class_names=list(scores.labels),
        matrix=[[float(v) for v in row] for row in scores.confusion],
        scores=ClassScores(
            rows=rows, average=triple(scores.macro), harmonic=triple(scores.harmonic)
        ),
    )


def _gap_list(dumped: dict[str, Any]) -> list[tuple[str, Estimate]]:
    """A decision step's ``before`` / ``after`` (a ``Diagnosis`` dump): its gaps, then its
    measured error levels."""
    if not dumped:
        return []
    ladder = _ladder(Diagnosis.model_validate(dumped))
    if ladder is None:
        return []
    listed = [(gap.label, gap.estimate) for gap in ladder.gaps]
    return listed + [
        (f"{label} error", estimate)
        for key, label, estimate in ladder.levels
        if key not in ("human_error", "bayes_error")
    ]


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


def _decisions(log: DecisionLog | None) -> DecisionsInfo | None:
    if log is None or not log.steps:
        return None
    steps = []
    for step in log.steps:
        variants = _polish_rows(step.variants) if step.problem == "polish" else step.variants
        kept = next((v for v in step.variants if v.name == step.kept), None)
        steps.append(
            DecisionStep(
                index=step.index,
                problem=step.problem and step.problem.replace("_", " "),  # as the terminal
                # says it; step 0's knob is its problem ("baseline → baseline" read twice)
                knob=None if step.knob in (None, step.problem) else step.knob.replace("_", " "),
                choice=None if kept is None else kept.label,
                kept=step.kept is not None,
                reason=step.why or None,
                seconds=step.seconds,
                before=_gap_list(step.before),
                after=_gap_list(step.after),
                variants=_table("variants tried", [_variant_row(v) for v in variants]),
            )
        )
    stick, low = log.yardstick or {}, log.floor or {}
    parts = [
        log.stop_message or (None if log.stop_reason is None else str(log.stop_reason)),
        _number(stick.get("dev_error")) is not None
        and f"a gradient-boosting model ({stick.get('model')}, {stick.get('how')}) reaches "
        f"{100 * stick['dev_error']:.2f} % dev error",
        bool(stick.get("skipped")) and f"no gradient-boosting yardstick: {stick.get('skipped')}",
        _number(low.get("dev_error")) is not None
        and f"always predicting {low.get('label')!r} (the most frequent class) gives "
        f"{100 * low['dev_error']:.2f} % dev error",
        bool(log.polish) and f"polish: {log.polish}",
        # the rest of what the terminal prints at the end (the report left them out)
        bool(log.refit) and f"refit: {log.refit}",
        bool(log.remaining_problem)
        and f"remaining problem: {str(log.remaining_problem).replace('_', ' ')}",
        bool(log.beyond_tuning) and f"what tuning cannot do: {'; '.join(log.beyond_tuning)}",
    ]
    final = "; ".join(p for p in parts if p) or None
    return DecisionsInfo(steps=steps, final=final, validation=log.validation or None)


POLISH_ROWS = 10  # a polish step's variants in the report besides the kept one


def _polish_rows(variants: list[VariantScore]) -> list[VariantScore]:
    """A polish step's kept variant and its ``POLISH_ROWS`` best on dev (a local search tries
    dozens; decisions.json keeps them all)."""
    best = sorted(variants, key=lambda v: v.errors.get("dev", 1.0))[:POLISH_ROWS]
    return [v for v in variants if v in best or v.accepted]


def _variant_row(variant: VariantScore) -> dict[str, Any]:
    """A variant of an autopilot step as the columns a reader compares: label, errors per
    part, paired change of the targeted error."""
    row: dict[str, Any] = {"variant": variant.described}
    for part, error in variant.errors.items():
        row[f"{part} error"] = error
    change, low, high = variant.target_change, variant.target_low, variant.target_high
    if change is not None and low is not None and high is not None:
        row["targeted error Δ (95 %)"] = (
            f"{100 * change:+.2f} ({100 * low:+.2f} … {100 * high:+.2f}) points"
        )
    row["kept"] = variant.accepted
    row["why"] = variant.failed or variant.why
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
def _analysis(run: RunDir, notes: list[str]) -> list[AnalysisInfo]:
    folder = run.analysis_dir
    if not folder.is_dir():
        return []
    infos = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(run.path).as_posix()
        if relative in (SALIENCY_FILE, LEARNING_CURVE_FILE):  # sections of their own
            continue
        if path.suffix == ".json":
            if relative not in ANALYSIS_RECORDS:
                notes.append(
                    f"{relative} is not a result orthotune writes ({', '.join(ANALYSIS_RECORDS)} "
                    "are): not shown."
                )
                continue
            record_type, kind = ANALYSIS_RECORDS[relative]
            record = _read(notes, relative, lambda r=relative, t=record_type: run.read_record(r, t))
            info = None if record is None else _analysis_record(relative, record, kind)
        elif path.suffix == ".csv":
            info = _analysis_csv(run.path, Path(relative), notes)
        else:
            continue
        if info is not None:
            infos.append(info)
    return infos


LEARNING_CURVE_FILE = "analysis/learning_curve.json"
SALIENCY_FILE = "analysis/saliency.json"
# the analysis results shown as tables: file → (record, section); ``errors`` writes the first
# three into a run folder, ``clean --out RUN_DIR/analysis`` the last
ANALYSIS_RECORDS: dict[str, tuple[type[Any], str]] = {
    "analysis/errors.json": (ErrorAnalysis, "error_analysis"),
    "analysis/imbalance.json": (ImbalanceReport, "error_analysis"),
    "analysis/mismatch.json": (MismatchReport, "error_analysis"),
    "analysis/label_issues.json": (LabelIssues, "label_issues"),
}


def _analysis_record(name: str, record: Any, kind: str) -> AnalysisInfo | None:
    """A typed analysis result as facts (its scalar fields) and tables (its lists of records)."""
    title = Path(name).stem.replace("_", " ")
    facts: list[tuple[str, str]] = []
    if isinstance(record, LabelIssues):
        facts.append(("suspected label issues", f"{len(record.suspects):,}"))
    tables: list[TableInfo] = []
    for key, value in record.model_dump(mode="json").items():
        if key == "schema_version":
            continue
        label = str(key).replace("_", " ")
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            table = _table(label, [_flatten(v) for v in value])
            if table:
                tables.append(table)
        elif (
            isinstance(value, Mapping)
            and value
            and all(isinstance(v, Mapping) for v in value.values())
        ):
            table = _table(label, [{"name": k, **_flatten(v)} for k, v in value.items()])
            if table:
                tables.append(table)
        elif isinstance(value, list) and len(value) > 20:
            facts.append((label, f"{len(value):,} entries"))
        elif value is not None and value != [] and value != {}:
            facts.append((label, format_value(value, rate=_is_rate(key) and _is_fraction(value))))
    if not facts and not tables:
        return None
    return AnalysisInfo(name, title, kind, facts, tables)


def _analysis_csv(root: Path, relative: Path, notes: list[str]) -> AnalysisInfo | None:
    if relative.as_posix() == PREDICTIONS_FILE:
        return _predictions_file(root / relative, notes)
    try:
        with (root / relative).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        notes.append(f"{relative.as_posix()} could not be read ({err}).")
        return None
    short = [i for i, row in enumerate(rows, start=2) if None in row.values()]
    if short:  # csv fills a row's missing cells with None: a file cut short, say
        notes.append(
            f"{relative.as_posix()}: line {short[0]} holds fewer cells than its header line"
            f"{f' (and {len(short) - 1} more lines)' if len(short) > 1 else ''}, as in a file "
            "cut short: shown as read, those cells empty."
        )
    title = relative.stem.replace("_", " ").replace("-", " ")
    table = _table(title, rows)
    if table is None:
        return None
    facts = [("rows", f"{len(rows):,}")]
    kind = "label_issues" if relative.name == "audit.csv" else "other"  # clean's audit log
    return AnalysisInfo(relative.as_posix(), title, kind, facts, [table])


PREDICTIONS_FILE = "analysis/predictions.csv"


def _predictions_file(path: Path, notes: list[str]) -> AnalysisInfo | None:
    """The run's predictions (what ``errors`` analyses) as facts, not a table: its first rows,
    shown as an "Error analysis", were raw probabilities (0.9999974951283027, True/False) of
    train and test rows, and a 1,000-class file of 100,000 rows is 2 GB to read."""
    counts: dict[str, int] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            at = header.index("split") if "split" in header else None
            for row in reader:
                part = row[at] if at is not None and at < len(row) else "all"
                counts[part] = counts.get(part, 0) + 1
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        notes.append(f"{PREDICTIONS_FILE} could not be read ({err}).")
        return None
    classes = sum(str(c).startswith("p_") for c in header)
    facts = [
        ("rows", " · ".join(f"{part} {n:,}" for part, n in counts.items()) or "0"),
        ("columns", f"id, y_pred, confidence and a probability for each of {classes} classes"),
        ("read by", "orthotune errors RUN_DIR (which classes are wrong, and why)"),
    ]
    return AnalysisInfo(PREDICTIONS_FILE, "predictions", "other", facts, [])


# ----------------------------------------------------------------------------- study
def read_study(storage: Any, study_name: str | None = None) -> StudyInfo:
    """Trials, importance, Pareto points and the best trials' curves of one Optuna study (the
    one with most trials when ``study_name`` is None and the storage holds several). The trials
    are read from the storage once: a run of 1,500 small models took 1.4 s a read on SQLite."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        names = optuna.study.get_all_study_names(storage=storage)
    except Exception as err:  # a storage URL that does not open
        raise InvalidInputError(
            f"--storage {storage!r} could not be opened ({type(err).__name__}): give an Optuna "
            "storage URL such as sqlite:///RUN_DIR/study.db"
        ) from err
    if study_name is None:
        if not names:
            raise InvalidInputError(
                f"storage {storage!r} holds no study: run `orthotune tune` first"
            )
        studies = [optuna.load_study(study_name=n, storage=storage) for n in names]
        return _study_info(max(studies, key=lambda s: len(s.get_trials(deepcopy=False))))
    if study_name not in names:
        listed = ", ".join(names[:10]) or "none"
        raise InvalidInputError(
            f"--study {study_name!r} is not in storage {storage!r}: studies there: {listed}; "
            "give one of them or the --storage that holds it"
        )
    return _study_info(optuna.load_study(study_name=study_name, storage=storage))


def _chosen_trial(study: StudyInfo, chosen: str) -> int | None:
    """The trial of the chosen model: a search's ``trial-N``, or the autopilot's trial that
    recorded the model of that name (the last, for a refitted one)."""
    import re

    found = re.fullmatch(r"trial-(\d+)", chosen)
    if found:
        return int(found.group(1))
    named = [t.number for t in study.trials if t.user_attrs.get("model_name") == chosen]
    return named[-1] if named else None


def _read_run_study(db: Path) -> StudyInfo:
    """A run folder's study.db. SQLite cannot open one it may not write (a read-only file
    system, a copy owned by another user: "could not be opened", and the report blamed the
    file): that one is read from a copy in a temporary folder."""
    import os
    import shutil
    import tempfile

    try:
        return read_study(f"sqlite:///{db.resolve()}")
    except InvalidInputError:
        if os.access(db.parent, os.W_OK) and os.access(db, os.W_OK):
            raise  # writable: the file itself is the trouble
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / db.name
            shutil.copyfile(db, copy)
            return read_study(f"sqlite:///{copy}")


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
        # a search keeps what it measured (seconds, latency_ms, params …) under ``metrics``
        # (its METRICS_ATTR): read at the top level, the seconds were start→end and no
        # constraint's axis was found
        measured = t.user_attrs.get("metrics")
        attrs = {**(measured if isinstance(measured, dict) else {}), **t.user_attrs}
        feasible = t.user_attrs.get("feasible", t.user_attrs.get("satisficing", True))
        trials.append(
            TrialPoint(
                number=t.number,
                state=t.state.name,
                values=list(t.values) if t.values is not None else None,
                params=dict(t.params),
                start_s=offset(t.datetime_start),
                end_s=offset(t.datetime_complete),
                user_attrs=attrs,
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
        trial_curves=_best_curves(frozen, directions),
    )


# The depth of fANOVA's trees (Optuna's default 64: each tree grows to fit every trial, and the
# marginal variances cost with its leaves). A 5-minute autopilot run on a 6,367-row table
# (sweep 30's monica) trained 787 models: their importance took 13.7 s at depth 64 and 1.7 s at
# 8, after the budget, in a report the run writes last (the run ended 16 s past its 300 s);
# the importances agreed to 0.003 (depth 0.599, lr 0.160 / 0.161, epochs 0.137 / 0.135, width
# 0.087), and on four more of its runs (36-300 models) the same parameters led within 0.03.
IMPORTANCE_DEPTH = 8


def _importances(study: Any, optuna: Any) -> tuple[dict[str, float], str | None]:
    complete = [
        t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE" and t.params
    ]
    if len(complete) < 2:
        return {}, None
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0, max_depth=IMPORTANCE_DEPTH)
    target = None if len(study.directions) == 1 else (lambda t: t.values[0])
    try:
        raw = optuna.importance.get_param_importances(study, evaluator=evaluator, target=target)
    except Exception as err:  # too few distinct values, a single-valued space …
        return {}, f"Hyperparameter importance unavailable: {type(err).__name__}: {err}"
    return {str(k): float(v) for k, v in raw.items()}, None


# Satisficing quantities a trial may record, plotted against the objective (lower is better).
REFIT_LADDER = (
    "These levels are the chosen configuration's before its refit on train + dev (the "
    "refitted model learned from dev, so its dev error says nothing): test − dev is one "
    "model's. The test scores above are the refitted model's."
)
AUTOPILOT_RANKING = (
    "Each value is one model's dev accuracy on one seed. The autopilot keeps a model only when "
    "it beats the one before beyond the noise (its polish re-trains the closest contenders "
    "with fresh seeds), so a trial ranked above the chosen model here may have lost that test."
)
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
    root = Path(run_dir).expanduser()
    if not root.exists():
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} does not exist: give a run folder written by "
            "`orthotune train` or `orthotune tune` (it holds run.json), or use --study NAME"
        )
    run_above = root.parent.parent  # RUN/models/NAME or RUN/models/best: its run folder
    above = (
        f"; it is a model of the run folder {run_above}: give that, `orthotune report {run_above}`"
        if root.parent.name == "models" and (run_above / "run.json").is_file()
        else ""
    )
    if not root.is_dir():
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} is a file, not a run folder"
            + (
                above
                or ": give the folder that `orthotune train --out` or `orthotune tune --out` "
                "wrote (it holds run.json)"
            )
        )
    if not any((root / marker).exists() for marker in RUN_MARKERS):
        raise InvalidInputError(
            f"RUN_DIR {str(run_dir)!r} is not a run folder: it holds none of "
            f"{', '.join(RUN_MARKERS)}"
            + (
                above
                or shared_study_hint(root)
                or "; give the folder that `orthotune train --out` or `orthotune tune --out` wrote"
            )
        )
    run, notes = RunDir(root), []
    record = _read(notes, "run.json", run.read_run) if run.run_json.is_file() else None
    split = _read(notes, "split.json", run.read_split)
    chosen = run.best_name()
    manifest = None
    if chosen is not None and chosen in run.model_names():
        where = f"models/{chosen}/manifest.json"
        manifest = _read(notes, where, lambda: read_manifest(run.model_dir(chosen)))

    if record is not None and not record.finished:  # read as finished before, unsaid
        stop = (record.summary.model_extra or {}).get("stop_reason") if record.summary else None
        why = "interrupted by the user" if stop == "interrupted" else "killed, or still running"
        notes.append(
            f"the job that wrote this run did not finish ({why}): this report shows what it had "
            "saved; its test scores, calibration or analysis may be missing"
        )
    ladder = _ladder(_read(notes, "diagnosis.json", run.read_diagnosis))
    log = _read(notes, "decisions.json", run.read_decisions)
    if ladder is not None and log is not None and log.refitted:
        ladder.notes.insert(0, REFIT_LADDER)
    said = _job_notes(record)  # what the job said on stderr and under --json (a floor no lower
    (ladder.notes if ladder is not None else notes).extend(said)  # than the chosen model's …)
    stopped = _stopped(record, log)
    if stopped and record is not None and record.finished and "interrupted" in stopped:
        notes.append(  # a Ctrl-C'd job finishes what it had: read as complete before
            f"the job was stopped before its end ({stopped}): the model is the one it had kept "
            "by then" + ("" if record.command == "train" else " (its best so far)")
        )
    summary = _summary(
        record,
        split,
        chosen,
        manifest,
        ladder,
        stopped,
        log.label(chosen) if log is not None and chosen else None,
    )
    chosen_curve, others = _histories(run, chosen, notes)

    study, trial_curves, metric = None, [], "objective"
    elsewhere = record.config.get("storage") if record is not None else None
    if elsewhere and not run.study_db.is_file():  # --storage: the study is not in the folder
        study_name = record.config.get("study", "NAME")
        notes.append(
            f"the search's study lives in {elsewhere}, not in this folder: its progress and "
            f"importance are left out here; `orthotune report --study {study_name} --storage "
            f"{elsewhere}` draws them"
        )
    if run.study_db.is_file():
        try:
            study = _read_run_study(run.study_db)
            trial_curves, metric = study.trial_curves, study.metric_names[0]
            if record is not None and record.config.get("strategy") == "autopilot":
                study = replace(study, ranking_note=AUTOPILOT_RANKING)
            if chosen:
                study = replace(study, chosen_trial=_chosen_trial(study, chosen))
        except InvalidInputError as err:  # its message's fix (another --storage) is no fix here
            logger.warning("report: skipping study.db: %s", err)
            notes.append(
                "study.db could not be read as an Optuna study: the trials' curves are left "
                "out (restore study.db from a copy to see them)."
            )
    curves = None
    if chosen_curve is not None or others or trial_curves:
        curves = CurvesInfo(
            chosen=chosen_curve, others=others, trials=trial_curves, trial_metric=metric
        )
    schedule = chosen_curve if chosen_curve is not None and chosen_curve.has("lr") else None

    def typed(relative: str, record_type: type[Read]) -> Read | None:
        return _read(notes, relative, lambda: run.read_record(relative, record_type))

    title = "orthotune report"
    if record is not None and record.data:
        title = f"orthotune report — {record.data}"
    return ReportInfo(
        title=title,
        source=str(root.resolve()),
        summary=summary,
        ladder=ladder,
        curves=curves,
        schedule=schedule,
        confusion=_confusion(typed(TEST_SCORES_FILE, ClassificationReport)),
        decisions=_decisions(log),
        study=study,
        analyses=_analysis(run, notes),
        more_data=typed(LEARNING_CURVE_FILE, LearningCurve),
        notes=notes,
        calibration=typed(CALIBRATION_FILE, TemperatureScaling),
        saliency=typed(SALIENCY_FILE, SaliencyReport),
    )


def _best_curves(frozen: list[Any], directions: list[str]) -> list[Curve]:
    """Per-epoch intermediate values of the best few complete trials (Optuna's reports)."""
    if len(directions) != 1:
        return []
    maximize = directions[0] == "maximize"
    complete = [t for t in frozen if t.state.name == "COMPLETE"]
    complete = [t for t in complete if t.value is not None and t.intermediate_values]
    complete.sort(key=lambda t: -t.value if maximize else t.value)
    curves = []
    for t in complete[:BEST_FEW]:
        steps = sorted(t.intermediate_values)
        curves.append(
            Curve(
                name=f"trial {t.number}",
                epochs=[float(s + 1) for s in steps],  # a trial reports its epoch index
                series={"value": [_number(t.intermediate_values[s]) for s in steps]},
            )
        )
    return curves


def study_report_info(
    storage: Any, study_name: str, workers: Any = None, *, source: str | None = None
) -> ReportInfo:
    """A report of one study alone (``orthotune report --study NAME --storage URL``).

    ``storage``: a URL or an opened Optuna storage, which ``source`` then names (a server's
    URL with its password hidden); ``workers``: the ``StudyRecord`` of a study shared by many
    workers."""
    url = source or str(storage)
    study = read_study(storage, study_name)
    curves = None
    if study.trial_curves:
        curves = CurvesInfo(None, [], study.trial_curves, study.metric_names[0])
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
