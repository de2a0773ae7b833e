"""How should the starting model fill missing values? Measured on dev data only.

``--impute auto`` keeps a 0/1 "was missing" column beside each numeric column with gaps and
leaves the NaN for the normalizer to fill (``orthotune.data.Normalizer``). Two fills are compared,
each fitted on the split's training rows:

- ``median``: each feature's training median (the bench fills it before orthotune sees the data);
- ``conditional``: the normalizer's own fill, the Gaussian conditional mean of the missing entries
  given the row's observed ones.

On the development group's table sets with values blanked at random (``bench/datasets.yaml``'s
``breast_cancer_nan``, and the same planting at other rates on ``breast_cancer`` and ``wine``),
the autopilot's starting model (``orthotune.fit.baseline``) is trained with several seeds and
scored the way the autopilot scores small data: 5-fold out of fold over train + dev. **The test
set is never scored.** Budgets are epochs, so the figures do not depend on the machine's load.

    python bench/impute.py                  # 5 sets × 2 fills × 5 seeds
    python bench/impute.py --sets wine@0.1 --seeds 2

Prints one row per set and fill (median out-of-fold accuracy over the seeds, and each seed), then
``conditional_minus_median=D``: the mean over sets of the difference of the two medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from suite import DataSet, materialize

from orthotune.data import load_dataset, make_split, prepare
from orthotune.fit import Candidate, baseline, train_candidates

SETS = ("breast_cancer@0.1", "breast_cancer@0.3", "wine@0.1", "wine@0.3", "digits@0.1")
FOLDS = 5


def planted(name: str) -> DataSet:
    """``NAME@RATE`` → the scikit-learn table NAME with RATE of its feature values blanked."""
    set_name, _, rate = name.partition("@")
    return DataSet(
        name=f"{set_name}_nan{rate}",
        group="development",
        source=f"sklearn:{set_name}",
        target="target",
        plant_nan=float(rate),
    )


def median_filled(x: torch.Tensor, train: np.ndarray) -> torch.Tensor:
    """NaN → the training rows' median of its feature (the fill the normalizer used to use)."""
    values = x.numpy().copy()
    with np.errstate(all="ignore"):
        median = np.nan_to_num(np.nanmedian(values[train], axis=0), nan=0.0)
    return torch.from_numpy(np.where(np.isnan(values), median, values).astype(np.float32))


def measure(name: str, seeds: int, cache: Path) -> dict[str, list[float]]:
    m = materialize(planted(name), seed=0, cache=cache)
    ds = load_dataset(m.spec, m.options)
    split = make_split(ds, seed=0)  # the split column's
    spec, config = baseline(ds.input_shape, ds.num_classes)
    out: dict[str, list[float]] = {}
    for fill in ("median", "conditional"):
        source = ds if fill == "conditional" else replace(ds, x=median_filled(ds.x, split.train))
        data = prepare(source, split)
        pool = data.train.join(data.dev)
        data = replace(data, train=pool, dev=pool)
        cands = [Candidate(f"{fill}/{s}", spec, config, seed=s) for s in range(seeds)]
        results = train_candidates(cands, data, folds=FOLDS, fold_seed=0)
        out[fill] = [1.0 - r.error("dev") for r in results if not r.failed]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    print(machine_header())
    deltas = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            scores = measure(name, args.seeds, Path(tmp))
            for fill, accs in scores.items():
                each = " / ".join(f"{100 * a:.2f}" for a in accs)
                med = 100 * statistics.median(accs)
                print(f"{name}  {fill:<11} out-of-fold accuracy {med:.2f} % ({each})", flush=True)
            deltas.append(
                statistics.median(scores["conditional"]) - statistics.median(scores["median"])
            )
    print(f"conditional_minus_median={statistics.mean(deltas):.4f}")


if __name__ == "__main__":
    main()
