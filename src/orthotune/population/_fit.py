"""``fit_population``: train every member of a population the way ``Trainer.fit`` trains one model.

Per epoch t: a ``torch.randperm`` of the m examples (one generator for all members, or one per
member), the trainer's ``batch_bounds``, one vectorized step per mini-batch; then every member
is evaluated on the dev set at once, its ``EpochRecord`` is written (the trainer's: running
train loss and error, the bias-corrected EWA of the step losses, dev loss and error, the weight
gradient norms of the last step), and members that completed their epochs, ran out of patience
or were pruned by a callback leave the stack together — one compaction for all of them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import torch

from orthotune._errors import InvalidInputError
from orthotune._interrupt import check as check_interrupt
from orthotune.data import Augmenter, Dataset, class_balance_weights
from orthotune.population._callbacks import EpochMetrics, PopulationCallback
from orthotune.population._population import Population
from orthotune.population._status import MemberStatus, PopulationResult
from orthotune.train import (
    EpochRecord,
    Examples,
    GradientNorms,
    StopReason,
    batch_bounds,
    training_threads,
)

logger = logging.getLogger(__name__)

SMOOTHING_BETA = 0.98  # the trainer's default β of the smoothed step loss


def _examples(data: Any, *, what: str) -> Examples:
    if isinstance(data, Examples):
        return data
    if isinstance(data, Dataset):
        return Examples(data.x, data.y, data.weights)
    if isinstance(data, tuple | list) and len(data) in (2, 3):
        return Examples(*data)
    raise InvalidInputError(
        f"{what} of type {type(data).__name__} is not accepted: give a Dataset, Examples or "
        "(x, y[, weights]) tensors"
    )


class _Batches:
    """The mini-batches of every member, as each member's ``Trainer`` would draw them.

    Shuffling: one generator seeded with ``seed`` for all members (shared) or one per member
    seeded with its own seed. Augmentation (``config.augment``): each member's generator seeded
    with that seed + 1, as the trainer's; with shared batches, members of one policy see the
    same augmented batch, so it is computed once per policy. Class balancing
    (``config.class_balance``): the trainer's ``class_balance_weights`` times the example
    weights, per member. The result is shared (``[B, …]``) whenever every member sees the same
    tensor, else stacked per member (``[N, B, …]``).
    """

    def __init__(
        self,
        population: Population,
        tr: Examples,
        *,
        shared: bool,
        seed: int,
        subsets: dict[int, torch.Tensor] | None = None,
    ):
        device, dtype = population.device, population.dtype
        self.shared = shared and subsets is None
        self.x = tr.x.to(device=device, dtype=dtype)
        self.y = tr.y.to(device)
        self.subsets = subsets
        # examples per member and epoch: all m, or the smallest subset (a member with one
        # more row skips a different one of them each epoch)
        self.m = int(self.y.shape[0]) if subsets is None else min(len(v) for v in subsets.values())
        shared = self.shared
        ids = population.active_ids
        configs = {i: population._members[i].config for i in ids}
        seeds = {i: population._members[i].seed for i in ids}
        # example weights are float32, as the trainer holds them (the product with the class
        # balance is rounded there), then cast to the population's dtype
        w = None if tr.weights is None else torch.as_tensor(tr.weights, dtype=torch.float32)
        weights: dict[int, torch.Tensor | None] = dict.fromkeys(ids, w)
        if any(c.class_balance for c in configs.values()):
            balance = class_balance_weights(tr.y, int(tr.y.max()) + 1)
            for i in ids:
                if configs[i].class_balance:
                    weights[i] = balance if w is None else w * balance
        cast = {id(v): v.to(device=device, dtype=dtype) for v in weights.values() if v is not None}
        self.weights = {i: None if v is None else cast[id(v)] for i, v in weights.items()}
        self.policy = {i: configs[i].augment for i in ids}
        self.augmenters = {
            p: Augmenter.from_policy(p) for p in set(self.policy.values()) if p is not None
        }
        if shared:
            self.shuffle = torch.Generator(device=device).manual_seed(seed)
            self.aug = {
                p: torch.Generator(device=device).manual_seed(seed + 1) for p in self.augmenters
            }
        else:
            self.shuffles = {i: torch.Generator(device=device).manual_seed(seeds[i]) for i in ids}
            self.aug = {
                i: torch.Generator(device=device).manual_seed(seeds[i] + 1)
                for i in ids
                if self.policy[i] is not None
            }

    def epoch_order(self, ids: list[int]) -> dict[int, torch.Tensor] | torch.Tensor:
        """This epoch's permutation: one ``[m]`` (shared) or one per member."""
        if self.shared:
            return torch.randperm(self.m, generator=self.shuffle, device=self.x.device)
        if self.subsets is not None:
            return {
                i: self.subsets[i][
                    torch.randperm(
                        len(self.subsets[i]), generator=self.shuffles[i], device=self.x.device
                    )[: self.m]
                ]
                for i in ids
            }
        return {
            i: torch.randperm(self.m, generator=self.shuffles[i], device=self.x.device) for i in ids
        }

    def batch(self, order, ids: list[int], a: int, b: int):
        """(x, y, weights) of slice [a, b) of the order for the members ``ids``."""
        if self.shared:
            idx = order[a:b]  # [B]
            by_policy = {
                p: self.augmenters[p](self.x[idx], generator=self.aug[p]) if p else self.x[idx]
                for p in dict.fromkeys(self.policy[i] for i in ids)
            }
            if len(by_policy) == 1:
                x = next(iter(by_policy.values()))  # [B, …] shared by every member
            else:
                x = torch.stack([by_policy[self.policy[i]] for i in ids])  # [N, B, …]
            y = self.y[idx]
            weights = self._weights(ids, lambda w: w[idx])
            return x, y, weights
        idx = {i: order[i][a:b] for i in ids}
        xs = []
        for i in ids:
            xi = self.x[idx[i]]
            if self.policy[i] is not None:
                xi = self.augmenters[self.policy[i]](xi, generator=self.aug[i])
            xs.append(xi)
        x = torch.stack(xs)  # [N, B, …]
        y = torch.stack([self.y[idx[i]] for i in ids])  # [N, B]
        weights = None
        if any(self.weights[i] is not None for i in ids):
            ones = torch.ones(b - a, dtype=self.x.dtype, device=self.x.device)
            weights = torch.stack(
                [ones if self.weights[i] is None else self.weights[i][idx[i]] for i in ids]
            )
        return x, y, weights

    def _weights(self, ids, take):
        """Shared-batch weights: one [B] when all members agree, else [N, B]."""
        chosen = [self.weights[i] for i in ids]
        if all(c is chosen[0] for c in chosen):
            return None if chosen[0] is None else take(chosen[0])
        ones = torch.ones(self.m, dtype=self.x.dtype, device=self.x.device)
        return torch.stack([take(ones if c is None else c) for c in chosen])


