"""Executors: train a batch of candidates and score them on train / train-dev / dev.

``train_candidates(candidates, data, executor=…)`` is what both the search and the autopilot
call. ``population`` (the default, the lecture's Caviar) groups candidates by DESIGN.md's key —
(``ModelSpec.shape_key()``, ``TrainConfig.group_key()``) — and trains each group as one
``Population`` — unless a few timed steps say that its members one after another are faster
on this machine (``_probe``: MNIST-1D's CNN on an AVX-512 EPYC); ``sequential`` (Panda) trains
one model after another through the ``Trainer`` and is the fallback for anything a population
cannot vectorize. Both return the same ``Trained`` records, so callers never care which ran.

The test part is never touched here: it is scored once, for the chosen model, by the caller.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from orthotune._errors import InvalidInputError, StorageUnavailableError
from orthotune.data import PreparedData
from orthotune.fit._alone import train_alone
from orthotune.fit._folds import train_folds
from orthotune.fit._probe import population_pays
from orthotune.fit._trained import (
    Candidate,
    Trained,
    at_precision,
    candidate_groups,
    error_rate,
    group_failed,
    not_started,
    out_of_time,
    score_parts,
    shared_seconds,
)

__all__ = [
    "EXECUTORS",
    "Candidate",
    "EpochHook",
    "ExploitHook",
    "Trained",
    "score_parts",
    "train_candidates",
]

logger = logging.getLogger(__name__)

EXECUTORS = ("population", "sequential")

# Called after every epoch of every candidate with (candidate, epoch, dev error); returning True
# prunes it (stops its training; the ``Trained`` record says ``pruned``).
EpochHook = Callable[["Candidate", int, float | None], bool]

# PBT's exploit/explore between epochs of one population: called with (epoch, each training
# member's dev accuracy, each one's current knob values — the names of ``PERTURBABLE``), in the
# same order; returns (loser, winner, loser's new values) positions. The loser takes the
# winner's weights, optimizer state and hyperparameters, then the new values (explore).
ExploitHook = Callable[[int, list[float], list[dict[str, float]]], list[tuple[int, int, dict]]]


def error_levels(
    trained: Trained,
    data: PreparedData,
    *,
    human_error: float | None,
    bayes_error: float | None,
    test_error: float | None = None,
):
    """The ``ErrorLevels`` of a trained candidate, each with the number of examples behind it
    (test only when the caller scored it, once, at the end), and the dev error of each source
    when the dev examples come from two or more (``--source``: the lecture's dev1 / dev2, which
    ``tune`` left out where ``evaluate`` and ``errors`` gave them)."""
    from orthotune.diagnose import ErrorLevels, Level

    def level(name: str) -> Level | None:
        wrong = trained.wrong.get(name)
        return None if wrong is None else Level(error=error_rate(wrong), n=len(wrong))

    sources = {}
    dev, wrong = data.dev, trained.wrong.get("dev")
    if dev is not None and dev.source is not None and wrong is not None:
        kinds = np.asarray(dev.source).astype(str)
        names = np.unique(kinds)
        for kind in names if len(names) > 1 else ():
            own = wrong[torch.as_tensor(kinds == kind)]
            sources[str(kind)] = Level(error=error_rate(own), n=len(own))

    return ErrorLevels(
        human_error=human_error,
        bayes_error=bayes_error,
        train=level("train"),
        train_dev=level("train-dev"),
        dev=level("dev"),
        test=None if test_error is None else Level(error=test_error, n=len(data.test)),
        dev_sources=sources,
    )


PRUNED_MESSAGE = "pruned: its per-epoch value fell behind (the search's pruner)"


def _epoch_callback(cand: Candidate, on_epoch: EpochHook | None):
    """A Trainer callback: the ``during_trial`` fault point and the search's pruning hook."""
    from orthotune._faults import fault_point
    from orthotune.train import Callback, StopReason

    class _Epochs(Callback):
        pruned = False

        def on_epoch_end(self, state, record) -> None:
            fault_point("during_trial")
            if on_epoch is not None and on_epoch(cand, record.epoch, record.dev_error):
                self.pruned = True
                state.request_stop(StopReason.CALLBACK, PRUNED_MESSAGE)

    return _Epochs()


