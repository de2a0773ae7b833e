"""Which label-issue method should ``orthotune clean`` use by default? Measured on planted noise.

Set-up: the development data sets — ``builtin:digits``, ``builtin:breast-cancer``,
``builtin:synthetic?noise=0`` (the teacher's labels without the built-in's own flips, so that
the planted flips are the only wrong labels) and ``builtin:mnist1d`` (its 4000 training
examples; the canonical test set is never judged, as ``clean`` leaves it alone) — each with 10 %
and then 20 % of the labels flipped at random to another class (seed fixed, ids known). Every
method runs with the defaults ``clean`` gives it (none is told the noise rate): ``confident``
(5-fold out-of-fold probabilities + cleanlab), ``iterative`` (the lecture's loop; its round 1
starts from the same out-of-fold probabilities, shared to save time, before it tries shorter
training) and ``cluster`` (k-means; signals and
images in the out-of-fold models' representation). Each method's suspects are scored against the
flipped ids: precision (share of suspects that were flipped) and recall (share of flipped ones
found).

A **ceiling** beside them, no method: the same out-of-fold model fitted on the *clean* labels,
and told the noise process (a rate ρ of labels moved uniformly to another of the K classes),
ranks each example by the chance its label was flipped,
P(flipped | x, ỹ) = ρ/(K−1)·(1 − p(ỹ|x)) / (ρ/(K−1)·(1 − p(ỹ|x)) + (1 − ρ)·p(ỹ|x)), and its
column is the highest precision that ranking reaches at a recall of at least 0.95. It knows what
no method knows (the clean labels' probabilities, the rate), so where it stays below 0.95 the
goal of 0.95 / 0.95 is out of reach of any method built on this model: an example the model
misreads on clean labels looks flipped whatever the method. (The posterior falls as p(ỹ|x)
rises, so the ranking is that of 1 − p(ỹ|x): the noise process rescales it, reorders nothing.)

The method that measures best is the one whose *worst* cell — the lowest of precision and
recall over every set and rate — is highest (a default must hold everywhere); ties go to the
higher mean of all its cells.

    python bench/clean_default.py            # full: clean's 800 steps per fold model (~1 h)
    python bench/clean_default.py --sets builtin:mnist1d --rates 0.2   # one cell (~13 min)
    python bench/clean_default.py --steps 400 --sets builtin:digits,builtin:breast-cancer
    python bench/clean_default.py --quick    # small subsets, short training, a minute
    python bench/clean_default.py --kind minority --rates 0.3 --sets creditcard,attrition

``--kind minority`` flips a share of the smallest class to the largest (an imbalanced table's
rare outcome under-recorded; no ceiling: its posterior is that of uniform flips). A set named
without ``builtin:`` is a development set of ``bench/datasets.yaml`` (``bench/defaults.py``).

Last line: ``best=… best_worst=… best_mean=…`` then ``<method>_worst=… <method>_mean=…`` for
every method (worst = the lowest precision or recall over all cells; mean = the mean of all),
then ``ceiling_worst=…`` (the ceiling's lowest precision at recall ≥ 0.95 over all cells).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from defaults import load
from label_noise import flip_labels, precision_recall

from orthotune.analysis import (
    ClusterDisagreement,
    ConfidentLearning,
    FitRecipe,
    IterativeCleaning,
)
from orthotune.data import Dataset

DATASETS = (
    "builtin:digits",
    "builtin:breast-cancer",
    "builtin:synthetic?noise=0",
    "builtin:mnist1d",
)
RATES = (0.1, 0.2)
METHOD_NAMES = ("confident", "iterative", "cluster")
CEILING_RECALL = 0.95

Cell = tuple[float, float]  # (precision, recall)


def judged_part(data: Dataset) -> Dataset:
    """The rows ``clean`` judges: everything outside a fixed test split."""
    if data.preset_split is None:
        return data
    rows = np.flatnonzero(np.asarray(data.preset_split).astype(str) != "test")
    return replace(data.subset(rows), preset_split=None)


def flip_minority(y: np.ndarray, *, rate: float, seed: int) -> np.ndarray:
    """Noisy labels: ``rate`` of the smallest class's rows moved to the largest class (the
    noise of an imbalanced table whose rare outcome was under-recorded)."""
    counts = np.bincount(y)
    small, large = (
        int(np.argmin(np.where(counts > 0, counts, counts.max() + 1))),
        int(np.argmax(counts)),
    )
    members = np.flatnonzero(y == small)
    rows = np.random.default_rng(seed).choice(members, round(rate * len(members)), replace=False)
    noisy = y.copy()
    noisy[rows] = large
    return noisy


def with_noise(
    data: Dataset, *, rate: float, seed: int, kind: str = "uniform"
) -> tuple[Dataset, np.ndarray]:
    """``data`` with ``rate`` of its labels flipped (``uniform``: of every row, to another
    class; ``minority``: of the smallest class, to the largest), and the mask of the flipped
    rows."""
    clean = data.y.numpy()
    if kind == "minority":
        noisy = flip_minority(clean, rate=rate, seed=seed)
    else:
        noisy = flip_labels(clean, rate=rate, classes=data.num_classes, seed=seed)
    return replace(data, y=torch.as_tensor(noisy)), noisy != clean


def run_methods(
    data: Dataset, flipped: np.ndarray, *, recipe: FitRecipe, folds: int, rounds: int, seed: int
) -> dict[str, Cell]:
    """Precision and recall of each method's suspects against the flipped rows."""
    confident = ConfidentLearning(folds=folds, recipe=recipe)
    out = {"confident": precision_recall(confident.find(data, seed=seed).mask(), flipped)}
    iterative = IterativeCleaning(folds=folds, recipe=recipe, max_rounds=rounds)
    iterative.first_proba = confident.proba  # round 1 = the same out-of-fold probabilities
    out["iterative"] = precision_recall(iterative.find(data, seed=seed).mask(), flipped)
    cluster = ClusterDisagreement(folds=folds, recipe=recipe)
    cluster.embedding = confident.embedding
    out["cluster"] = precision_recall(cluster.find(data, seed=seed).mask(), flipped)
    return out


