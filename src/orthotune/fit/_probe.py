"""Does a population pay? A few optimizer steps of each way, timed on this machine.

A ``Population`` trains N members of one shape as batched operations; for small networks that
is several times faster than N models one after another (``bench/population.py``), but not for
every network on every CPU. On a 2-core AMD EPYC with AVX-512 (1 torch thread), MNIST-1D's
default CNN (4 conv layers of 32–64 channels, 37,034 parameters, batch 128) trained 2 members
of 30 epochs in 39.0 s as one population against 10.3 s for one of them alone, and 8 members of
6 epochs in 50.9 s against 3.8 s for one: the population's im2col columns (``[N, C·K, S·B]``)
outgrow the caches where torch's own convolution kernel does not. The autopilot's steps there
took about twice the time they needed. Which way wins depends on the network, the batch and the
machine, so it is measured, not guessed: ``PROBE_STEPS`` optimizer steps of the group as one
population and of one of its members as a plain torch model, on the group's first mini-batch,
after one warm-up step each. The answer is kept for the process (``_decided``), per shape,
optimizer family, batch size, precision, member count and device.

A network whose own step takes longer than ``ONE_STEP_LIMIT_S`` is not probed as a population:
its operations are large enough to keep the CPU busy alone, so batching its members saves no
overhead, and building the population costs more than the probe could save — 6 CNNs on 4,000-
sample signals (one model's step 1.28 s in fp32, 0.53 s in bf16) took 30 s for the population's
warm-up, 21 s a step and 8–9 GB, where the 6 one after another needed 6 × 1.3 s; 64×64 RGB
images are alike (1.18 / 0.48 s).

Only the CPU is probed: on a GPU one model's steps are launch-bound and a population is the
point (issue 18).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from orthotune.fit._trained import Candidate, at_precision
from orthotune.models import build_model
from orthotune.train import training_threads

__all__ = ["PROBE_STEPS", "epoch_seconds", "population_pays"]

PROBE_STEPS = 3  # timed optimizer steps of each way, after one warm-up step
# one model's step longer than this: its members train one after another, unprobed (module doc);
# on their first mini-batch (AVX-512 EPYC, 1 thread, fp32 / bf16) the development group's
# networks take 0.0006-0.028 s a step (the synthetic set's MLP 0.0006 / 0.0008 s, MNIST-1D's CNN
# 0.014 / 0.010 s, digits' CNN 0.028 / 0.018 s), the two large inputs above 0.48-1.28 s
ONE_STEP_LIMIT_S = 0.1
# a warm-up step longer than this, and than the timed steps' whole allowance, ends the probe: a
# population of 6 CNNs on 4,000-sample signals took 30 s for its warm-up and 21 s a step (one
# model 1.2 s), and the probe ran 72 s of a 30-s budget before the answer it then gave; the
# development group's networks warm up well under it (AVX-512 EPYC, 1 thread: MNIST-1D's CNN × 8
# 0.25 s, digits' CNN × 6 0.44 s, the synthetic set's MLP × 8 0.004 s), so their answers stand
WARM_UP_LIMIT_S = 1.0
_decided: dict[tuple, bool] = {}
_step_s: dict[tuple, float] = {}  # one model's step, per shape, optimizer family and device


def population_pays(
    cands: Sequence[Candidate], x: torch.Tensor, y: torch.Tensor, device: torch.device
) -> bool:
    """True when one population step of ``cands`` (one shape and optimizer family) takes less
    than ``len(cands)`` steps of one of them alone (module doc), timed on the first mini-batch
    of the training examples ``x`` [m, …], ``y`` [m]; always True off the CPU; False for
    candidates a population cannot train (``vectorization_problem``)."""
    from orthotune.population import vectorization_problem

    if any(vectorization_problem(c.spec, c.config) for c in cands):
        return False
    if device.type != "cpu" or len(cands) < 2:
        return True
    first = cands[0]
    key = (first.spec.shape_key(), first.config.group_key(), len(cands), device.type)
    if key not in _decided:
        try:  # with the threads the training will have (``train.training_threads``)
            with torch.random.fork_rng(), training_threads(x, device):
                one = _model_step_s(first, x, y, device)
                faster = one <= ONE_STEP_LIMIT_S and _population_is_faster(
                    cands, x, y, device, within=len(cands) * one
                )
        except Exception:  # the population's own training reports what fails, member by member
            return True
        _decided[key] = faster
    return _decided[key]


def epoch_seconds(
    cand: Candidate,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    folds: int | None,
    device: str = "auto",
    precision: str | None = None,
) -> float:
    """Seconds one epoch of ``cand`` on the training examples ``x`` [m, …], ``y`` [m] is
    expected to take on this machine, trained as the executor would (``precision`` as in
    ``train_candidates``): one model's optimizer step, timed as the probe times it, times the
    steps of an epoch — of the one model, or under ``folds`` of the full model and each fold
    model (a population that pays takes less; this errs on the long side)."""
    from orthotune.train import resolve_device

    dev = resolve_device(device)
    if precision is not None:
        cand = at_precision(cand, precision, dev)
    m = len(y)
    size = m if cand.config.batch_size is None else min(cand.config.batch_size, m)
    steps = math.ceil(m / size)
    if folds is not None:
        steps += folds * math.ceil(m * (folds - 1) / folds / size)
    with torch.random.fork_rng():  # the timing leaves the random streams as they were
        return steps * _model_step_s(cand, x, y, dev)


def _model_step_s(cand: Candidate, x: torch.Tensor, y: torch.Tensor, device: torch.device):
    """``_one_model_step_s``, measured once per shape, optimizer family and device."""
    key = (cand.spec.shape_key(), cand.config.group_key(), device.type)
    if key not in _step_s:
        with training_threads(x, device):  # as the model will train
            _step_s[key] = _one_model_step_s(cand, x, y, device)
    return _step_s[key]


def _batch(x: torch.Tensor, y: torch.Tensor, config, device: torch.device) -> tuple:
    m = len(y)
    size = m if config.batch_size is None else min(config.batch_size, m)
    return x[:size].to(device), y[:size].to(device), m


def _timed(step: Callable[[], object], within: float = float("inf")) -> float:
    """Seconds per call of ``step``, after one warm-up call; ``inf`` as soon as the calls
    have taken more than ``within`` seconds each on average (the answer is known: no faster),
    or when the warm-up alone took more than ``WARM_UP_LIMIT_S`` and all the timed calls'
    allowance."""
    started = time.perf_counter()
    step()
    warm_up = time.perf_counter() - started
    if warm_up > max(WARM_UP_LIMIT_S, within * PROBE_STEPS):
        return float("inf")
    started = time.perf_counter()
    for _ in range(PROBE_STEPS):
        step()
        if time.perf_counter() - started > within * PROBE_STEPS:
            return float("inf")
    return (time.perf_counter() - started) / PROBE_STEPS


def _population_is_faster(
    cands: Sequence[Candidate],
    x: torch.Tensor,
    y: torch.Tensor,
    device: torch.device,
    *,
    within: float,
) -> bool:
    """Does one step of ``cands`` as one population take less than ``within`` seconds?"""
    from orthotune.population import Population

    xb, yb, m = _batch(x, y, cands[0].config, device)
    population = Population(
        [c.spec for c in cands],
        [c.config for c in cands],
        num_examples=m,
        seeds=[c.seed for c in cands],
        device=device,
    )
    return _timed(lambda: population.train_step(xb, yb), within) < within


def _one_model_step_s(
    cand: Candidate, x: torch.Tensor, y: torch.Tensor, device: torch.device
) -> float:
    """One member's optimizer step as the ``Trainer`` takes it (forward, loss, backward,
    optimizer step), without the bookkeeping both ways share."""
    from orthotune.train import make_optimizer, training_autocast

    xb, yb, m = _batch(x, y, cand.config, device)
    torch.manual_seed(cand.seed)
    model = build_model(cand.spec).to(device).train()
    optimizer = make_optimizer(model, cand.config, num_train=m)

    def step() -> None:
        with training_autocast(cand.config.precision, device):
            loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":  # the step's kernels, not only their launches (epoch_seconds)
            torch.cuda.synchronize(device)

    return _timed(step)