def _watched(dev):
    """The dev part as the trainers take it; None for data without one (``orthotune train`` on
    a file whose split has only train and test: ``--ensemble K`` trained nothing there)."""
    return None if dev is None else (dev.x, dev.y, dev.weights)


def _train_one(
    cand: Candidate,
    data: PreparedData,
    *,
    device: torch.device,
    deadline: float | None,
    on_epoch: EpochHook | None = None,
) -> Trained:
    from orthotune.train import StopReason

    started = time.perf_counter()
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    hook = _epoch_callback(cand, on_epoch)
    tr, dv = data.train, data.dev
    w = tr.weights if cand.weights is None else cand.weights
    try:
        model, result = train_alone(
            cand,
            (tr.x, tr.y, w),
            _watched(dv),
            device=device,
            time_budget_s=left,
            callbacks=[hook],
        )
    except StorageUnavailableError:  # the study is gone: the job stops (exit 75)
        raise
    except Exception as err:  # one candidate's failure never stops the others
        logger.warning("candidate %s failed: %s", cand.name, err)
        return Trained(
            cand, None, failed=f"{type(err).__name__}: {err}", seconds=time.perf_counter() - started
        )
    if result.stop_reason == StopReason.NON_FINITE:
        return Trained(
            cand,
            None,
            history=result.history,
            stop_reason=result.stop_reason.value,
            stop_message=result.stop_message,
            failed=result.stop_message,
            seconds=time.perf_counter() - started,
        )
    return Trained(
        cand,
        model,
        history=result.history,
        stop_reason=result.stop_reason.value,
        stop_message=result.stop_message,
        wrong=score_parts(model, data.parts(), device=device),
        seconds=time.perf_counter() - started,
        complete=result.stop_reason != StopReason.TIME_BUDGET,
        pruned=hook.pruned,
    )