class _Watch:
    """One member's early-stopping state, as the trainer's EarlyStopping keeps it."""

    def __init__(self):
        self.best = math.inf
        self.best_epoch: int | None = None
        self.wait = 0
        self.state: dict[str, torch.Tensor] | None = None


def fit_population(
    population: Population,
    train: Any,
    dev: Any = None,
    *,
    shared_batches: bool = True,
    seed: int = 0,
    callbacks: Sequence[PopulationCallback] = (),
    time_budget_s: float | None = None,
    subsets: Sequence[Any] | None = None,
) -> PopulationResult:
    """Train every member of ``population`` as ``Trainer(config, seed=…).fit`` trains one
    model: each epoch a ``torch.randperm`` of the m examples from a seeded generator, the trainer's
    ``batch_bounds``, the dev set evaluated for all members at once after each epoch.

    shared_batches: every member sees the same mini-batches, shuffled by a generator seeded
    with ``seed`` (the first layer reads each batch once); else member i shuffles with its
    own seed, exactly as its sequential ``Trainer(seed=seeds[i])`` run would.
    Members stop at their epochs, on ``patience`` (dev error; the best epoch's weights are
    kept, as the trainer's EarlyStopping restores them), when a callback prunes them, when
    ``time_budget_s`` runs out, or when their loss turns NaN/inf (failed; the others
    continue unchanged).

    subsets: one array of training-row indices per member (member order) — member i
    learns from those rows only, with its own batches (K-fold: each fold model on the
    other folds, all trained at once). Each epoch a member shuffles its rows and uses the
    first ``num_examples`` of them, which must be the smallest subset's size.

    Feature vectors train with one CPU thread (``train.training_threads``)."""
    tr = _examples(train, what="training data")
    with training_threads(tr.x, population.device):
        return _fit(population, tr, dev, shared_batches, seed, callbacks, time_budget_s, subsets)


