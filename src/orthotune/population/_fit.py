"""``fit``: train every member of a population for its epochs, with early stopping and pruning.

Per epoch: shuffle (one permutation for all members, or each member its own), step through the
mini-batches, evaluate every member on the dev set at once, then stop members that completed their
epochs, ran out of patience or were pruned by a callback — one compaction for all of them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import torch

from orthotune._errors import InvalidInputError
from orthotune.data import Dataset
from orthotune.population._callbacks import EpochMetrics, PopulationCallback
from orthotune.population._population import Population
from orthotune.population._status import (
    EpochRecord,
    MemberStatus,
    PopulationResult,
    StopReason,
)

logger = logging.getLogger(__name__)


def epoch_permutation(num_examples: int, *, seed: int, epoch: int) -> torch.Tensor:
    """The order of the training examples in one epoch (``torch.randperm`` seeded by
    ``(seed, epoch)``): with shared batches every member uses ``seed`` = fit's seed; with own
    batches member i uses ``member_batch_seed(seed, seeds[i])``."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(num_examples, generator=generator)


def member_batch_seed(seed: int, member_seed: int) -> int:
    """The shuffling seed of a member that sees its own mini-batches."""
    return seed + 7919 * (member_seed + 1)


def fit(
    population: Population,
    train: Dataset,
    dev: Dataset | None = None,
    *,
    shared_batches: bool = True,
    seed: int = 0,
    callbacks: Sequence[PopulationCallback] = (),
) -> PopulationResult:
    """Train every member for its ``config.epochs`` (see ``Population.fit``)."""
    m = len(train)
    if m != population.num_examples:
        raise InvalidInputError(
            f"the training set has {m} examples but the population was built with "
            f"num_examples={population.num_examples} (L2 divides by m): build it with "
            f"num_examples={m}"
        )
    if tuple(train.input_shape) != tuple(population.spec.input_shape):
        raise InvalidInputError(
            f"training examples have shape {train.input_shape} but the model expects "
            f"{population.spec.input_shape}: give data of that shape or a matching spec"
        )
    if dev is None and any(
        population.member(i).config.patience is not None for i in population.active_ids
    ):
        raise InvalidInputError(
            "early stopping (patience) watches the dev error but fit got no dev set: "
            "pass dev=, or set patience=None"
        )
    device, dtype = population.device, population.dtype
    x = train.x.to(device=device, dtype=dtype)
    y = train.y.to(device)
    w = None if train.weights is None else train.weights.to(device=device, dtype=dtype)
    batch = population.batch_size or m
    steps_per_epoch = math.ceil(m / batch)
    ids = population.active_ids
    configs = {i: population.member(i).config for i in ids}
    max_epochs = max(c.epochs for c in configs.values()) if configs else 0
    best: dict[int, tuple[float, int]] = {}  # member → (best dev error, its epoch)
    total_steps = 0
    start = time.perf_counter()
    for epoch in range(max_epochs):
        ids = population.active_ids
        if not ids:
            break
        if shared_batches:
            order = epoch_permutation(m, seed=seed, epoch=epoch).to(device)  # [m]
        else:
            order = torch.stack(
                [
                    epoch_permutation(
                        m,
                        seed=member_batch_seed(seed, population.member(i).seed),
                        epoch=epoch,
                    )
                    for i in ids
                ]
            ).to(device)  # [N, m]
        loss_sum = {i: 0.0 for i in ids}
        loss_acc = torch.zeros(len(ids), dtype=torch.float64, device=device)
        acc_ids = list(ids)
        for step in range(steps_per_epoch):
            idx = order[..., step * batch : (step + 1) * batch]  # [b] or [N, b]
            before = population.active_ids
            loss = population.train_step(
                x[idx],
                y[idx],
                None if w is None else w[idx],
                epoch=epoch,
                step=step,
                steps_per_epoch=steps_per_epoch,
            )
            total_steps += 1
            after = population.active_ids
            if after != before:  # a member failed: keep the survivors' rows
                keep = [before.index(i) for i in after]
                if not shared_batches:
                    order = order[keep]
                for i, v in zip(acc_ids, loss_acc.tolist(), strict=True):
                    loss_sum[i] += v
                loss_acc = torch.zeros(len(after), dtype=torch.float64, device=device)
                acc_ids = list(after)
            if len(after):
                loss_acc += loss.double()
        for i, v in zip(acc_ids, loss_acc.tolist(), strict=True):
            loss_sum[i] += v
        ids = population.active_ids
        if not ids:
            break
        train_loss = [loss_sum[i] / steps_per_epoch for i in ids]
        dev_error = dev_loss = None
        if dev is not None:
            scores = population.evaluate(dev.x, dev.y, dev.weights)
            dev_error, dev_loss = scores.error.tolist(), scores.loss.tolist()
        metrics = EpochMetrics(epoch, ids, train_loss, dev_error, dev_loss)
        finished, early, messages = [], [], {}
        for k, i in enumerate(ids):
            member = population._members[i]
            member.epochs = epoch + 1
            member.history.append(
                EpochRecord(
                    epoch=epoch,
                    train_loss=train_loss[k],
                    dev_error=None if dev_error is None else dev_error[k],
                    dev_loss=None if dev_loss is None else dev_loss[k],
                )
            )
            cfg = member.config
            if member.epochs >= cfg.epochs:
                finished.append(i)
                messages[i] = f"trained all {cfg.epochs} epochs"
                continue
            if dev_error is not None and cfg.patience is not None:
                value = dev_error[k]
                prev = best.get(i)
                if prev is None or value < prev[0] - cfg.min_delta:
                    best[i] = (value, epoch)
                elif epoch - prev[1] >= cfg.patience:
                    early.append(i)
                    messages[i] = (
                        f"dev error did not improve by more than {cfg.min_delta:g} in the "
                        f"last {cfg.patience} epochs; best {prev[0]:.4f} at epoch {prev[1]}"
                    )
        pruned: list[int] = []
        for callback in callbacks:
            for i in callback.on_epoch_end(population, epoch, metrics) or ():
                if i in ids and i not in finished and i not in early and i not in pruned:
                    pruned.append(i)
                    value = metrics.dev_error or metrics.train_loss
                    messages[i] = (
                        f"pruned by {type(callback).__name__} after epoch {epoch} "
                        f"({'dev error' if metrics.dev_error else 'train loss'} "
                        f"{value[ids.index(i)]:.4f})"
                    )
        population._retire(
            [(i, MemberStatus.COMPLETED, StopReason.EPOCHS_DONE, messages[i]) for i in finished]
            + [
                (i, MemberStatus.EARLY_STOPPED, StopReason.PATIENCE_EXHAUSTED, messages[i])
                for i in early
            ]
            + [(i, MemberStatus.PRUNED, StopReason.PRUNED, messages[i]) for i in pruned]
        )
    seconds = time.perf_counter() - start
    result = PopulationResult(
        members=[population.member(i) for i in range(len(population))],
        shared_batches=shared_batches,
        steps=total_steps,
        seconds=seconds,
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