def _train_group(
    cands: Sequence[Candidate],
    data: PreparedData,
    *,
    device: torch.device,
    deadline: float | None,
    on_epoch: EpochHook | None = None,
    exploit: ExploitHook | None = None,
) -> list[Trained]:
    """Train candidates of one shape and optimizer family as one ``Population``.

    Members see the same mini-batches when they share a seed (then each member trains exactly
    as its own sequential ``Trainer`` would); otherwise each shuffles with its own seed. They
    share their example weights (the first candidate's, else the data's).
    ``exploit`` (PBT) runs after each epoch's pruning, among the members with epochs left.
    """
    from orthotune._faults import fault_point
    from orthotune.population import MemberStatus, Population, PopulationCallback, fit_population

    started = time.perf_counter()
    seeds = [c.seed for c in cands]
    lineage: dict[int, list[dict]] = {i: [] for i in range(len(cands))}

    class _Epochs(PopulationCallback):
        def on_epoch_end(self, population, epoch, metrics):
            fault_point("during_trial")
            if metrics.dev_error is None:
                return None
            pruned = [
                m
                for m in metrics.member_ids
                if on_epoch is not None and on_epoch(cands[m], epoch, metrics.value(m))
            ]
            if exploit is not None:
                _exploit(population, epoch, metrics, pruned)
            return pruned

    def _exploit(population, epoch, metrics, pruned) -> None:
        ids = [
            m
            for m in metrics.member_ids
            if m not in pruned and population.member(m).epochs < population.member(m).config.epochs
        ]
        if len(ids) < 2:
            return
        scores = [1.0 - metrics.value(m) for m in ids]
        values = [_knob_values(population.member(m)) for m in ids]
        for loser, winner, new in exploit(epoch, scores, values):
            src, dst = ids[winner], ids[loser]
            population.copy_member(src, dst, hyperparameters=True)
            old = values[winner]
            factors = {
                k: v / old[k] for k, v in new.items() if k in old and old[k] > 0 and v != old[k]
            }
            if factors:
                population.perturb(dst, factors)
            lineage[dst].append(
                {
                    "epoch": epoch,
                    "from": cands[src].name,
                    "values": _knob_values(population.member(dst)),
                }
            )

    tr, dv = data.train, data.dev
    w = tr.weights if cands[0].weights is None else cands[0].weights
    left = None if deadline is None else max(deadline - time.monotonic(), 1e-3)
    try:
        pop = Population(
            [c.spec for c in cands],
            [c.config for c in cands],
            num_examples=len(tr),
            seeds=seeds,
            device=device,
            init=[c.init for c in cands],
        )
        result = fit_population(
            pop,
            (tr.x, tr.y, w),
            _watched(dv),
            shared_batches=len(set(seeds)) == 1,
            seed=seeds[0],
            callbacks=[_Epochs()],
            time_budget_s=left,
        )
    except StorageUnavailableError:  # the study is gone: the job stops (exit 75)
        raise
    except Exception as err:  # the whole group failed to build or train: say so per member
        return group_failed(cands, err, started)
    # the members shared the time, each epoch among those that trained in it
    spent = shared_seconds([m.history for m in result.members], time.perf_counter() - started)
    out = []
    for cand, member, seconds in zip(cands, result.members, spent, strict=True):
        reason = member.reason.value if member.reason is not None else member.status.value
        if member.failed:
            out.append(
                Trained(
                    cand,
                    None,
                    history=member.history,
                    stop_reason=reason,
                    stop_message=member.message,
                    failed=member.message,
                    seconds=seconds,
                )
            )
            continue
        model = pop.export(member.member_id)
        if lineage[member.member_id]:  # PBT changed its knobs: record what it ended with
            cand = Candidate(cand.name, member.spec, member.config, seed=cand.seed)
        out.append(
            Trained(
                cand,
                model,
                history=member.history,
                stop_reason=reason,
                stop_message=member.message,
                wrong=score_parts(model, data.parts(), device=device),
                seconds=seconds,
                complete=member.status is not MemberStatus.OUT_OF_TIME,
                pruned=member.status is MemberStatus.PRUNED,
                lineage=lineage[member.member_id],
            )
        )
    return out


def _knob_values(member) -> dict[str, float]:
    """The knobs PBT may perturb in place, as one member holds them now."""
    from orthotune.population import PERTURBABLE

    cfg, spec = member.config, member.spec
    values = {
        k: float(getattr(cfg, k)) for k in PERTURBABLE if k not in ("dropout", "grad_clip", "eps")
    }
    # a network without hidden layers has no dropout (it failed every PBT trial, ValueError)
    values["dropout"] = max((spec.dropout_of(i) for i in range(spec.num_layers)), default=0.0)
    return values


@functools.cache
def _warm_up() -> None:
    """Pay the process's one-time costs before any candidate's clock starts: torch's first
    optimizer imports ``torch._dynamo`` (1.3 s here), which a search charged to its first
    trial's ``seconds`` (a 27-parameter model took 0.87 s, the same model later 0.03 s, and
    ``--constraint seconds<0.5`` refused it)."""
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


