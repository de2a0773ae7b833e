"""Training many candidates — what the search, the autopilot and the analysis share.

- ``Candidate`` (a model to train) → ``Trained`` (model, history, per-example mistakes per
  part); ``train_candidates(candidates, data, executor=…)``: the ``population`` executor
  (candidates grouped by DESIGN.md's key, each group one ``Population``) or ``sequential`` (one
  ``Trainer`` after another); ``folds=K`` cross-validates instead (``train_folds``)
- ``fold_rows``: stratified K folds, the rows each fold model learns from and predicts (k-fold
  here and in the label-issue methods)
- ``error_levels``: a trained candidate's error per part, each with its number of examples;
  ``error_rate``: a per-example mistakes vector's error, counted exactly
- ``population_pays``: whether N models of one shape train faster as one population than one
  after another on this machine (a few timed steps; the executors, k-fold and the learning curve
  ask it); ``epoch_seconds``: what one epoch of a candidate should take here, from the same
  timed steps (the autopilot fits its default baseline's epochs to the budget with it)
- ``train_alone``: one candidate through the ``Trainer`` (seeded, built, warm-started; Ctrl-C
  stops the job), as every one-model-after-another path trains it
- ``train_ensemble``: K seeds of one configuration trained at once, kept as one ``Ensemble``
- the documented default model per data shape: ``baseline`` (the autopilot's first model, a
  search's first trial) and ``label_issue_spec`` (the label-issue methods' model)
"""

from orthotune.fit._alone import train_alone
from orthotune.fit._default import baseline, label_issue_spec
from orthotune.fit._ensemble import check_ensemble_size, train_ensemble
from orthotune.fit._executor import (
    EXECUTORS,
    EpochHook,
    ExploitHook,
    error_levels,
    train_candidates,
)
from orthotune.fit._folds import fold_rows, train_folds
from orthotune.fit._probe import epoch_seconds, population_pays
from orthotune.fit._trained import Candidate, Trained, error_rate, score_parts

__all__ = [
    "EXECUTORS",
    "Candidate",
    "EpochHook",
    "ExploitHook",
    "Trained",
    "baseline",
    "check_ensemble_size",
    "epoch_seconds",
    "error_levels",
    "error_rate",
    "fold_rows",
    "label_issue_spec",
    "population_pays",
    "score_parts",
    "train_alone",
    "train_candidates",
    "train_ensemble",
    "train_folds",
]
