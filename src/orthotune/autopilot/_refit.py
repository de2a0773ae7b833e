"""``--refit``: the chosen configuration trained again on train + dev, at the end.

Every decision was made on dev; once they are made, the dev examples can teach the model too
(the peers of the benchmark suite fit on train + dev). The refit model keeps the chosen
configuration, seeds and members (an ensemble refits every member, at once), trains for as
many epochs as the chosen model did (its best epoch, when early stopping chose one: no dev set
is left to watch) and replaces the chosen model; its dev error can no longer be measured, so
the run's train / dev figures and diagnosis stay those of the configuration as chosen, and
the test set — scored once, after the refit — judges the refit model. Under k-fold the chosen
model already learned from every train + dev example: there is nothing to refit. A refitted
ensemble grows by the members that fit in the time the refit left (``grow_refitted``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import torch

from orthotune._records import REFITTED
from orthotune.data import PreparedData
from orthotune.fit import Candidate, Trained
from orthotune.models import Ensemble

__all__ = ["grow_refitted", "refit", "refit_cost"]


def _members(chosen: Trained, first: int = 0, k: int | None = None) -> list[Candidate]:
    """The candidate of each network of the chosen model (one per ensemble member), or ``k``
    more from the ``first``-th on."""
    c = chosen.candidate
    if k is None:
        k = len(chosen.model.members) if isinstance(chosen.model, Ensemble) else 1
    seeds = range(first, first + k)
    return [dataclasses.replace(c, name=f"refit{i}", seed=c.seed + i) for i in seeds]


def refit_cost(chosen: Trained, data: PreparedData) -> float:
    """Seconds the refit is estimated to take: the chosen model's training time, scaled by the
    examples it will learn from (the members train at once, as they did)."""
    n = len(data.train)
    return chosen.seconds * (n + len(data.dev)) / max(n, 1)


def _pooled(weights: torch.Tensor | None, data: PreparedData) -> torch.Tensor | None:
    """The reweighting knob's weights on train + dev: the dev examples weigh 1."""
    return None if weights is None else torch.cat([weights, torch.ones(len(data.dev))])


def grow_refitted(
    refitted: Trained,
    data: PreparedData,
    train: Callable[[list[Candidate], PreparedData], list[Trained]],
    *,
    left_s: float,
    refit_s: float,
    cap: int,
) -> tuple[Trained, int]:
    """A refitted ensemble grown by the members that fit in the ``left_s`` seconds the refit
    left, up to ``cap`` members (each costs what one of its members cost in the ``refit_s``
    wall seconds the refit took, trained with the others), each trained on train + dev as the
    refit trained them; returns it and the members added. Its size is no new choice (the
    polish grows a kept ensemble the same way), and the time was otherwise idle: held-out
    diamonds_cut (300 s) kept 9 members, whose refit ended with 28 s that neither another
    member and its refit share nor the refit's margin used (training share 0.897). A member
    the deadline cuts is left out."""
    if not isinstance(refitted.model, Ensemble):
        return refitted, 0
    members = list(refitted.model.members)
    each = refit_s / max(len(members), 1)
    k = min(cap - len(members), int(left_s // max(each, 1e-3)))
    if k < 1:
        return refitted, 0
    cands = [
        dataclasses.replace(c, weights=_pooled(c.weights, data))
        for c in _members(refitted, len(members), k)
    ]
    done = [
        r
        for r in train(cands, dataclasses.replace(data, train=data.train.join(data.dev)))
        if r.complete and r.model is not None and not r.failed
    ]
    if not done:
        return refitted, 0
    grown = dataclasses.replace(
        refitted,
        model=Ensemble([*members, *(r.model for r in done)]),
        seconds=refitted.seconds + sum(r.seconds for r in done),
    )
    return grown, len(done)


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
        cands.append(dataclasses.replace(c, config=config, weights=_pooled(c.weights, data)))
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
    return refitted, f"{REFITTED} {n} train + dev examples for {config.epochs} epochs"