def flip_posterior(proba: np.ndarray, labels: np.ndarray, *, rate: float) -> np.ndarray:
    """P(flipped | x, given label) under uniform flips of ``rate`` to another class, from the
    clean labels' class probabilities ``proba`` ``[n, K]`` (the ceiling's ranking)."""
    p_given = proba[np.arange(len(labels)), labels]
    flipped = rate / (proba.shape[1] - 1) * (1.0 - p_given)
    kept = (1.0 - rate) * p_given
    return flipped / np.maximum(flipped + kept, np.finfo(float).tiny)


def precision_at_recall(score: np.ndarray, truth: np.ndarray, *, recall: float) -> float:
    """The highest precision of the suspects "score ≥ t", over every t whose suspects hold at
    least ``recall`` of the ``truth`` rows (ties in the score enter together)."""
    need = int(np.ceil(recall * truth.sum() - 1e-9))
    if need == 0:
        return 1.0
    order = np.argsort(-score, kind="stable")
    hits = np.cumsum(truth[order])
    ends = np.flatnonzero(np.r_[score[order][1:] != score[order][:-1], True])  # tie-group ends
    ok = ends[hits[ends] >= need]
    return float(np.max(hits[ok] / (ok + 1)))


def summarize(cells: dict[str, list[Cell]]) -> dict[str, tuple[float, float]]:
    """Per method: (worst, mean) over its cells — worst = the lowest precision or recall."""
    return {
        name: (min(min(c) for c in row), float(np.mean([v for c in row for v in c])))
        for name, row in cells.items()
    }


