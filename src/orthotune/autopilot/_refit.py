"""``--refit``: the chosen configuration trained again on train + dev, at the end.

Every decision was made on dev; once they are made, the dev examples can teach the model too
(the peers of the benchmark suite fit on train + dev). The refit model keeps the chosen
configuration, seeds and members (an ensemble refits every member, at once), trains for as
many epochs as the chosen model did (its best epoch, when early stopping chose one: no dev set
is left to watch) and replaces the chosen model; its dev error can no longer be measured, so
the run's train / dev figures and diagnosis stay those of the configuration as chosen, and
the test set — scored once, after the refit — judges the refit model. Under k-fold the chosen
model already learned from every train + dev example: there is nothing to refit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from orthotune.data import PreparedData
from orthotune.fit import Candidate, Trained
from orthotune.models import Ensemble

__all__ = ["refit", "refit_cost"]


def _members(chosen: Trained) -> list[Candidate]:
    """The candidate of each network of the chosen model (one per ensemble member)."""
    c = chosen.candidate
    k = len(chosen.model.members) if isinstance(chosen.model, Ensemble) else 1
    return [dataclasses.replace(c, name=f"refit{i}", seed=c.seed + i) for i in range(k)]


def refit_cost(chosen: Trained, data: PreparedData) -> float:
    """Seconds the refit is estimated to take: the chosen model's training time, scaled by the
    examples it will learn from (the members train at once, as they did)."""
    n = len(data.train)
    return chosen.seconds * (n + len(data.dev)) / max(n, 1)


def _epochs(chosen: Trained) -> int:
    config = chosen.candidate.config
    if config.patience is None or not chosen.history:
        return config.epochs
    devs = [getattr(r, "dev_error", None) for r in chosen.history]
    scored = [(d, i) for i, d in enumerate(devs) if d is not None and not math.isnan(d)]
    return min(scored)[1] + 1 if scored else len(chosen.history)


def refit(
    chosen: Trained,
    data: PreparedData,
    train: Callable[[list[Candidate], PreparedData], list[Trained]],
) -> tuple[Trained | None, str]:
    """The chosen configuration trained on train + dev (module docstring), or None and why
    not. ``train(candidates, data)`` trains them (the autopilot's executor and deadline)."""
    pool = data.train.join(data.dev)
    refit_data = dataclasses.replace(data, train=pool)
    config = chosen.candidate.config.model_copy(
        update={"patience": None, "epochs": _epochs(chosen)}
    )
    cands = []
    for c in _members(chosen):
        weights = c.weights
        if weights is not None:  # the reweighting knob's weights: the dev examples weigh 1
            weights = torch.cat([weights, torch.ones(len(data.dev))])
        cands.append(dataclasses.replace(c, config=config, weights=weights))
    results = train(cands, refit_data)
    if not all(r.complete and r.model is not None and not r.failed for r in results):
        return None, "the refit did not finish within the budget: the chosen model stays"
    from orthotune.train import predict_logits

    models = [r.model for r in results]
    # temperature scaling needs logits of examples the model did not learn from: the chosen
    # model's dev logits stand in for the refit model's (same configuration)
    dev_logits, dev_y = chosen.dev_logits, chosen.dev_y
    if dev_logits is None:
        dev_logits, dev_y = predict_logits(chosen.model, data.dev.x), data.dev.y
    model = Ensemble(models) if isinstance(chosen.model, Ensemble) else models[0]
    refitted = dataclasses.replace(
        chosen,
        candidate=dataclasses.replace(chosen.candidate, config=config),
        model=model,
        history=results[0].history,
        seconds=sum(r.seconds for r in results),
        dev_logits=dev_logits,
        dev_y=dev_y,
    )
    n = len(pool)
    return refitted, f"refit on the {n} train + dev examples for {config.epochs} epochs"