def _fit(
    population: Population,
    tr: Examples,
    dev: Any,
    shared_batches: bool,
    seed: int,
    callbacks: Sequence[PopulationCallback],
    time_budget_s: float | None,
    subsets: Sequence[Any] | None,
) -> PopulationResult:
    started = time.perf_counter()
    dv = None if dev is None else _examples(dev, what="dev data")
    rows = None if subsets is None else _subsets(subsets, population, int(tr.y.shape[0]))
    m = int(tr.y.shape[0]) if rows is None else min(len(v) for v in rows.values())
    if m != population.num_examples:
        what = "the training set has" if rows is None else "the smallest training subset has"
        raise InvalidInputError(
            f"{what} {m} examples but the population was built with "
            f"num_examples={population.num_examples} (L2 divides by m): build it with "
            f"num_examples={m}"
        )
    if tuple(tr.x.shape[1:]) != tuple(population.spec.input_shape):
        raise InvalidInputError(
            f"training examples have shape {tuple(tr.x.shape[1:])} but the model expects "
            f"{population.spec.input_shape}: give data of that shape or a matching spec"
        )
    if time_budget_s is not None and time_budget_s <= 0:
        raise InvalidInputError(
            f"time budget {time_budget_s} s is not positive; give a number of seconds > 0"
        )
    ids = population.active_ids
    members = {i: population._members[i] for i in ids}
    if dv is None and any(members[i].config.patience is not None for i in ids):
        raise InvalidInputError(
            "early stopping (patience) watches the dev error but fit got no dev set: "
            "pass dev=, or set patience=None"
        )
    batches = _Batches(population, tr, shared=shared_batches, seed=seed, subsets=rows)
    bounds = batch_bounds(m, population.batch_size)
    steps_per_epoch = len(bounds)
    layer_names = [s.name.removesuffix(".weight") for s in population.layout.slots if s.decayed]
    watches = {i: _Watch() for i in ids if members[i].config.patience is not None}
    ewa = dict.fromkeys(ids, 0.0)
    global_steps = dict.fromkeys(ids, 0)
    total_steps = 0
    deadline = None if time_budget_s is None else started + time_budget_s
    max_epochs = max((members[i].config.epochs for i in ids), default=0)
    for epoch in range(max_epochs):
        ids = population.active_ids
        if not ids:
            break
        t0 = time.perf_counter()
        order = batches.epoch_order(ids)
        first_lr = dict(  # α0 · schedule at the epoch's first step, per member
            zip(ids, population.hp.lr_at(epoch, 0, steps_per_epoch).flatten().tolist(), strict=True)
        )
        step_log: list[tuple[list[int], torch.Tensor, torch.Tensor, int]] = []
        norms = None
        out_of_time = False
        for s, (a, b) in enumerate(bounds):
            check_interrupt()  # a Ctrl-C Python dropped (orthotune._interrupt)
            before = population.active_ids
            if not before:  # every member failed
                break
            xb, yb, wb = batches.batch(order, before, a, b)
            out = population._step(
                xb,
                yb,
                wb,
                epoch=epoch,
                step=s,
                steps_per_epoch=steps_per_epoch,
                gradient_norms=s == len(bounds) - 1,
            )
            total_steps += 1
            after = population.active_ids
            if after:
                step_log.append((after, out.loss, out.wrong, b - a))
            norms = out.gradient_norms
            if deadline is not None and time.perf_counter() > deadline:
                out_of_time = True
                break
        population._settle()  # an epoch cut short ends with the check its last step makes
        ids = population.active_ids
        if not ids:
            break
        records = _epoch_records(step_log, ids, ewa, global_steps)
        dev_error = dev_loss = None
        if dv is not None:
            scores = population.evaluate(dv.x, dv.y, dv.weights)
            dev_error, dev_loss = scores.error.tolist(), scores.loss.tolist()
        grad_norms = norms.tolist() if norms is not None else None  # [L][N]
        seconds = time.perf_counter() - t0
        finished, early, messages, kept = [], [], {}, {}
        for k, i in enumerate(ids):
            member = members[i]
            train_loss, train_error, steps, smoothed = records[i]
            member.epochs = epoch + 1
            member.history.append(
                EpochRecord(
                    epoch=epoch,
                    steps=steps,
                    lr=first_lr[i],
                    train_loss=train_loss,
                    train_error=train_error,
                    smoothed_loss=smoothed,
                    dev_loss=None if dev_loss is None else dev_loss[k],
                    dev_error=None if dev_error is None else dev_error[k],
                    seconds=seconds,
                    gradients=GradientNorms.from_norms(
                        {}
                        if grad_norms is None
                        else {n: grad_norms[j][k] for j, n in enumerate(layer_names)}
                    ),
                )
            )
            cfg = member.config
            watch = watches.get(i)
            if watch is not None and dev_error is not None and math.isfinite(dev_error[k]):
                if dev_error[k] < watch.best - cfg.min_delta:
                    watch.best, watch.best_epoch, watch.wait = dev_error[k], epoch, 0
                    watch.state = population.state_dict(i)
                else:
                    watch.wait += 1
                    if watch.wait >= cfg.patience:
                        early.append(i)
                        messages[i] = (
                            f"dev error did not improve by {cfg.min_delta:g} in the last "
                            f"{cfg.patience} epochs; best {watch.best:.4g} at epoch "
                            f"{watch.best_epoch}"
                        )
            if member.epochs >= cfg.epochs and i not in early:
                finished.append(i)
                messages[i] = f"trained all {cfg.epochs} epochs"
        metrics = EpochMetrics(epoch, ids, [records[i][0] for i in ids], dev_error, dev_loss)
        pruned: list[int] = []
        for callback in callbacks:
            for i in callback.on_epoch_end(population, epoch, metrics) or ():
                if i in ids and i not in finished and i not in early and i not in pruned:
                    pruned.append(i)
                    k = ids.index(i)
                    what = "dev error" if dev_error is not None else "train loss"
                    value = dev_error[k] if dev_error is not None else records[i][0]
                    messages[i] = (
                        f"pruned by {type(callback).__name__} after epoch {epoch} "
                        f"({what} {value:.4g})"
                    )
        late: list[int] = []
        if out_of_time:
            late = [i for i in ids if i not in finished and i not in early and i not in pruned]
            for i in late:
                messages[i] = (
                    f"time budget of {time_budget_s:g} s used up in epoch {epoch + 1} after "
                    f"{len(step_log)} of {steps_per_epoch} steps"
                )
        leaving = finished + early + pruned + late
        for i in leaving:
            member = members[i]
            watch = watches.get(i)
            if watch is not None and watch.best_epoch is not None:
                member.best_epoch = watch.best_epoch
                kept[i] = watch.state  # the trainer's EarlyStopping restores the best epoch
            else:
                member.best_epoch = _best_epoch(member.history)
        population._retire(
            [(i, MemberStatus.COMPLETED, StopReason.COMPLETED, messages[i]) for i in finished]
            + [
                (i, MemberStatus.EARLY_STOPPED, StopReason.PATIENCE_EXHAUSTED, messages[i])
                for i in early
            ]
            + [(i, MemberStatus.PRUNED, StopReason.CALLBACK, messages[i]) for i in pruned]
            + [(i, MemberStatus.OUT_OF_TIME, StopReason.TIME_BUDGET, messages[i]) for i in late],
            kept,
        )
        if out_of_time:
            break
    result = PopulationResult(
        members=[population.member(i) for i in range(len(population))],
        shared_batches=shared_batches,
        steps=total_steps,
        seconds=time.perf_counter() - started,
    )
    failures = result.failures
    if failures:
        logger.warning(
            "%d of %d members failed (non-finite loss): %s",
            len(failures),
            len(result.members),
            "; ".join(f"member {f.member_id}: {f.message}" for f in failures),
        )
    return result