def best_method(summary: dict[str, tuple[float, float]]) -> str:
    """The method with the highest worst cell; ties broken by the higher mean."""
    return max(summary, key=lambda name: summary[name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small version (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--steps", type=int, default=None, help="optimizer steps per fold model (default: clean's)"
    )
    parser.add_argument(
        "--sets", default=",".join(DATASETS), help="comma-separated DATA specs (default: all four)"
    )
    parser.add_argument(
        "--rates", default=None, help="comma-separated flip rates (default: 0.1,0.2)"
    )
    parser.add_argument(
        "--kind",
        choices=("uniform", "minority"),
        default="uniform",
        help="uniform flips, or the rate of the smallest class flipped to the largest",
    )
    args = parser.parse_args()
    print(machine_header(), flush=True)  # the README: every bench prints it first
    started = time.perf_counter()
    recipe, folds, rates, rounds = FitRecipe(), 5, RATES, 3
    if args.quick:
        recipe, folds, rates, rounds = FitRecipe(steps=20), 3, RATES[-1:], 2
    if args.steps is not None:
        recipe = FitRecipe(steps=args.steps)
    if args.rates is not None:
        rates = tuple(float(rate) for rate in args.rates.split(","))

    cells: dict[str, list[Cell]] = {name: [] for name in METHOD_NAMES}
    rows = []
    with tempfile.TemporaryDirectory(prefix="clean-default-") as tmp:  # its copies go with it
        cache = Path(tmp)
        for spec in args.sets.split(","):
            data = judged_part(load(spec, cache))
            if args.quick:
                data = data.subset(np.arange(min(len(data), 200)))
            reference = ConfidentLearning(folds=folds, recipe=recipe)  # the ceiling's clean model
            reference.find(data, seed=args.seed)
            for rate in rates:
                noisy, flipped = with_noise(data, rate=rate, seed=args.seed, kind=args.kind)
                result = run_methods(
                    noisy, flipped, recipe=recipe, folds=folds, rounds=rounds, seed=args.seed
                )
                for name, cell in result.items():
                    cells[name].append(cell)
                ceiling = math.nan  # the posterior below is that of uniform flips
                if args.kind == "uniform":
                    posterior = flip_posterior(reference.proba, noisy.y.numpy(), rate=rate)
                    ceiling = precision_at_recall(posterior, flipped, recall=CEILING_RECALL)
                rows.append((spec, rate, result, ceiling))
                print(
                    f"  {spec} {rate:.0%} ({len(noisy)} examples, {flipped.sum()} flipped): "
                    + ", ".join(f"{k} {p:.3f}/{r:.3f}" for k, (p, r) in result.items())
                    + f", ceiling {ceiling:.3f} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )

    header = f"{'data set':<28}{'noise':>6}" + "".join(f"{m:>20}" for m in METHOD_NAMES)
    print(
        header
        + f"{'ceiling':>12}\n"
        + " " * 34
        + "".join(f"{'precision / recall':>20}" for _ in METHOD_NAMES)
        + f"{'P @ R≥0.95':>12}"
    )
    for spec, rate, result, ceiling in rows:
        print(
            f"{spec:<28}{rate:>6.0%}"
            + "".join(f"{f'{p:.3f} / {r:.3f}':>20}" for p, r in result.values())
            + f"{ceiling:>12.3f}"
        )
    summary = summarize(cells)
    best = best_method(summary)
    seconds = time.perf_counter() - started
    print(f"best: {best} · {folds} folds × {recipe.steps} steps · {seconds:.0f} s")
    figures = [
        f"best={best}",
        f"best_worst={summary[best][0]:.3f}",
        f"best_mean={summary[best][1]:.3f}",
    ]
    for name, (worst, mean) in summary.items():
        figures += [f"{name}_worst={worst:.3f}", f"{name}_mean={mean:.3f}"]
    figures.append(f"ceiling_worst={min(row[3] for row in rows):.3f}")  # nan: not measured
    print(" ".join(figures))


if __name__ == "__main__":
    main()
