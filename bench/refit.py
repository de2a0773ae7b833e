"""Should ``tune --refit`` be the autopilot's default? Measured on dev data only.

For each development set with enough data to refit (under 2,000 training examples the
autopilot cross-validates and ``--refit`` has nothing to do) and each seed: the suite's split
of the set (orthotune's split policy, that seed) gives train / dev / test, and **the test part
is never read**. The train part is split again, 75 / 25 and stratified, into an inner train and
an inner dev set; the autopilot runs on those with a count budget (models, so the figures do
not depend on the machine's load), once as it is and once with ``--refit`` (the same seed makes
the same decisions), and the outer dev set — which neither run saw — is its test set and judges
both. The refit model learned from a third more examples; the question is whether that beats
the model its decisions were measured on.

    python bench/refit.py                      # MNIST-1D and synthetic, 3 seeds
    python bench/refit.py --sets synthetic --seeds 1 --models 8

Prints one row per set and seed, then ``refit_mean_delta=… refit_min_delta=… refit_wins=K/N``
(dev accuracy with refit − without, as fractions).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

SETS = {
    "mnist1d": "builtin:mnist1d",
    "synthetic": "builtin:synthetic?n=6000&classes=4&features=20&noise=0.05",
}


def inner_split(y: np.ndarray, seed: int, dev_share: float = 0.25) -> np.ndarray:
    """``train`` / ``dev`` per example: ``dev_share`` of each class to dev (stratified)."""
    rng = np.random.default_rng(seed)
    out = np.full(len(y), "train", dtype=object)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        out[idx[: round(dev_share * len(idx))]] = "dev"
    return out


def write_inner(source: str, seed: int, folder: Path) -> Path:
    """An ``.npz`` of the outer train + dev parts, with a ``split`` array: inner train and
    inner dev from the outer train part, ``test`` for the outer dev part. No outer test row."""
    from orthotune.data import load_dataset, make_split

    ds = load_dataset(source)
    split = make_split(ds, seed=seed)
    x, y = ds.x.numpy(), ds.y.numpy()
    train, dev = np.asarray(split.train), np.asarray(split.dev)
    parts = np.concatenate([inner_split(y[train], seed), np.full(len(dev), "test", dtype=object)])
    path = folder / f"{source.split(':')[1].split('?')[0]}-{seed}.npz"
    keep = np.concatenate([train, dev])
    np.savez(path, x=x[keep], y=y[keep], split=parts.astype(str))
    return path


def measure(source: str, seed: int, models: int, folder: Path) -> tuple[float, float]:
    """Outer-dev accuracy of the autopilot's model without and with ``--refit``."""
    import orthotune

    data = write_inner(source, seed, folder)
    accs = []
    for refit in (False, True):
        out = folder / f"{data.stem}-refit{int(refit)}"
        summary = orthotune.tune(
            str(data),
            trials=models,
            seed=seed,
            refit=refit,
            out=out,
            device="cpu",
            write_report=False,
            keep=1,
        )
        accs.append(summary.test_metrics["accuracy"])
    return accs[0], accs[1]


def summarize(deltas: list[float]) -> str:
    wins = sum(d > 0 for d in deltas)
    return (
        f"refit_mean_delta={statistics.mean(deltas):.4f} refit_min_delta={min(deltas):.4f} "
        f"refit_wins={wins}/{len(deltas)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--models", type=int, default=12, help="the autopilot's count budget")
    args = ap.parse_args()
    print(machine_header(), flush=True)
    deltas = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            for seed in range(args.seeds):
                plain, refit = measure(SETS[name], seed, args.models, Path(tmp))
                deltas.append(refit - plain)
                change = 100 * (refit - plain)
                print(
                    f"{name} seed {seed}: outer dev accuracy {100 * plain:.2f} % as chosen, "
                    f"{100 * refit:.2f} % refit on inner train + dev ({change:+.2f})",
                    flush=True,
                )
    print(summarize(deltas))


if __name__ == "__main__":
    main()
