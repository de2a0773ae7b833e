"""Every model the autopilot trains is a trial of the run's Optuna study (DESIGN.md's run
folder), so resume, optuna-dashboard and the report work as for any search.

A trial's params are the candidate's main settings on fixed, study-wide distributions (so the
report's hyperparameter importance can compare them); its user attributes say which step,
problem and knob produced it, every error measured, and the full ModelSpec / TrainConfig; its
intermediate values are its per-epoch dev accuracy, thinned to ``CURVE_POINTS`` (``thinned``).
"""

from __future__ import annotations

import optuna
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from orthotune.fit import Trained
from orthotune.train import OPTIMIZERS

DISTRIBUTIONS = {
    "architecture": CategoricalDistribution(("mlp", "cnn1d", "cnn2d")),
    "width": IntDistribution(1, 1_000_000, log=True),
    "depth": IntDistribution(1, 1000),
    "batch_norm": CategoricalDistribution((False, True)),
    "dropout": FloatDistribution(0.0, 1.0),
    "optimizer": CategoricalDistribution(OPTIMIZERS),
    "lr": FloatDistribution(1e-7, 10.0, log=True),
    "l2": FloatDistribution(0.0, 1e6),
    "epochs": IntDistribution(1, 100_000, log=True),
}
CURVE_POINTS = 8  # per-epoch dev values a trial keeps in the study (``thinned``)


def trial_params(trained: Trained) -> dict:
    spec, cfg = trained.candidate.spec, trained.candidate.config
    widths = [b.channels for b in spec.conv] + list(spec.hidden)
    return {
        "architecture": spec.kind,
        "width": max(widths) if widths else 1,
        "depth": max(spec.num_layers, 1),
        "batch_norm": spec.batch_norm,
        "dropout": max(spec.dropout_of(i) for i in range(spec.num_layers))
        if spec.num_layers
        else 0.0,
        "optimizer": cfg.optimizer,
        "lr": cfg.lr,
        "l2": cfg.l2,
        "epochs": cfg.epochs,
    }


def thinned(values: dict[int, float], at_most: int = CURVE_POINTS) -> dict[int, float]:
    """At most ``at_most`` of a trial's per-epoch values, evenly spaced, the first and the last
    kept: enough for the report's curves of the best trials. Each value is a row Optuna's
    storage writes on its own; all 30 of a default model took most of the 0.09 s a trial cost
    to record on SQLite, which a run of hundreds of small models paid out of its budget."""
    epochs = sorted(values)
    if len(epochs) <= at_most:
        return dict(values)
    picks = {epochs[round(i * (len(epochs) - 1) / (at_most - 1))] for i in range(at_most)}
    return {e: values[e] for e in sorted(picks)}


def record_trial(
    study: optuna.Study, trained: Trained, *, step: int, problem: str, knob: str, label: str
) -> None:
    """Add ``trained`` to ``study`` as a finished (or failed) trial. Nothing is read back: reading
    the study's trials costs time in proportion to their number, and a run that records
    hundreds of small models (penguins, 300 s: 575) spent most of its overrun there."""
    attrs = {
        "source": "autopilot",
        "step": step,
        "problem": problem,
        "knob": knob,
        "label": label,
        "model_name": trained.candidate.name,
        "errors": trained.errors,
        "seconds": trained.seconds,
        "spec": trained.candidate.spec.model_dump(mode="json"),
        "config": trained.candidate.config.model_dump(mode="json"),
    }
    if trained.failed:
        attrs["fail_reason"] = trained.failed
    dev = trained.error("dev")
    intermediate = thinned(
        {r.epoch: 1.0 - r.dev_error for r in trained.history if r.dev_error is not None}
    )
    if not trained.complete:  # the budget cut it short: no measurement of its configuration
        attrs["truncated"] = trained.stop_message
        state = optuna.trial.TrialState.PRUNED
    elif trained.failed or dev is None:
        state = optuna.trial.TrialState.FAIL
    else:
        state = optuna.trial.TrialState.COMPLETE
    trial = optuna.trial.create_trial(
        params=trial_params(trained),
        distributions=DISTRIBUTIONS,
        value=1.0 - dev if state == optuna.trial.TrialState.COMPLETE else None,
        state=state,
        user_attrs=attrs,
        intermediate_values=intermediate,
    )
    study.add_trial(trial)
