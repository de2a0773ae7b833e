"""K-fold cross-validation of candidates, the folds trained at once: decisions on small data.

With a few hundred training examples, a dev set is a few dozen examples and its error moves by
several points from one model to the next by chance alone. ``train_folds`` estimates instead
the error on unseen examples from *every* training example: each candidate becomes K fold
models (model k learns from every fold but k) plus one model that learns from all of them, and
the K + 1 models of every candidate of one shape train at once as one ``Population``, each
member on its own rows (``fit_population(subsets=…)``).

Each candidate's ``Trained`` record then holds:

- ``wrong["train"]``: the full model's mistakes on the training examples (its training error);
- ``wrong["dev"]``: the out-of-fold mistakes — example i judged by the fold model that never
  saw it — so the cross-validated dev error rests on all m examples; ``dev_logits``: those
  out-of-fold logits (temperature scaling is fitted on them);
- ``model``: the full model (the one to hand back), with its history.

No dev set is watched while training (the fold models' dev is their own held-out fold), so
early stopping (``patience``) and per-epoch pruning do not apply; a config with patience is
refused.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from orthotune._errors import InvalidInputError, StorageUnavailableError
from orthotune.data import PreparedData
from orthotune.fit._alone import train_alone
from orthotune.fit._probe import population_pays
from orthotune.fit._trained import (
    Trained,
    candidate_groups,
    group_failed,
    not_started,
    out_of_time,
    score_parts,
    shared_seconds,
)

__all__ = ["fold_rows", "train_folds"]


def fold_rows(
    y: np.ndarray, *, folds: int, seed: int, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Stratified K folds of the labels ``y`` [m]: the fold of each example ([m], from
    ``data.stratified_folds``) and, per fold k, (the rows fold model k learns from — every fold
    but k, less the rows flagged in the boolean mask ``exclude`` —, the rows it predicts)."""
    from orthotune.data import stratified_folds

    fold_of = stratified_folds(y, folds=folds, seed=seed)
    keep = np.ones(len(y), dtype=bool) if exclude is None else ~exclude
    pairs = [
        (np.flatnonzero((fold_of != k) & keep), np.flatnonzero(fold_of == k)) for k in range(folds)
    ]
    return fold_of, pairs


def train_folds(
    candidates: Sequence,
    data: PreparedData,
    *,
    folds: int,
    vectorize: bool,
    device: torch.device,
    deadline: float | None,
    on_trained: Callable | None = None,
    on_epoch: Callable | None = None,
    seed: int = 0,
) -> list:
    """Cross-validate every candidate on ``data.train`` (see the module doc); results in input
    order. ``vectorize``: train each group of one shape as one population where that pays on
    this machine (``population_pays``; else one model at a time through the ``Trainer``).
    ``on_epoch(candidate, epoch, None)`` reports each epoch of a population (live progress; it
    prunes nothing)."""

    for c in candidates:
        if c.weights is not None:
            raise InvalidInputError(
                f"candidate {c.name} brings its own example weights; cross-validation trains on "
                "the pooled data's weights: leave Candidate.weights None"
            )
        if c.config.patience is not None:
            raise InvalidInputError(
                f"candidate {c.name} uses early stopping (patience={c.config.patience}), which "
                "watches a dev set; with cross-validation there is none: set patience=None"
            )
    tr = data.train
    m = len(tr)
    fold_of, pairs = fold_rows(tr.y.numpy(), folds=folds, seed=seed)
    rows = [np.arange(m)] + [learn for learn, _ in pairs]  # the full model, then the folds
    groups = candidate_groups(candidates)
    results: dict[int, object] = {}
    for group in groups:  # in order, each with all the time that is left (as the executor)
        members = [candidates[i] for i in group.indices]
        if out_of_time(deadline):
            trained = [not_started(c) for c in members]
        elif (
            vectorize
            and group.vectorized
            and population_pays([c for c in members for _ in rows], tr.x, tr.y, device)
        ):
            trained = _population(
                members, data, rows, fold_of, device=device, deadline=deadline, on_epoch=on_epoch
            )
        else:
            trained = [
                not_started(c)
                if out_of_time(deadline)
                else _sequential(c, data, rows, fold_of, device=device, deadline=deadline)
                for c in members
            ]
        for i, t in zip(group.indices, trained, strict=True):
            results[i] = t
            if on_trained is not None:
                on_trained(t)
    return [results[i] for i in range(len(candidates))]


