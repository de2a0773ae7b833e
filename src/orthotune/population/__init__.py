"""Population engine: N models of one architecture trained at once as stacked tensors.

See DESIGN.md's package map. ``Population`` holds the members; ``group_trials`` decides which
trials share one; ``fit_population`` runs epochs with early stopping, pruning and failure isolation.
"""

from orthotune.population._callbacks import EpochMetrics, PopulationCallback, PruneWith
from orthotune.population._checkpoint import save_member
from orthotune.population._fit import fit_population
from orthotune.population._grouping import TrialGroup, group_trials
from orthotune.population._hparams import PERTURBABLE
from orthotune.population._population import (
    CHECK_EVERY,
    MemberScores,
    Population,
    vectorization_problem,
)
from orthotune.population._status import (
    EpochRecord,
    MemberResult,
    MemberStatus,
    PopulationResult,
    StopReason,
)

__all__ = [
    "CHECK_EVERY",
    "PERTURBABLE",
    "EpochMetrics",
    "EpochRecord",
    "MemberResult",
    "MemberScores",
    "MemberStatus",
    "Population",
    "PopulationCallback",
    "PopulationResult",
    "PruneWith",
    "StopReason",
    "TrialGroup",
    "fit_population",
    "group_trials",
    "save_member",
    "vectorization_problem",
]
