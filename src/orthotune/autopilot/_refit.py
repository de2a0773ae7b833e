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

__all__ = ["RefitCost", "grow_refitted", "refit", "refit_cost"]


def _members(chosen: Trained, first: int = 0, k: int | None = None) -> list[Candidate]:
    """The candidate of each network of the chosen model (one per ensemble member), or ``k``
    more from the ``first``-th on."""
    c = chosen.candidate
    if k is None:
        k = len(chosen.model.members) if isinstance(chosen.model, Ensemble) else 1
    seeds = range(first, first + k)
    return [dataclasses.replace(c, name=f"refit{i}", seed=c.seed + i) for i in seeds]


def refit_cost(chosen: Trained, data: PreparedData) -> float:
    """Seconds the refit is estimated to take from the chosen model's training time, scaled by
    the examples it will learn from (the members train at once, as they did)."""
    n = len(data.train)
    return chosen.seconds * (n + len(data.dev)) / max(n, 1)


# a single network whose refit epoch, so estimated, costs less than this is timed alone
# (``RefitCost``), over this many epochs
TIMED_BELOW_S = 0.5
TIMED_EPOCHS = 3


class RefitCost:
    """The refit's estimated seconds for a chosen model: ``refit_cost``, or — for a single
    network of cheap epochs — the larger of it and its own refit timed for ``TIMED_EPOCHS``
    epochs on train + dev (once per chosen model), scaled to its epochs.

    A population member is charged its share of the population's epochs
    (``fit.shared_seconds``), but a single network refits alone, through the ``Trainer``, and a
    tiny network's epoch costs about as much alone as beside others: Ecdat's Star (a new-user
    sweep; 4,598 train + dev rows, an MLP of 128 × 128, 270 epochs) kept 23 s for a refit
    that took 26–29 s, and the refit was cut at the deadline (test 88.96 % where the runs
    whose refit finished reached 91.13 %). Its epochs on train cost 0.046–0.050 s as a share
    of a pair's, 0.057–0.064 s alone in the pair's population, 0.074–0.088 s alone through the
    ``Trainer`` (2-core AVX2 EPYC, a sweep beside it). Two estimates that needed no timing were
    tried and dropped (stop 71): the probe's pace of one optimizer step (``fit.epoch_seconds``)
    kept 36 s for synthetic_large's 22-s refit, the member's epochs alone in its population
    17 s for Star's 29. Timed (300-s runs, the same box, README's history, stop 72): Star's
    refit estimated at 33.6 s (its share: 20 s) took 38.3 s within the 42 s kept, and finished
    (91.13 %); on synthetic_large (development group) a kept model of 0.41-s epochs by its
    share was timed at 23.2 s (share 12.3 s) and its refit took 18.6 s, training share 0.925.
    Timing costs ``TIMED_EPOCHS`` epochs of under ``TIMED_BELOW_S`` each; dearer epochs keep
    the share, as before (synthetic_large's refits within the margin at stops 57–71). An
    ensemble refits its members as a population, as they trained: its estimate stays
    ``refit_cost``.

    ``train(candidates, data)`` trains them as the refit would (the autopilot's executor,
    precision and deadline; no progress). Each call names the data the chosen model learned
    from: the loop's inputs change when step 0 keeps another encoding (a timing on the
    inputs the cost was built with failed on Star: 121 columns given, 11 read). ``timed``:
    False under a count budget, whose decisions no estimate of time sizes (the timing's epochs
    would be trained for nothing: the test suite's runs use count budgets)."""

    def __init__(
        self,
        train: Callable[[list[Candidate], PreparedData], list[Trained]],
        *,
        timed: bool = True,
    ) -> None:
        self._train, self._timing = train, timed
        self._timed: dict[tuple, float | None] = {}  # per chosen model (name, seed and seconds)

    def __call__(self, chosen: Trained, data: PreparedData) -> float:
        share = refit_cost(chosen, data)
        cheap = share / max(_epochs(chosen), 1) < TIMED_BELOW_S
        if not self._timing or isinstance(chosen.model, Ensemble) or not cheap:
            return share
        key = (chosen.candidate.name, chosen.candidate.seed, chosen.seconds)
        if key not in self._timed:
            self._timed[key] = self._time(chosen, data)
        timed = self._timed[key]
        return share if timed is None else max(share, timed)

    def _time(self, chosen: Trained, data: PreparedData) -> float | None:
        """The refit's seconds from ``TIMED_EPOCHS`` of its epochs: their wall time, and the
        rest of its epochs at the pace of the timed ones after the first (which builds the
        model); None when fewer than two were trained (the deadline)."""
        epochs = _epochs(chosen)
        timed = min(TIMED_EPOCHS, epochs)
        if timed < 2:
            return None
        with torch.random.fork_rng():  # the timing leaves the random streams as they were
            cands = _refit_candidates(chosen, data, timed)
            (one,) = self._train(cands, _pooled_data(data))
        later = [r.seconds for r in one.history[1:]]
        if one.failed or len(later) < timed - 1:
            return None
        return one.seconds + (epochs - timed) * sorted(later)[len(later) // 2]


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
        for r in train(cands, _pooled_data(data))
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


def _pooled_data(data: PreparedData) -> PreparedData:
    """``data`` whose training part is train + dev (the dev part stays, scored as before)."""
    return dataclasses.replace(data, train=data.train.join(data.dev))


def _refit_candidates(chosen: Trained, data: PreparedData, epochs: int) -> list[Candidate]:
    """The refit's candidate of each network of the chosen model: its configuration trained
    for ``epochs``, no early stopping, its example weights on train + dev."""
    config = chosen.candidate.config.model_copy(update={"patience": None, "epochs": epochs})
    return [
        dataclasses.replace(c, config=config, weights=_pooled(c.weights, data))
        for c in _members(chosen)
    ]


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
    refit_data = _pooled_data(data)
    cands = _refit_candidates(chosen, data, _epochs(chosen))
    config = cands[0].config
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
    n = len(refit_data.train)
    return refitted, f"{REFITTED} {n} train + dev examples for {config.epochs} epochs"
