"""Would more data help? The learning curve: one configuration on nested fractions of the
training set, trained as one population (or one after another, where that is faster on this
machine), and a power law fitted to its dev errors.

Member k of the population learns from the first ``fractions[k]·m`` examples of one stratified
random order of the m training examples (so the subsets are nested and keep the class
proportions). Every member takes the same number of optimizer steps as the configuration takes
on all m examples — a small subset is repeated to fill the epoch, and its L2 penalty is scaled to
its own size (λ/(2·m_k), the lecture's form) — so a small fraction is short of data only, not of
training. Each member is scored on the whole dev set.

The dev errors are fitted with ``err(n) = a·n^(−b) + c`` (a, b, c ≥ 0; c is the error more data
of this kind would not remove). "Doubling the training data" is read off the fit as a change,
``err(2m) − err(m)``, added to the measured dev error at m, and its 95 % interval comes from a
bootstrap over the dev examples: the dev set is resampled (the same rows for every fraction), the
errors recomputed and the curve refitted, 200 times; the percentiles of the refitted change give
the interval. It covers the dev set's sampling noise, not the training's randomness (one seed
per fraction). When the expected drop is less than one dev example's worth (and less than 0.1
point), the curve is *flat*: more data of this kind will not help; when only the interval
reaches no gain (its upper end less than that below the error now), the sentence says that
the gain is not certain.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, Field

from orthotune._errors import InvalidInputError
from orthotune._result import Result
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_FRACTIONS",
    "CurvePoint",
    "LearningCurve",
    "PowerLaw",
    "fit_power_law",
    "learning_curve",
    "minimum_train_examples",
    "nested_order",
]

SCHEMA_VERSION = 1
DEFAULT_FRACTIONS: tuple[float, ...] = (0.125, 0.25, 0.5, 0.75, 1.0)
MIN_SMALLEST = 30  # examples the smallest fraction must hold (and 3 per class)
BOOTSTRAP = 200
B_MAX = 2.0  # steeper exponents fit a step, not a learning curve
_B_GRID = np.geomspace(1e-3, B_MAX, 160)


class PowerLaw(BaseModel):
    """``err(n) = a·n^(−b) + c`` with its residual sum of squares on the points it was fitted to."""

    a: float
    b: float
    c: float
    rss: float = 0.0

    def predict(self, n: float | np.ndarray) -> Any:
        return self.a * np.power(np.asarray(n, dtype=np.float64), -self.b) + self.c


class CurvePoint(BaseModel):
    """One fraction of the training set: its size, training error on its own examples and dev
    error with a 95 % (Wilson) interval."""

    fraction: float
    train_examples: int
    train_error: float
    dev_error: float
    dev_low: float
    dev_high: float


class LearningCurve(Result):
    """The learning curve, its fit and what doubling the training data would do."""

    schema_version: int = SCHEMA_VERSION
    points: list[CurvePoint]
    dev_examples: int
    fit: PowerLaw | None = None
    error_now: float = Field(description="measured dev error with all training examples")
    error_doubled: float | None = Field(
        default=None, description="expected dev error with twice the training examples"
    )
    doubled_low: float | None = None
    doubled_high: float | None = None
    flat: bool = True
    complete: bool = Field(
        default=True, description="every fraction trained its epochs (no time budget cut)"
    )
    interval: str = (
        f"bootstrap over the dev examples ({BOOTSTRAP} resamples, the same rows for every "
        "fraction; training randomness not included)"
    )
    configuration: str = ""
    floor: float | None = Field(
        default=None,
        description="dev error of always predicting the training fractions' most frequent class",
    )
    sentence: str = ""


# ----------------------------------------------------------------------------- the fit
def _fit_fixed_b(n: np.ndarray, err: np.ndarray, b: float) -> tuple[float, float, float]:
    """Least squares of (a, c) ≥ 0 for a fixed exponent b: (a, c, rss)."""
    from scipy.optimize import nnls

    design = np.stack([np.power(n, -b), np.ones_like(n)], axis=1)
    (a, c), norm = nnls(design, err)
    return float(a), float(c), float(norm**2)


def fit_power_law(n: Sequence[float], err: Sequence[float]) -> PowerLaw:
    """Fit ``err(n) = a·n^(−b) + c`` (a, c ≥ 0, 0.001 ≤ b ≤ 2) by least squares.

    For a fixed b the model is linear in (a, c): a non-negative least squares solves it exactly;
    b is searched on a log grid and refined by a bounded scalar search around the best cell.
    Needs at least 3 points.
    """
    from scipy.optimize import minimize_scalar

    ns = np.asarray(n, dtype=np.float64)
    es = np.asarray(err, dtype=np.float64)
    if len(ns) < 3 or len(ns) != len(es):
        raise ValueError(f"a power law needs ≥ 3 (n, error) points, got {len(ns)}")
    rss = np.array([_fit_fixed_b(ns, es, b)[2] for b in _B_GRID])
    i = int(np.argmin(rss))
    lo, hi = _B_GRID[max(i - 1, 0)], _B_GRID[min(i + 1, len(_B_GRID) - 1)]
    best_b = float(_B_GRID[i])
    if hi > lo:
        found = minimize_scalar(
            lambda b: _fit_fixed_b(ns, es, b)[2],
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-10},
        )
        if found.fun <= rss[i]:
            best_b = float(found.x)
    a, c, r = _fit_fixed_b(ns, es, best_b)
    return PowerLaw(a=a, b=best_b, c=c, rss=r)


# ----------------------------------------------------------------------------- the subsets
def nested_order(y: np.ndarray, *, seed: int) -> np.ndarray:
    """A random order of the rows whose every prefix keeps the class proportions: rows are
    shuffled within their class and ranked by (position in class + ½) / class size."""
    rng = np.random.default_rng(seed)
    key = np.empty(len(y))
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        rows = rows[rng.permutation(len(rows))]
        key[rows] = (np.arange(len(rows)) + rng.random()) / len(rows)
    return np.argsort(key, kind="stable")


def minimum_train_examples(num_classes: int, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> int:
    """Training examples needed so that the smallest fraction holds ``max(30, 3·classes)``."""
    need = max(MIN_SMALLEST, 3 * num_classes)
    return math.ceil(need / min(fractions) - 1e-9)


def _check(fractions: Sequence[float], m: int, num_classes: int, dev: int) -> tuple[float, ...]:
    fr = tuple(sorted(float(f) for f in fractions))
    repeated = sorted({f for f in fr if fr.count(f) > 1})
    why = (
        f"{', '.join(f'{f:g}' for f in repeated)} given more than once"
        if repeated
        else "fewer than 3"
        if len(fr) < 3
        else "not all in (0, 1]"
        if fr[0] <= 0 or fr[-1] > 1.0
        else "the largest is not 1"
        if fr[-1] != 1.0
        else ""
    )
    if why:
        raise InvalidInputError(
            f"fractions {list(fractions)} are not accepted ({why}): give at least 3 different "
            "fractions in (0, 1], the largest 1 (e.g. 1/8, 1/4, 1/2, 1)"
        )
    need = minimum_train_examples(num_classes, fr)
    if m < need:
        raise InvalidInputError(
            f"the training set has {m} examples; a learning curve down to {fr[0]:g} of it needs "
            f"at least {need} (the smallest fraction must hold "
            f"{max(MIN_SMALLEST, 3 * num_classes)}): give more data or larger fractions"
        )
    if dev < 1:
        raise InvalidInputError("the dev set is empty: a learning curve needs dev examples")
    return fr


# ----------------------------------------------------------------------------- the curve
def _doubling(
    fit: PowerLaw, m: int, wrong: np.ndarray, sizes: np.ndarray, seed: int
) -> tuple[float, float, float, float, bool]:
    """(measured error now, expected error at 2m, 95 % low, high, flat) — see the module doc.

    The change ``err(2m) − err(m)`` of the fit is added to the measured error; its interval is
    the 2.5–97.5 percentiles of the same change refitted on bootstrap resamples of the dev rows.
    Flat: the expected drop is less than one dev example's worth (and at least 0.1 point).
    """
    now = float(wrong[-1].mean())
    change = float(fit.predict(2 * m) - fit.predict(m))
    rng = np.random.default_rng(seed)
    n_dev = wrong.shape[1]
    changes = []
    for _ in range(BOOTSTRAP):
        rows = rng.integers(0, n_dev, n_dev)
        f = fit_power_law(sizes, wrong[:, rows].mean(axis=1))
        changes.append(float(f.predict(2 * m) - f.predict(m)))
    low, high = (float(v) for v in np.percentile(changes, [2.5, 97.5]))
    flat = change > -max(1.0 / n_dev, 0.001)
    return now, max(now + change, 0.0), max(now + low, 0.0), max(now + high, 0.0), flat


def _sentence(curve: LearningCurve) -> str:
    m = curve.points[-1].train_examples
    none = max(1.0 / curve.dev_examples, 0.001)  # a drop of less than one dev example's worth
    if curve.floor is not None and all(p.dev_error >= curve.floor - none for p in curve.points):
        # "it is flat — more data of this kind will not help … [23.7%, 23.7%]" of models that
        # all erred as the most frequent class does (a new user's flights, 327,346 rows)
        return (
            f"every fraction's model errs as much as always predicting the most frequent class "
            f"({curve.floor:.1%} on the {curve.dev_examples} dev examples): it learns nothing "
            f"from these inputs as configured ({curve.configuration}), so the curve cannot tell "
            "whether more data would help"
        )
    if curve.error_doubled is None:
        return f"the learning curve could not be fitted; dev error {curve.error_now:.1%} at {m}"
    if curve.flat and curve.error_doubled < curve.error_now - 0.001:
        # less than one dev example's worth, yet more than a tenth of a point: on 40 dev rows
        # a predicted 1.9-point drop read "it is flat — more data will not help"
        return (
            f"doubling the {m} training examples would lower the dev error from "
            f"{curve.error_now:.1%} to about {curve.error_doubled:.1%} "
            f"[{curve.doubled_low:.1%}, {curve.doubled_high:.1%}]: less than one of its "
            f"{curve.dev_examples} dev examples' worth ({1 / curve.dev_examples:.1%}), so this "
            "dev set is too small to tell whether more data would help"
        )
    if curve.flat:
        sentence = (
            f"it is flat — more data of this kind will not help: doubling the {m} training "
            f"examples would leave the dev error at about {curve.error_doubled:.1%} "
            f"[{curve.doubled_low:.1%}, {curve.doubled_high:.1%}] (now {curve.error_now:.1%} on "
            f"its {curve.dev_examples} dev examples)"
        )  # which dev examples: under k-fold a sweep read "now 1.7%" beside a 0.69 % dev error
        train = curve.points[-1].train_error
        if train > curve.error_now - train:
            # a sweep's 5-epoch MLP (train 51.2 %, dev 60.3 %) read as the data's verdict, where
            # a tuned model of the same split reached 13 % dev error
            sentence += (
                f" — for this configuration: its training error ({train:.1%}) is larger than "
                f"its gap to the dev error ({curve.error_now - train:.1%}); where a better "
                "model or a person errs less on these examples, that is avoidable bias, which "
                "more data does not lower (a bigger network or longer training does)"
            )
        return sentence
    sentence = (
        f"doubling the training data ({m} → {2 * m} examples) would lower the dev error on its "
        f"{curve.dev_examples} dev examples from {curve.error_now:.1%} to about "
        f"{curve.error_doubled:.1%} [{curve.doubled_low:.1%}, {curve.doubled_high:.1%}]"
    )
    # a drop of less than one dev example's worth is none, as for ``flat`` (an upper end
    # 0.0005 below now printed "[7.0%, 10.0%]" from 10.0% without the caveat)
    if curve.doubled_high is not None and curve.doubled_high > curve.error_now - none:
        # its margin said: "[1.2%, 1.3%] — the interval reaches no gain" from 1.4 % read as a
        # contradiction
        sentence += (
            f" — the interval reaches within {none:.1%} of the error now, so the gain is not "
            "certain"
        )
    return sentence


def learning_curve(
    train: Any,
    dev: Any,
    spec: ModelSpec,
    config: TrainConfig,
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    seed: int = 0,
    device: str = "auto",
    time_budget_s: float | None = None,
) -> LearningCurve:
    """Train ``spec`` with ``config`` on nested fractions of ``train`` and measure each on
    ``dev`` (see the module doc).

    train, dev: normalized parts with ``x`` [n, …], ``y`` [n] and ``weights`` ([n] or None).
    """
    from orthotune.diagnose import wilson_interval
    from orthotune.train import resolve_device

    y = train.y.numpy()
    m = len(y)
    num_classes = spec.num_classes
    fr = _check(fractions, m, num_classes, len(dev.y))
    order = nested_order(y, seed=seed)
    sizes = np.array([max(1, round(f * m)) for f in fr])
    subsets, configs = [], []
    for size in sizes:
        rows = order[:size]
        subsets.append(np.tile(rows, math.ceil(m / size))[: max(m, size)])  # ≥ m rows: same steps
        configs.append(config.model_copy(update={"l2": config.l2 * m / size}))  # λ/m_k
    dev_device = resolve_device(device)
    models, complete = _train_fractions(
        spec, configs, subsets, train, dev, device=dev_device, seed=seed, budget_s=time_budget_s
    )
    wrong = np.zeros((len(fr), len(dev.y)), dtype=bool)
    train_errors = []
    for k, model in enumerate(models):
        if isinstance(model, str):
            raise InvalidInputError(
                f"the member on {sizes[k]} examples failed ({model}); the configuration "
                "does not train on this data: fix its learning rate"
            )
        model.eval()
        with torch.no_grad():
            pred = model(dev.x.to(dev_device)).argmax(1).cpu().numpy()
            rows = torch.as_tensor(order[: sizes[k]])
            own = model(train.x[rows].to(dev_device)).argmax(1).cpu().numpy()
        wrong[k] = pred != dev.y.numpy()
        train_errors.append(float((own != y[order[: sizes[k]]]).mean()))
    points = []
    for k, f in enumerate(fr):
        low, high = wilson_interval(float(wrong[k].mean()), len(dev.y))
        points.append(
            CurvePoint(
                fraction=f,
                train_examples=int(sizes[k]),
                train_error=train_errors[k],
                dev_error=float(wrong[k].mean()),
                dev_low=low,
                dev_high=high,
            )
        )
    fit = fit_power_law(sizes, wrong.mean(axis=1))
    now, doubled, low, high, flat = _doubling(fit, m, wrong, sizes, seed)
    curve = LearningCurve(
        points=points,
        dev_examples=len(dev.y),
        fit=fit,
        error_now=now,
        error_doubled=doubled,
        doubled_low=low,
        doubled_high=high,
        flat=flat,
        complete=complete,
        configuration=f"{spec.kind}, {config.epochs} epochs, batch {config.batch_size}",
        floor=float((dev.y.numpy() != np.bincount(y, minlength=num_classes).argmax()).mean()),
    )
    return curve.model_copy(update={"sentence": _sentence(curve)})


def _train_fractions(
    spec: ModelSpec,
    configs: list[TrainConfig],
    subsets: list[np.ndarray],
    train: Any,
    dev: Any,
    *,
    device: torch.device,
    seed: int,
    budget_s: float | None,
) -> tuple[list[Any], bool]:
    """Train one model per fraction (member k on the rows ``subsets[k]``, with ``configs[k]``
    and seed ``seed + k``): as one population where that is faster on this machine
    (``fit.population_pays``), else one after another. On a 2-core AMD EPYC with AVX-512, a
    population of MNIST-1D's default CNN takes longer than its members one after another
    (``fit/_probe.py``: 2 members of 30 epochs, 39.0 s against 10.3 s for one), while the
    autopilot keeps the curve the time of 5 models. Returns each member's model — or the
    reason it failed — and whether every member trained its epochs (no time budget cut)."""
    from orthotune.fit import Candidate, population_pays
    from orthotune.population import MemberStatus, Population, fit_population

    members = [Candidate(f"fraction {k}", spec, c, seed=seed + k) for k, c in enumerate(configs)]
    if not population_pays(members, train.x, train.y, device):
        return _one_after_another(members, subsets, train, dev, device=device, budget_s=budget_s)
    pop = Population(
        spec,
        configs,
        num_examples=len(train.y),
        seeds=[c.seed for c in members],
        device=device,
    )
    result = fit_population(
        pop,
        (train.x, train.y, train.weights),
        (dev.x, dev.y, dev.weights),
        subsets=subsets,
        shared_batches=False,
        time_budget_s=budget_s,
    )
    models = [mm.message if mm.failed else pop.export(k) for k, mm in enumerate(result.members)]
    return models, all(mm.status is not MemberStatus.OUT_OF_TIME for mm in result.members)


def _one_after_another(
    members: list[Any],
    subsets: list[np.ndarray],
    train: Any,
    dev: Any,
    *,
    device: torch.device,
    budget_s: float | None,
) -> tuple[list[Any], bool]:
    """``_train_fractions`` with one ``Trainer`` per member (``fit.train_alone``), each given an
    equal share of the time that is left."""
    import time

    from orthotune.fit import train_alone
    from orthotune.train import StopReason

    deadline = None if budget_s is None else time.monotonic() + budget_s
    models: list[Any] = []
    complete = True
    for k, (member, rows) in enumerate(zip(members, subsets, strict=True)):
        left = None
        if deadline is not None:
            left = max((deadline - time.monotonic()) / (len(members) - k), 1e-3)
        idx = torch.as_tensor(rows)
        part = (train.x[idx], train.y[idx], None if train.weights is None else train.weights[idx])
        try:
            model, res = train_alone(
                member, part, (dev.x, dev.y, dev.weights), device=device, time_budget_s=left
            )
        except Exception as err:  # the member's failure (Ctrl-C is no Exception: it stops all)
            models.append(f"{type(err).__name__}: {err}")
            continue
        complete = complete and res.stop_reason != StopReason.TIME_BUDGET
        models.append(res.stop_message if res.stop_reason == StopReason.NON_FINITE else model)
    return models, complete
