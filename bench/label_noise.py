"""Label-noise benchmark: how well each label-issue method finds flipped MNIST-1D labels, and
what cleaning buys in dev accuracy.

Set-up: the 4000 MNIST-1D training examples (``builtin:mnist1d`` without its canonical test
set) with 20 % of the labels flipped at random to another class (ids known); the canonical 1000
test examples (clean) measure accuracy. Every method runs with its defaults (none is told the
noise rate):
- ``confident``: 5-fold out-of-fold probabilities (batch-norm CNN, 800 steps per fold) and
  cleanlab's default ``find_label_issues``;
- ``iterative``: the lecture's loop; round 1 starts from the same out-of-fold probabilities
  (and keeps a shorter training if its out-of-fold log loss is lower), later rounds retrain the
  folds without the flagged examples;
- ``cluster``: k-means in the out-of-fold models' representation, label vs cluster majority.
Precision and recall of each method's suspects against the flipped ids; cleanlab's default on
the best method's final probabilities side by side (the peer on the same probabilities). Then one
model each is trained on the clean labels, the noisy labels and the best method's cleaned set
(suspects removed) and scored on the test set.

    python bench/label_noise.py            # full (minutes; run it under the shared lock)
    python bench/label_noise.py --quick    # 1000 examples, short training, seconds

Last line: ``precision=… recall=… cleaned_accuracy_gap=… cleanlab_precision=…
cleanlab_recall=…`` (best method; gap = clean-data accuracy − cleaned-data accuracy, in points).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from orthotune.analysis import (
    ClusterDisagreement,
    ConfidentLearning,
    FitRecipe,
    IterativeCleaning,
    cleanlab_issues,
    fit_predict,
)
from orthotune.analysis._fit import FitJob
from orthotune.data import load_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header


def flip_labels(y: np.ndarray, *, rate: float, classes: int, seed: int) -> np.ndarray:
    """Return noisy labels: ``rate`` of the rows moved to a uniformly chosen other class."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(y), round(rate * len(y)), replace=False)
    noisy = y.copy()
    noisy[rows] = (y[rows] + rng.integers(1, classes, len(rows))) % classes
    return noisy


def precision_recall(mask: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hit = int((mask & truth).sum())
    return hit / max(int(mask.sum()), 1), hit / max(int(truth.sum()), 1)


def test_accuracy(x, y, train_rows, test_rows, y_test, *, recipe, seed) -> float:
    out = fit_predict(x, y, FitJob(train_rows, test_rows), num_classes=10, recipe=recipe, seed=seed)
    return float((out.proba.argmax(axis=1) == y_test).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small version (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(machine_header(), flush=True)  # the README: every bench prints it first
    started = time.perf_counter()

    full = load_dataset("builtin:mnist1d")
    is_test = np.asarray(full.preset_split).astype(str) == "test"
    train_rows = np.flatnonzero(~is_test)
    test_rows = np.flatnonzero(is_test)
    folds, recipe, max_rounds = 5, FitRecipe(), 3
    if args.quick:
        train_rows, test_rows = train_rows[:1000], test_rows[:300]
        folds, recipe, max_rounds = 3, FitRecipe(steps=60), 2

    clean = full.y.numpy()[train_rows]
    noisy = flip_labels(clean, rate=0.2, classes=10, seed=args.seed)
    flipped = noisy != clean
    data = full.subset(train_rows)
    from dataclasses import replace

    data = replace(data, y=torch.as_tensor(noisy), preset_split=None)
    print(
        f"MNIST-1D: {len(train_rows)} training examples, {flipped.sum()} labels flipped "
        f"({flipped.mean():.0%}), {len(test_rows)} clean test examples; {folds} folds × "
        f"{recipe.steps} steps",
        flush=True,
    )

    results: dict[str, tuple[float, float, int]] = {}
    confident = ConfidentLearning(folds=folds, recipe=recipe)
    issues = confident.find(data, seed=args.seed)
    results["confident"] = (*precision_recall(issues.mask(), flipped), len(issues.suspects))
    print(f"  confident done ({time.perf_counter() - started:.0f} s)", flush=True)

    iterative = IterativeCleaning(folds=folds, recipe=recipe, max_rounds=max_rounds)
    iterative.first_proba = confident.proba  # round 1 = the same out-of-fold probabilities
    it_issues = iterative.find(data, seed=args.seed)
    results["iterative"] = (*precision_recall(it_issues.mask(), flipped), len(it_issues.suspects))
    rounds = ", ".join(
        f"r{r.round} dev_error={r.dev_error:.4f} flagged={r.flagged}{'' if r.kept else ' (stop)'}"
        for r in it_issues.rounds
    )
    print(f"  iterative done ({time.perf_counter() - started:.0f} s): {rounds}", flush=True)

    # the cluster method in the representation of round 1's out-of-fold models
    cluster = ClusterDisagreement(folds=folds, recipe=recipe)
    cluster.embedding = confident.embedding
    cl_issues = cluster.find(data, seed=args.seed)
    results["cluster"] = (*precision_recall(cl_issues.mask(), flipped), len(cl_issues.suspects))
    print(f"  cluster done ({time.perf_counter() - started:.0f} s)", flush=True)

    best_name = max(results, key=lambda k: min(results[k][0], results[k][1]))
    best_issues = {"confident": issues, "iterative": it_issues, "cluster": cl_issues}[best_name]
    best_proba = {"confident": confident.proba, "iterative": iterative.proba}.get(
        best_name, confident.proba
    )
    cl_p, cl_r = precision_recall(cleanlab_issues(noisy, best_proba), flipped)

    print(f"{'method':<28}{'precision':>10}{'recall':>8}{'suspects':>10}")
    for name, (p, r, k) in results.items():
        print(f"{name:<28}{p:>10.3f}{r:>8.3f}{k:>10d}")
    print(f"{'cleanlab default (same p)':<28}{cl_p:>10.3f}{cl_r:>8.3f}")

    # Retrain on clean / noisy / cleaned labels and score on the clean test set.
    x, y_test = full.x, full.y.numpy()[test_rows]
    y_clean = full.y.clone()
    y_noisy = full.y.clone()
    y_noisy[torch.as_tensor(train_rows)] = torch.as_tensor(noisy)
    kept = train_rows[~best_issues.mask()[: len(train_rows)]]
    acc_clean = test_accuracy(
        x, y_clean, train_rows, test_rows, y_test, recipe=recipe, seed=args.seed
    )
    acc_noisy = test_accuracy(
        x, y_noisy, train_rows, test_rows, y_test, recipe=recipe, seed=args.seed
    )
    acc_cleaned = test_accuracy(x, y_noisy, kept, test_rows, y_test, recipe=recipe, seed=args.seed)
    gap = 100 * (acc_clean - acc_cleaned)
    print(
        f"test accuracy: clean labels {acc_clean:.4f} · noisy labels {acc_noisy:.4f} · "
        f"cleaned by {best_name} ({len(kept)} kept) {acc_cleaned:.4f} · "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    p, r, _ = results[best_name]
    print(
        f"precision={p:.3f} recall={r:.3f} cleaned_accuracy_gap={gap:.2f} "
        f"cleanlab_precision={cl_p:.3f} cleanlab_recall={cl_r:.3f}"
    )


if __name__ == "__main__":
    main()
