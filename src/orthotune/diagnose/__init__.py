"""orthotune.diagnose — error levels → decomposition → verdict → orthogonal knobs.

From human-level (and optionally Bayes) error and the train / train-dev / dev / test errors:
avoidable bias, bias, variance, data mismatch and dev overfitting, each with a 95 % interval; a
verdict in the lecture's words ("High bias, High variance — first focus on bias"); and the
ordered knobs for the problem to work on next.
"""

from orthotune.diagnose._decompose import (
    Z95,
    Decomposition,
    Gap,
    GapName,
    LevelEstimate,
    decompose,
    newcombe_interval,
    wilson_interval,
)
from orthotune.diagnose._diagnosis import Diagnosis, diagnose
from orthotune.diagnose._evaluate import SPLITS, Evaluation, SplitEvaluation, evaluate_predictions
from orthotune.diagnose._knobs import HUMAN_LEVEL_KNOBS, KNOBS, Knob, Problem, knobs_for
from orthotune.diagnose._levels import ErrorLevels, Level, check_bayes_error
from orthotune.diagnose._verdict import DEFAULT_TOLERANCE, GapJudgement, Verdict, judge

__all__ = [
    "DEFAULT_TOLERANCE",
    "HUMAN_LEVEL_KNOBS",
    "KNOBS",
    "SPLITS",
    "Z95",
    "Decomposition",
    "Diagnosis",
    "ErrorLevels",
    "Evaluation",
    "Gap",
    "GapJudgement",
    "GapName",
    "Knob",
    "Level",
    "LevelEstimate",
    "Problem",
    "SplitEvaluation",
    "Verdict",
    "check_bayes_error",
    "decompose",
    "diagnose",
    "evaluate_predictions",
    "judge",
    "knobs_for",
    "newcombe_interval",
    "wilson_interval",
]