def _subsets(subsets: Sequence[Any], population: Population, n: int) -> dict[int, torch.Tensor]:
    """Each member's training rows as a long tensor on the population's device, checked."""
    if len(subsets) != len(population):
        raise InvalidInputError(
            f"got {len(subsets)} training subsets for {len(population)} members: give one "
            "index array per member, in member order"
        )
    out = {}
    for i, rows in enumerate(subsets):
        t = torch.as_tensor(rows, dtype=torch.long).flatten()
        if len(t) == 0 or int(t.min()) < 0 or int(t.max()) >= n:
            raise InvalidInputError(
                f"training subset of member {i} is empty or has rows outside 0…{n - 1}: give "
                "row indices of the training set"
            )
        out[i] = t.to(population.device)
    return out


def _epoch_records(step_log, ids, ewa, global_steps) -> dict[int, tuple[float, float, int, float]]:
    """(train loss, train error, steps, smoothed loss) of each member over one epoch, as the
    trainer computes them: losses weighted by batch size over the examples seen."""
    sums = {i: [0.0, 0.0, 0, 0] for i in ids}  # loss·size, wrong, steps, examples
    for active, loss, wrong, size in step_log:
        for i, v, e in zip(active, loss.tolist(), wrong.tolist(), strict=True):
            if i not in sums:
                continue
            acc = sums[i]
            acc[0] += v * size
            acc[1] += e
            acc[2] += 1
            acc[3] += size
            global_steps[i] += 1
            ewa[i] = SMOOTHING_BETA * ewa[i] + (1 - SMOOTHING_BETA) * v
    out = {}
    for i, (loss_sum, wrong_sum, steps, seen) in sums.items():
        smoothed = ewa[i] / (1 - SMOOTHING_BETA ** max(global_steps[i], 1))
        out[i] = (loss_sum / max(seen, 1), wrong_sum / max(seen, 1), steps, smoothed)
    return out


def _best_epoch(history: list[EpochRecord]) -> int | None:
    """The epoch of the lowest finite dev error (the trainer's rule without early stopping)."""
    finite = [
        (r.dev_error, r.epoch)
        for r in history
        if r.dev_error is not None and math.isfinite(r.dev_loss or 0.0)
    ]
    return min(finite)[1] if finite else None
