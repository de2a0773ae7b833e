"""The typed records of the run folder (DESIGN.md "The run folder"): one spelling each.

    run.json               ``RunRecord``     what was asked and the summary result
    history/<name>.json    ``History``       per-epoch curves (``EpochRecord``) of one model
    decisions.json         ``DecisionLog``   the autopilot's decisions (``Step``, ``VariantScore``)

and, typed where they are computed: diagnosis.json (``orthotune.diagnose.Diagnosis``),
models/<name>/manifest.json (``orthotune.train.Manifest``, written and hash-checked by the
checkpoint code), calibration.json (``orthotune.metrics.TemperatureScaling``).

Why here, beside ``_rundir`` and not in a package: the records are written by train (a lower
layer: ``Trainer`` builds ``EpochRecord``), by search and by the autopilot, and read by the
report, so they sit below all of them and import nothing of orthotune. ``RunDir`` is the one
module that writes and reads these files (``write_history`` / ``read_history`` …) and migrates
the spellings written before (``_rundir._migrate_history``). Rates are fractions.
"""

from __future__ import annotations

import math
import re
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DECISIONS_SCHEMA_VERSION",
    "HISTORY_SCHEMA_VERSION",
    "RUN_SCHEMA_VERSION",
    "SPLIT_SCHEMA_VERSION",
    "DecisionLog",
    "EpochRecord",
    "GradientNorms",
    "History",
    "JobSummary",
    "RunRecord",
    "SplitRecord",
    "Step",
    "StopReason",
    "VariantScore",
    "data_sha256",
]

RUN_SCHEMA_VERSION = 1
# 2: one object {epochs, stop_reason, …}; before it ``train`` wrote its TrainResult (version 1,
# the epochs under "history") and ``tune`` a bare list of epochs (no version)
HISTORY_SCHEMA_VERSION = 2
DECISIONS_SCHEMA_VERSION = 1
SPLIT_SCHEMA_VERSION = 1  # what orthotune.data's Split.to_json writes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobSummary(BaseModel):
    """run.json's ``summary``: the job's own typed summary (``TrainSummary``, ``TuneSummary``,
    ``SearchSummary``, each dumped) — this record names the fields the jobs share and the report
    shows; the others are kept as the job wrote them."""

    model_config = ConfigDict(extra="allow")

    parameters: int | None = None  # the chosen model's (an ensemble's: all its members')
    latency_ms: float | None = None  # per example, batch of 1, median
    test_metrics: dict[str, float] | None = None  # the chosen model's, once (None: not here)


def data_sha256(data: str) -> str:
    """The sha256 of DATA when it is one file (``""`` for ``builtin:NAME`` and folders): what
    ``predict`` compares before it reads the run's split by row (an edited file's rows are
    other rows)."""
    import hashlib
    from pathlib import Path

    path = Path(str(data).strip()).expanduser()
    if str(data).startswith("builtin:") or not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def redact_url(text: str) -> str:
    """``text`` with a URL's password replaced by ``***`` (``postgresql://u:***@host/db``),
    cut at the last ``@`` before the host; other text as it is."""
    match = re.match(r"^([A-Za-z][\w+.-]*://)([^/]*)(.*)$", text, re.DOTALL)
    if match is None or "@" not in match.group(2):
        return text
    userinfo, host = match.group(2).rsplit("@", 1)
    if ":" not in userinfo:
        return text
    return f"{match.group(1)}{userinfo.split(':', 1)[0]}:***@{host}{match.group(3)}"


def _argv() -> list[str]:
    """The command line, a storage URL's password hidden (run.json sits on shared disks)."""
    return [
        f"{a.split('=', 1)[0]}={redact_url(a.split('=', 1)[1])}"
        if a.startswith("--") and "=" in a
        else redact_url(a)
        for a in sys.argv[1:]
    ]


class Resumed(BaseModel):
    """One run that resumed a search: what it was asked (its options may differ from the
    first run's: --trials, --budget, --constraint …) and when."""

    argv: list[str] = Field(default_factory=_argv)
    started: str = Field(default_factory=_now)
    config: dict[str, Any] = Field(default_factory=dict)


