"""The orthogonal autopilot: diagnose → turn one knob → verify → repeat (the main job)."""

from orthotune._records import DecisionLog, Step, StopReason, VariantScore
from orthotune.autopilot._compare import PairedChange, paired_change
from orthotune.autopilot._job import TuneSummary, tune_autopilot
from orthotune.autopilot._loop import AutopilotResult, AutopilotSettings, levels_of, run_autopilot
from orthotune.autopilot._variants import BEYOND_TUNING, KNOB_MENU, Variant, variants

__all__ = [
    "BEYOND_TUNING",
    "KNOB_MENU",
    "AutopilotResult",
    "AutopilotSettings",
    "DecisionLog",
    "PairedChange",
    "Step",
    "StopReason",
    "TuneSummary",
    "Variant",
    "VariantScore",
    "levels_of",
    "paired_change",
    "run_autopilot",
    "tune_autopilot",
    "variants",
]