def train_candidates(
    candidates: Sequence[Candidate],
    data: PreparedData,
    *,
    executor: str = "population",
    device: str = "auto",
    deadline: float | None = None,
    on_trained: Callable[[Trained], None] | None = None,
    on_epoch: EpochHook | None = None,
    exploit: ExploitHook | None = None,
    folds: int | None = None,
    fold_seed: int = 0,
    precision: str | None = None,
) -> list[Trained]:
    """Train every candidate (``deadline`` on ``time.monotonic()``); results in input order.

    ``precision`` (``auto``, ``fp32``, ``bf16``; ``train/_precision.py``) sets every
    candidate's ``TrainConfig.precision``, ``auto`` choosing per candidate for this device; the
    ``Trained`` results carry the precision each was trained in. None keeps the configs' own.

    ``folds``: cross-validate each candidate on ``data.train`` instead (``_folds``: K fold
    models and a full one, trained at once; the dev error is the out-of-fold error). The folds
    depend on ``fold_seed`` only, so candidates of different calls are compared on the same
    folds.

    ``on_epoch(candidate, epoch, dev_error)`` runs after each epoch (report intermediate values
    there); returning True prunes that candidate (not under ``folds``, where it only reports
    progress, with no dev error). ``on_trained`` runs as each one finishes.
    ``exploit`` (PBT) acts within each population only; the sequential executor refuses it.
    """
    from orthotune.train import resolve_device

    _warm_up()
    if executor not in EXECUTORS:
        raise InvalidInputError(
            f"executor {executor!r} is unknown; accepted: {', '.join(EXECUTORS)}"
        )
    if exploit is not None and executor != "population":
        raise InvalidInputError(
            f"PBT exploits within a population, but the executor is {executor!r}: use "
            "--executor population, or another strategy"
        )
    dev = resolve_device(device)
    if precision is not None:
        candidates = [at_precision(c, precision, dev) for c in candidates]
    if folds is not None:
        return train_folds(
            candidates,
            data,
            folds=folds,
            vectorize=executor == "population",
            device=dev,
            deadline=deadline,
            on_trained=on_trained,
            on_epoch=on_epoch,
            seed=fold_seed,
        )
    if executor == "population" and len(candidates) > 1:
        return _train_populations(
            candidates,
            data,
            device=dev,
            deadline=deadline,
            on_trained=on_trained,
            on_epoch=on_epoch,
            exploit=exploit,
        )
    results: list[Trained] = []
    for cand in candidates:  # one after another, each with all the time that is left
        if out_of_time(deadline):
            trained = not_started(cand)
        else:
            trained = _train_one(cand, data, device=dev, deadline=deadline, on_epoch=on_epoch)
        if on_trained is not None:
            on_trained(trained)
        results.append(trained)
    return results


def _train_populations(
    candidates: Sequence[Candidate],
    data: PreparedData,
    *,
    device: torch.device,
    deadline: float | None,
    on_trained: Callable[[Trained], None] | None,
    on_epoch: EpochHook | None,
    exploit: ExploitHook | None = None,
) -> list[Trained]:
    """Group by DESIGN.md's key and train each group at once; a group of one, anything a
    population cannot vectorize, or a group whose population is slower on this machine than
    its members one after another (``population_pays``; PBT's groups always train at once),
    trains through the Trainer. Groups run one after another,
    in order, each with all the time that is left (an equal share would cut every group short
    when the time cannot fit them all; a group whose turn comes after the deadline is not
    started)."""
    groups = candidate_groups(candidates)
    results: dict[int, Trained] = {}
    for group in groups:
        members = [candidates[i] for i in group.indices]
        if out_of_time(deadline):
            trained = [not_started(c) for c in members]
        elif (
            group.vectorized
            and len(members) > 1
            and (
                exploit is not None or population_pays(members, data.train.x, data.train.y, device)
            )
        ):
            trained = _train_group(
                members, data, device=device, deadline=deadline, on_epoch=on_epoch, exploit=exploit
            )
        else:
            trained = [
                not_started(c)
                if out_of_time(deadline)
                else _train_one(c, data, device=device, deadline=deadline, on_epoch=on_epoch)
                for c in members
            ]
        for i, t in zip(group.indices, trained, strict=True):
            results[i] = t
            if on_trained is not None:
                on_trained(t)
    return [results[i] for i in range(len(candidates))]