class RunRecord(BaseModel):
    """run.json: what was asked (command, data, config, seed, versions) and the summary."""

    schema_version: int = RUN_SCHEMA_VERSION
    command: str
    argv: list[str] = Field(default_factory=_argv)
    data: str = ""
    data_sha256: str = ""  # DATA's content when it is a file (``data_sha256``); "" before
    # DATA's absolute path when it is a file: ``data`` is as given, relative to the folder the
    # run was started in, where ``errors RUN`` from elsewhere did not find it
    data_file: str = ""
    seed: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    filled: list[str] = Field(
        default_factory=list, description="what --impute did to each column with missing values"
    )
    # feature columns the table's reading left out (row numbers, names …), as warned on stderr
    left_out: list[str] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    # where it ran (``train.machine_facts``: host, CPU, cores, torch threads, GPU): a latency or
    # a duration means little without it; {} in runs written before it
    machine: dict[str, Any] = Field(default_factory=dict)
    started: str = Field(default_factory=_now)
    finished: str | None = None
    summary: JobSummary | None = None
    # each later run that resumed this folder's study (``Resumed``): ``argv`` and ``config``
    # above stay the first run's, the one that made the split; ``summary`` is the latest run's
    resumes: list[Resumed] = Field(default_factory=list)


# ----------------------------------------------------------------------------- history
class SplitRecord(BaseModel):
    """split.json: which examples, by id, went to which part (``orthotune.data.Split.to_json``);
    ``predict`` finds each row's part by it, the report shows the sizes."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SPLIT_SCHEMA_VERSION
    seed: int | None = None
    sizes: dict[str, int]
    ids: dict[str, list[str]] = Field(default_factory=dict)


class GradientNorms(BaseModel):
    """L2 norms of each layer's weight gradient at the last step of an epoch.

    The lecture's vanishing / exploding gradients: a layer is flagged ``vanishing`` when its norm
    is below ``VANISHING_ABS`` or below ``VANISHING_REL`` times the largest layer norm, and
    ``exploding`` when it is above ``EXPLODING_ABS`` or not finite.
    """

    # a non-finite norm or loss is written as NaN / Infinity and read back as such
    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    VANISHING_ABS: ClassVar[float] = 1e-7
    VANISHING_REL: ClassVar[float] = 1e-4
    EXPLODING_ABS: ClassVar[float] = 1e3

    norms: dict[str, float] = Field(default_factory=dict)
    vanishing: list[str] = Field(default_factory=list)
    exploding: list[str] = Field(default_factory=list)

    @classmethod
    def from_norms(cls, norms: dict[str, float]) -> GradientNorms:
        finite = [v for v in norms.values() if math.isfinite(v)]
        top = max(finite, default=0.0)
        vanishing = [
            k
            for k, v in norms.items()
            if math.isfinite(v) and v < max(cls.VANISHING_ABS, cls.VANISHING_REL * top)
        ]
        exploding = [k for k, v in norms.items() if not math.isfinite(v) or v > cls.EXPLODING_ABS]
        return cls(norms=norms, vanishing=vanishing, exploding=exploding)


class EpochRecord(BaseModel):
    """One epoch t (0-based) of the history."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    epoch: int
    steps: int  # optimizer steps taken in this epoch (fewer than usual if the budget ran out)
    lr: float  # learning rate at the epoch's first step
    train_loss: float  # running mean of the (weighted) mini-batch losses
    train_error: float  # running error rate over the epoch's mini-batches
    smoothed_loss: float  # EWA of the per-step losses with bias correction, at the epoch's end
    dev_loss: float | None = None
    dev_error: float | None = None
    seconds: float  # wall time of the epoch, dev evaluation included
    gradients: GradientNorms = Field(default_factory=GradientNorms)


