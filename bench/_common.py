"""What the search benchmarks share: the machine header, incumbent traces and their
time-to-target logic, and the fair Optuna peer.

A **trace** is a method's incumbents over time — (seconds since its start, dev accuracy, test
accuracy), one point each time the best trial by dev accuracy changes. The methods never see
test; the benchmark observes it to time them. ``time_to(target)`` is the first time the
incumbent's test accuracy reaches ``target`` (``part="dev"``: its dev accuracy, the figure a
choice between variants of a method may use); a method that never reaches it within its budget
is **censored** at the budget, and a ratio whose side has a censored median is a bound
(``time_ratio``).

The **fair Optuna peer** (``run_optuna``) is what a user who knows Optuna writes, given what
orthotune's ``tune --strategy tpe`` gets: the same split and normalization, the same search
space (rendered into ``suggest_*`` calls by ``SearchSpace.suggest``), the same first trial
enqueued (the data shape's starting point, ``search/_start.py``), the same ``TPESampler``
settings as ``TPE`` in ``search/_strategies/_tpe.py`` (multivariate, group, constant liar, 10
startup trials) with Optuna's ``HyperbandPruner`` on epochs, the same optimizer construction (the
lecture's L2 on weights only, ``orthotune.train.make_optimizer``), the same learning-rate
schedule per step, and the same precision (bfloat16 autocast of the training forward when
asked). It trains one plain ``torch.nn`` model at a time.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

ISA_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def machine_header() -> str:
    """One line: CPU model, the ISA flags that matter here, torch version and threads."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    isa = ",".join(f for f in ISA_FLAGS if f in flags) or "none of " + "/".join(ISA_FLAGS)
    return (
        f"# machine: {model}; {os.cpu_count()} cores; ISA {isa}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s)"
    )


def warm_up() -> None:
    """The one-time imports both sides of a search comparison pay on their first trial, paid
    here, off every clock: torch's optimizers, Optuna's TPE sampling (it imports scipy on its
    first multivariate sample) and the SQLite storage ``tune`` opens (SQLAlchemy, Alembic). In
    one process the method run first used to pay them for the others: 0.8 s of the 1.4 s before
    ``tune --strategy tpe``'s first batch on the synthetic set, against a peer timed after it."""
    import optuna

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    storage = optuna.storages.RDBStorage("sqlite://")
    sampler = optuna.samplers.TPESampler(
        seed=0, n_startup_trials=1, multivariate=True, group=True, constant_liar=True
    )
    study = optuna.create_study(storage=storage, sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) ** 2, n_trials=3)


PARTS = {"dev": 1, "test": 2}  # where each accuracy lies in a ``Trace`` point
# An accuracy equal to the target reaches it whichever way each was rounded: a float32 error
# rate (17/1000 read as 0.017000000923871994) made an incumbent at 98.30 % miss a 97.80 %
# start's target (MNIST-1D, seed 1), and sums such as 0.978 + 0.005 differ from the count's
# ratio in their last bits. float32 rounds an accuracy by less than 6e-8; accuracies of one data
# set differ by 1/n, far more for any n below ten million.
ROUNDING = 1e-7


@dataclass
class Trace:
    """A method's incumbents over time: (seconds since its start, dev accuracy, test accuracy)."""

    points: list[tuple[float, float, float]] = field(default_factory=list)
    trials: int = 0
    seconds: float = 0.0  # how long the method ran
    precision: str = "fp32"
    model: nn.Module | None = field(default=None, repr=False)  # the incumbent, when kept

    def add(self, t: float, dev: float, test: float) -> None:
        """Record a trial finished at ``t``; it becomes a point only if it beats the incumbent
        on dev (the methods choose by dev, never by test)."""
        if not self.points or dev > self.points[-1][1]:
            self.points.append((t, dev, test))

    @property
    def best_dev(self) -> float | None:
        return self.points[-1][1] if self.points else None

    @property
    def final_test(self) -> float | None:
        """Test accuracy of the last incumbent: the model the method hands back."""
        return self.points[-1][2] if self.points else None

    def time_to(self, target: float, part: str = "test") -> float | None:
        """First time the incumbent's ``part`` accuracy (test, or dev: what a choice of a
        default may look at) reached ``target`` (None: never), up to ``ROUNDING``."""
        k = PARTS[part]
        return next((p[0] for p in self.points if p[k] >= target - ROUNDING), None)


@dataclass(frozen=True)
class Timed:
    """A time to target; ``censored``: never reached, so ``seconds`` is the budget."""

    seconds: float
    censored: bool


def time_to_target(trace: Trace, target: float, budget_s: float, part: str = "test") -> Timed:
    t = trace.time_to(target, part)
    return Timed(budget_s, True) if t is None else Timed(t, False)


def start_target(
    traces: Sequence[Trace], margin: float = 0.005, part: str = "test"
) -> float | None:
    """A target the shared start does not reach: the best ``part`` accuracy among the methods'
    first incumbents (each method's first trial is the same starting point) plus ``margin``."""
    firsts = [tr.points[0][PARTS[part]] for tr in traces if tr.points]
    return max(firsts) + margin if firsts else None


@dataclass(frozen=True)
class Ratio:
    """Median time of ``ours`` ÷ median time of ``peer``; ``bound`` says what censoring does."""

    value: float
    bound: str  # "", "upper", "lower", "uninformative"

    def describe(self) -> str:
        return {
            "": f"{self.value:.3f}",
            "upper": f"≤ {self.value:.3f} (the peer missed the target in some runs)",
            "lower": f"≥ {self.value:.3f} (orthotune missed the target in some runs)",
            "uninformative": f"{self.value:.3f} (both missed it in some runs: uninformative)",
        }[self.bound]