def _population(cands, data, rows, fold_of, *, device, deadline, on_epoch=None) -> list:
    from orthotune._faults import fault_point
    from orthotune.population import MemberStatus, Population, PopulationCallback, fit_population

    class _Faults(PopulationCallback):
        def on_epoch_end(self, population, epoch, metrics):
            fault_point("during_trial")
            # the candidates with a member that trained this epoch: one whose epochs are fewer
            # than its group's longest was said at "epoch 17/15"
            training = sorted({m // per for m in metrics.member_ids})
            for ci in training if on_epoch is not None else ():
                on_epoch(cands[ci], epoch, None)

    started = time.perf_counter()
    per = len(rows)  # members per candidate: the full model, then one per fold
    tr = data.train
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    try:
        pop = Population(
            [c.spec for c in cands for _ in rows],
            [c.config for c in cands for _ in rows],
            num_examples=min(len(r) for r in rows),
            seeds=[c.seed + j for c in cands for j in range(per)],
            device=device,
            init=[c.init for c in cands for _ in rows],
        )
        result = fit_population(
            pop,
            (tr.x, tr.y, tr.weights),
            subsets=[r for _ in cands for r in rows],
            shared_batches=False,
            callbacks=[_Faults()],
            time_budget_s=left,
        )
    except StorageUnavailableError:  # the study is gone: the job stops (exit 75)
        raise
    except Exception as err:  # the whole group failed to build or train: say so per candidate
        return group_failed(cands, err, started)
    spent = shared_seconds([m.history for m in result.members], time.perf_counter() - started)
    out = []
    for ci, cand in enumerate(cands):
        members = result.members[ci * per : (ci + 1) * per]
        seconds = sum(spent[ci * per : (ci + 1) * per])
        full = members[0]
        failed = next((mm.message for mm in members if mm.failed), None)
        if failed is not None:
            out.append(Trained(cand, None, history=full.history, failed=failed, seconds=seconds))
            continue
        models = [pop.export(mm.member_id) for mm in members]
        out.append(
            _record(
                cand,
                models,
                data,
                fold_of,
                device=device,
                history=full.history,
                stop=(full.reason.value if full.reason else full.status.value, full.message),
                seconds=seconds,
                complete=all(mm.status is not MemberStatus.OUT_OF_TIME for mm in members),
            )
        )
    return out


def _sequential(cand, data, rows, fold_of, *, device, deadline):
    from orthotune.train import StopReason

    started = time.perf_counter()
    tr = data.train
    models, results = [], []
    for j, r in enumerate(rows):
        left = None
        if deadline is not None:  # an equal share of what is left for each of the models
            left = max((deadline - time.monotonic()) / (len(rows) - j), 1e-3)
        idx = torch.as_tensor(r)
        part = (tr.x[idx], tr.y[idx], None if tr.weights is None else tr.weights[idx])
        fold_model = dataclasses.replace(cand, seed=cand.seed + j)
        try:
            model, res = train_alone(fold_model, part, device=device, time_budget_s=left)
        except StorageUnavailableError:  # the study is gone: the job stops (exit 75)
            raise
        except Exception as err:  # one candidate's failure never stops the others
            why = f"{type(err).__name__}: {err}"
            return Trained(cand, None, failed=why, seconds=time.perf_counter() - started)
        if res.stop_reason == StopReason.NON_FINITE:
            return Trained(
                cand, None, failed=res.stop_message, seconds=time.perf_counter() - started
            )
        models.append(model)
        results.append(res)
    full = results[0]
    return _record(
        cand,
        models,
        data,
        fold_of,
        device=device,
        history=full.history,
        stop=(full.stop_reason.value, full.stop_message),
        seconds=time.perf_counter() - started,
        complete=all(r.stop_reason != StopReason.TIME_BUDGET for r in results),
    )


@torch.no_grad()
def _record(
    cand, models: list[nn.Module], data, fold_of, *, device, history, stop, seconds, complete
):
    """The candidate's ``Trained``: the full model's training mistakes, the out-of-fold ones."""

    tr = data.train
    full, fold_models = models[0], models[1:]
    train_wrong = score_parts(full, {"train": tr}, device=device)["train"]
    oof_logits = torch.zeros(len(tr), data.dataset.num_classes)
    for k, model in enumerate(fold_models):
        held = torch.as_tensor(np.flatnonzero(fold_of == k))
        model.eval()
        oof_logits[held] = model(tr.x[held].to(device)).float().cpu()
    return Trained(
        cand,
        full,
        history=history,
        stop_reason=stop[0],
        stop_message=stop[1],
        wrong={"train": train_wrong, "dev": oof_logits.argmax(1) != tr.y},
        seconds=seconds,
        complete=complete,
        dev_logits=oof_logits,
        dev_y=tr.y,
    )