class History(BaseModel):
    """history/<name>.json: the per-epoch curves of one model (an ensemble: one per member),
    the same shape whichever job trained it. ``stop_reason`` is ``orthotune.train.StopReason``'s
    value when the job knows it."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = HISTORY_SCHEMA_VERSION
    epochs: list[EpochRecord] = Field(default_factory=list)
    stop_reason: str | None = None
    stop_message: str = ""
    best_epoch: int | None = None  # the epoch of the lowest dev error, when known


# ----------------------------------------------------------------------------- decision log
class StopReason(StrEnum):
    """Why the autopilot stopped (not ``orthotune.train.StopReason``: why one training ended)."""

    GOAL_REACHED = "goal_reached"
    BUDGET_SPENT = "budget_spent"
    NO_KNOB_HELPS = "no_knob_helps"
    NOTHING_TO_FIX = "nothing_to_fix"
    MAX_STEPS = "max_steps"
    INTERRUPTED = "interrupted"  # Ctrl-C: the model kept so far is chosen


# how a variant's ``why`` starts when the budget cut its training short: not comparable
CUT_SHORT = "cut short by the time budget"


class VariantScore(BaseModel):
    """One variant tried in a step."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    trial: int | None = None  # its trial number in the run's Optuna study
    errors: dict[str, float] = Field(default_factory=dict)  # part -> error rate
    seeds: int = 1  # training seeds the errors are the mean of (the polish's re-measures)
    target_change: float | None = None  # change of the targeted error (negative = better)
    target_low: float | None = None  # its paired 95 % interval
    target_high: float | None = None
    p_value: float | None = None  # one-sided p-value of "not better" (``_compare``)
    p_adjusted: float | None = None  # after Holm over the step's variants
    other_changes: dict[str, float] = Field(default_factory=dict)  # gap -> change
    accepted: bool = False
    why: str = ""
    failed: str | None = None
    seconds: float = 0.0

    @property
    def described(self) -> str:
        """Its label, and the seeds its errors are the mean of when more than one (a
        re-measure's figure is not the one model kept)."""
        return self.label + (f" (mean of {self.seeds} seeds)" if self.seeds > 1 else "")

    @property
    def cut_short(self) -> bool:
        """Whether the budget cut its training short (its errors are not comparable)."""
        return not self.accepted and self.why.startswith(CUT_SHORT)


class Step(BaseModel):
    """One turn of one knob (or the baseline)."""

    model_config = ConfigDict(frozen=True)

    index: int
    problem: str  # avoidable_bias | variance | data_mismatch | dev_error | baseline
    knob: str
    target: str = ""  # which error the step tries to lower, e.g. "train error"
    before: dict = Field(default_factory=dict)  # decomposition before (Diagnosis dump)
    after: dict = Field(default_factory=dict)  # decomposition after (when a variant was kept)
    variants: list[VariantScore] = Field(default_factory=list)
    kept: str | None = None  # name of the kept variant, None when nothing beat the noise
    why: str = ""
    seconds: float = 0.0
    elapsed: float = 0.0  # since the autopilot started


REFITTED = "refit on the"  # how ``DecisionLog.refit`` starts when the chosen model was refitted


class DecisionLog(BaseModel):
    """Everything the autopilot decided, in order."""

    schema_version: int = DECISIONS_SCHEMA_VERSION
    steps: list[Step] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    stop_message: str = ""
    remaining_problem: str | None = None
    beyond_tuning: list[str] = Field(default_factory=list)
    chosen: str | None = None
    # a gradient-boosting model's dev error on the same data (vector data; ``_yardstick``)
    yardstick: dict | None = None
    # always the most frequent training class: the dev error any model must beat (``_yardstick``)
    floor: dict | None = None
    polish: str = ""  # why the polish phase (steps with problem "polish") ended, in words
    refit: str = ""  # what --refit did (``_refit``), when asked; REFITTED starts a done one
    # wall seconds spent training outside the steps: the refit's models and the learning
    # curve's (the steps keep their own ``seconds``)
    refit_seconds: float = 0.0
    curve_seconds: float = 0.0
    grown: int = 0  # ensemble members the refit's leftover time added (``grow_refitted``)
    validation: str = ""  # how the errors were estimated: a hold-out dev set or k-fold

    @property
    def refitted(self) -> bool:
        """Whether the chosen model was refitted on train + dev (``autopilot._refit``)."""
        return self.refit.startswith(REFITTED)

    def label(self, name: str) -> str | None:
        """The step's words for the model ``name`` (its latest variant's label, ``deeper
        network``), or ``None`` where they are only its folder name. The chosen model's says
        what its refit grew (a sweep read "ensemble of 4 seeds" above "an ensemble of 16
        networks")."""
        labels = [v.label for s in self.steps for v in s.variants if v.name == name]
        label = labels[-1] if labels and labels[-1] != name else None
        if label is None or name != self.chosen or not self.grown:
            return label
        return f"{label}; {self.grown} more trained on train + dev"