def time_ratio(ours: Sequence[Timed], peer: Sequence[Timed]) -> Ratio:
    """Median over runs of each side, censored times counted as their budgets. A side's median
    is exact while fewer than half its runs are censored (a censored time, the budget, is the
    longest of the side, so it lies above the median), and a bound otherwise."""
    o = statistics.median(t.seconds for t in ours)
    p = statistics.median(t.seconds for t in peer)
    miss_o, miss_p = (2 * sum(t.censored for t in side) >= len(side) for side in (ours, peer))
    bound = (
        "uninformative" if miss_o and miss_p else "upper" if miss_p else "lower" if miss_o else ""
    )
    return Ratio(o / p if p > 0 else math.inf, bound)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = sum(
        int((model(x[a : a + 4096]).argmax(1) == y[a : a + 4096]).sum())
        for a in range(0, len(y), 4096)
    )
    return correct / max(len(y), 1)


# --------------------------------------------------------------------------- orthotune's search
def run_orthotune_search(
    data_spec: str,
    *,
    seed: int,
    budget_s: float,
    out: Path,
    precision: str = "fp32",
    load_options=None,
    strategy: str = "tpe",
) -> Trace:
    """``tune_search`` as ``orthotune tune --strategy tpe`` calls it, observed from outside:
    each new incumbent's test accuracy is read as it is checkpointed (the milliseconds of that
    observation are taken off its clock)."""
    from orthotune.search import _job as job

    trace = Trace(precision=precision)
    original = job._save_incumbent
    clock = {"start": 0.0, "observing": 0.0}

    def observed(run, number, trained, data, *rest):
        t0 = time.monotonic()
        dev = 1.0 - trained.error("dev")
        test = accuracy(trained.model.cpu(), data.test.x, data.test.y)
        clock["observing"] += time.monotonic() - t0
        trace.add(t0 - clock["start"] - clock["observing"], dev, test)
        trace.precision = trained.candidate.config.precision
        return original(run, number, trained, data, *rest)

    job._save_incumbent = observed
    try:
        clock["start"] = time.monotonic()
        summary = job.tune_search(
            data_spec,
            load_options=load_options,
            out=out,
            strategy=strategy,
            executor="population",
            budget_s=budget_s,
            seed=seed,
            device="cpu",
            precision=precision,
        )
    finally:
        job._save_incumbent = original
    trace.seconds = time.monotonic() - clock["start"] - clock["observing"]
    trace.trials = sum(summary.leaderboard.counts.values())
    return trace


# --------------------------------------------------------------------------- the Optuna peer
def run_optuna(data, space, *, seed: int, budget_s: float, precision: str = "fp32") -> Trace:
    """The fair Optuna peer (see the module doc) on prepared ``data`` (train, dev, test)."""
    import optuna

    from orthotune.models import build_model
    from orthotune.search import _job as job
    from orthotune.search import params_to_candidate, starting_point
    from orthotune.search._strategies import max_epochs
    from orthotune.train import lr_factor, make_optimizer

    trace = Trace(precision=precision)
    start = time.monotonic()
    deadline = start + budget_s
    tr, dv, te = data.train, data.dev, data.test
    shape, classes = tuple(tr.x.shape[1:]), data.dataset.num_classes
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(
            seed=seed, n_startup_trials=10, multivariate=True, group=True, constant_liar=True
        ),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs(space)),
    )
    archs = tuple(getattr(space["architecture"], "choices", ())) if "architecture" in space else ()
    first = starting_point(shape, classes, architectures=archs)
    # the start's epochs fitted to the budget as ``tune --strategy tpe`` fits its own (timed
    # inside the peer's clock, as ours is inside its budget)
    first, _ = job._fitted_start(first, space, data, budget_s, device="cpu", precision=precision)
    study.enqueue_trial(space.internal_params(space.project(first)))
    bf16 = precision == "bf16"
    clock = {"observing": 0.0}

    def objective(trial: optuna.Trial) -> float:
        params = space.suggest(trial, record=False)
        spec, cfg = params_to_candidate(params, input_shape=shape, num_classes=classes)
        torch.manual_seed(seed * 1000 + trial.number)
        model = build_model(spec)
        opt = make_optimizer(model, cfg, num_train=len(tr))
        gen = torch.Generator().manual_seed(seed * 1000 + trial.number)
        steps = math.ceil(len(tr) / cfg.batch_size)
        dev_acc = 0.0
        for epoch in range(cfg.epochs):
            model.train()
            order = torch.randperm(len(tr), generator=gen)
            for step, a in enumerate(range(0, len(tr), cfg.batch_size)):
                factor = lr_factor(cfg, epoch, step=step, steps_per_epoch=steps)
                for group in opt.param_groups:
                    group["lr"] = cfg.lr * factor
                idx = order[a : a + cfg.batch_size]
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    loss = nn.functional.cross_entropy(model(tr.x[idx]), tr.y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                if time.monotonic() > deadline:
                    raise optuna.TrialPruned()  # cut short: no measurement
            if not math.isfinite(loss.item()):
                raise optuna.TrialPruned()  # diverged
            dev_acc = accuracy(model, dv.x, dv.y)
            trial.report(dev_acc, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        if trace.best_dev is None or dev_acc > trace.best_dev:  # a new incumbent: observe it
            t0 = time.monotonic()
            test = accuracy(model, te.x, te.y)
            clock["observing"] += time.monotonic() - t0
            trace.add(t0 - start - clock["observing"], dev_acc, test)
            trace.model = model
        return dev_acc

    study.optimize(objective, timeout=budget_s, catch=(RuntimeError,))
    trace.seconds = time.monotonic() - start - clock["observing"]
    trace.trials = len(study.trials)
    return trace
