"""The decision log: a first-class result (saved as ``decisions.json``, shown live, rendered in
the report). Every step says what was measured, which problem and knob it chose, every variant
tried with its scores, what it kept and why, and how long it took. Rates are fractions.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class StopReason(StrEnum):
    """Why the autopilot stopped."""

    GOAL_REACHED = "goal_reached"
    BUDGET_SPENT = "budget_spent"
    NO_KNOB_HELPS = "no_knob_helps"
    NOTHING_TO_FIX = "nothing_to_fix"
    MAX_STEPS = "max_steps"
    INTERRUPTED = "interrupted"  # Ctrl-C: the model kept so far is chosen


class VariantScore(BaseModel):
    """One variant tried in a step."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    trial: int | None = None  # its trial number in the run's Optuna study
    errors: dict[str, float] = Field(default_factory=dict)  # part -> error rate
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


class DecisionLog(BaseModel):
    """Everything the autopilot decided, in order."""

    schema_version: int = SCHEMA_VERSION
    steps: list[Step] = Field(default_factory=list)
    stop_reason: StopReason | None = None
    stop_message: str = ""
    remaining_problem: str | None = None
    beyond_tuning: list[str] = Field(default_factory=list)
    chosen: str | None = None
    # a gradient-boosting model's dev error on the same data (vector data; ``_yardstick``)
    yardstick: dict | None = None
    polish: str = ""  # why the polish phase (steps with problem "polish") ended, in words
    refit: str = ""  # what --refit did (``_refit``), when asked
    validation: str = ""  # how the errors were estimated: a hold-out dev set or k-fold
