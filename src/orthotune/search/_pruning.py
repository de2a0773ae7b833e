"""``KnownCompletePruner``: a pruner that reads the study's finished trials once per change,
not once per epoch.

Optuna's median pruner asks the storage for every COMPLETE trial each time a member reports an
epoch. On the run folder's SQLite study that read took 7 ms an epoch — two thirds of the 11 ms
each epoch of a search spent outside training — and the whole of it was 0.33 s of a 3.3-s
``tune --strategy tpe`` on the synthetic development set (45 epochs; cProfile, Intel Xeon, 1
torch thread), where the Optuna peer of ``bench/search_vs_optuna.py``, on an in-memory study,
pays nothing. The set of COMPLETE trials only changes when a trial is told, so the wrapper
keeps the list it read until the search says it may have changed (``refresh``: after every
trial this process tells, and before every batch it asks, which is when a shared study's other
workers' results come in). The decisions are the wrapped pruner's, on the same trials, in a
search of one process; a worker of a shared study sees the others' results at its next tell
instead of its next epoch. Measured: a 24-trial ``tune --strategy tpe --executor sequential``
(seed 0, 2,000 synthetic rows) told every trial the same state and value with it as without
(15 pruned); on the synthetic development set (``python bench/search_vs_optuna.py --seeds 12
--budget-s 45 --batches independent``, the same seeds as the run without it) each seed's
incumbent passed the start's dev accuracy + 0.5 points as soon or sooner (11 of 12 sooner;
median 3.25 → 2.5 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial, TrialState


class KnownCompletePruner:
    """``pruner``'s decisions, with the study's COMPLETE trials read once per ``refresh``.
    (Optuna takes any object with ``prune``; not subclassing its ``BasePruner`` keeps Optuna
    out of the command line's start-up imports.)"""

    def __init__(self, pruner: optuna.pruners.BasePruner) -> None:
        self.pruner = pruner
        self._complete: list[FrozenTrial] | None = None

    def refresh(self) -> None:
        """The COMPLETE trials may have changed: read them again at the next decision."""
        self._complete = None

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        return self.pruner.prune(_KnownComplete(study, self), trial)


class _KnownComplete:
    """``study`` as a pruner sees it, its COMPLETE trials served from ``owner``'s list."""

    def __init__(self, study: optuna.Study, owner: KnownCompletePruner) -> None:
        self._study, self._owner = study, owner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def get_trials(
        self, deepcopy: bool = True, states: Sequence[TrialState] | None = None
    ) -> list[FrozenTrial]:
        from optuna.trial import TrialState

        if deepcopy or states is None or tuple(states) != (TrialState.COMPLETE,):
            return self._study.get_trials(deepcopy=deepcopy, states=states)
        if self._owner._complete is None:
            self._owner._complete = self._study.get_trials(deepcopy=False, states=states)
        return self._owner._complete
