"""Standardized or binned inputs for the starting MLP? Measured on dev data only.

The autopilot's step 0 trains its default MLP (``orthotune.fit.baseline``) on feature vectors
twice: on the standardized features, and on the standardized features beside ``T`` quantile-bin
components each (``orthotune.data.Bins``); it keeps the one with the lower dev error. This bench
measures both encodings (and T = 8, 16, 32, 64) on the development group's vector and table sets
(``bench/datasets.yaml``), with a gradient-boosting reference beside them:

- the starting MLP, trained with several seeds, scored 5-fold out of fold over train + dev (the
  way the autopilot scores small data), each encoding's statistics and bins fitted on the
  split's train part, as ``prepare`` fits them for the autopilot;
- ``HistGradientBoostingClassifier()`` on the same pool and the same folds (the raw features).

**The test sets are never scored.** Budgets are epochs, so the figures do not depend on the
machine's load.

    python bench/encoding.py                          # every development table, T = 8, 16, 32, 64
    python bench/encoding.py --sets creditcard --bins 8 --seeds 2
    python bench/encoding.py --quick                  # wine, 1 seed, the default bins (seconds)

Prints one row per set (median out-of-fold accuracy over the seeds), then
``sets=N binned_better=K mean_binned_minus_standard=D mean_chosen_minus_hgb=E``: for the
default T (``INPUT_BINS``), how many sets the binned inputs won, the mean difference of the
medians, and the mean gap of the better of the two encodings to the gradient-boosting reference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from suite import materialize, read_datasets

from orthotune.autopilot._loop import INPUT_BINS
from orthotune.data import load_dataset, make_split, prepare, stratified_folds
from orthotune.fit import Candidate, baseline, train_candidates

FOLDS = 5
SETS = (
    "breast_cancer", "wine", "synthetic", "breast_cancer_nan",
    "creditcard", "hpc_data", "attrition", "oj",
)  # fmt: skip


def _pooled(data):
    pool = data.train.join(data.dev)
    return replace(data, train=pool, dev=pool)


def hgb_accuracy(ds, split, seed: int) -> float:
    """The gradient-boosting reference, out of fold on the same pool and folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    rows = np.concatenate([split.train, split.dev])
    x, y = ds.x.numpy()[rows], ds.y.numpy()[rows]
    fold_of = stratified_folds(y, folds=FOLDS, seed=seed)
    pred = np.empty(len(y), dtype=np.int64)
    for k in range(FOLDS):
        hgb = HistGradientBoostingClassifier(random_state=seed)
        pred[fold_of == k] = hgb.fit(x[fold_of != k], y[fold_of != k]).predict(x[fold_of == k])
    return float((pred == y).mean())


def measure(
    name: str, seeds: int, bins: list[int], cache: Path, points: int = 0
) -> dict[str, list[float]]:
    """Out-of-fold accuracies per encoding: ``standard``, ``bins<T>`` per T of ``bins`` and,
    with ``points`` = T, ``points<T>`` (T bins and the shared values' indicators; the bins'
    figures where the table has no shared values to mark: the same inputs)."""
    entry = {d.name: d for d in read_datasets()}[name]
    m = materialize(entry, seed=0, cache=cache)
    ds = load_dataset(m.spec, m.options)
    split = make_split(ds, seed=0)  # the split column's
    out = {"hgb": [hgb_accuracy(ds, split, 0)]}
    encodings = [(f"bins{c}" if c else "standard", c, False) for c in [0, *bins]]
    for tag, count, marked in encodings + ([(f"points{points}", points, True)] if points else []):
        prepared = prepare(ds, split, bins=count, points=marked)
        if marked and not any(len(p) for p in prepared.normalizer.bins.points):
            out[tag] = out[f"bins{count}"]
            continue
        data = _pooled(prepared)
        spec, config = baseline(tuple(data.train.x.shape[1:]), ds.num_classes)
        cands = [Candidate(f"{tag}/{s}", spec, config, seed=s) for s in range(seeds)]
        results = train_candidates(cands, data, folds=FOLDS, fold_seed=0)
        out[tag] = [1.0 - r.error("dev") for r in results if not r.failed]
    return out


def summarize(
    medians: dict[str, dict[str, float]], default: str, points: str | None = None
) -> dict[str, float]:
    """The last line's figures from each set's median accuracy per encoding (``standard``,
    ``default``, and ``points`` when measured) and ``hgb``: the chosen encoding is the better
    of the two (of the three with ``points``), as step 0 keeps the one with the lower dev error."""
    deltas = [m[default] - m["standard"] for m in medians.values()]
    out = {
        "sets": float(len(medians)),
        "binned_better": float(sum(d > 0 for d in deltas)),
        "mean_binned_minus_standard": statistics.mean(deltas),
        "mean_chosen_minus_hgb": statistics.mean(
            max(m[default], m["standard"]) - m["hgb"] for m in medians.values()
        ),
    }
    if points is not None:
        two = [max(m[default], m["standard"]) for m in medians.values()]
        three = [max(m[default], m["standard"], m[points]) for m in medians.values()]
        out["points_better"] = float(sum(c > t for c, t in zip(three, two, strict=True)))
        out["mean_points_minus_binned"] = statistics.mean(
            m[points] - m[default] for m in medians.values()
        )
        out["mean_chosen3_minus_hgb"] = statistics.mean(
            c - m["hgb"] for c, m in zip(three, medians.values(), strict=True)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--bins", default="8,16,32,64")
    ap.add_argument("--quick", action="store_true", help="wine, 1 seed, the default bins")
    ap.add_argument(
        "--points", action="store_true", help="also the default bins with shared values marked"
    )
    args = ap.parse_args()
    if args.quick:
        args.sets, args.seeds, args.bins = "wine", 1, str(INPUT_BINS)
    bins = [int(b) for b in args.bins.split(",")]
    if args.points and INPUT_BINS not in bins:  # the points' encoding adds to those bins
        bins.append(INPUT_BINS)
    default = f"bins{INPUT_BINS}" if INPUT_BINS in bins else f"bins{bins[0]}"
    print(machine_header())
    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            scores = measure(name, args.seeds, bins, Path(tmp), INPUT_BINS * args.points)
            medians[name] = {k: statistics.median(v) for k, v in scores.items()}
            cells = "  ".join(f"{k} {100 * v:.2f} %" for k, v in medians[name].items())
            print(f"{name:<18} out-of-fold accuracy  {cells}", flush=True)
    s = summarize(medians, default, f"points{INPUT_BINS}" if args.points else None)
    counts = ("sets", "binned_better", "points_better")
    print(" ".join(f"{k}={v:.0f}" if k in counts else f"{k}={v:.4f}" for k, v in s.items()))


if __name__ == "__main__":
    main()
