"""How low MNIST-1D's error goes with its 4,000 training examples, and how typical its
canonical test set is. Chooses nothing: it says what the autopilot issue's "median ≥ 99.5 % on
the canonical test set and on a freshly generated one" asks of a model.

The autopilot's split (seed 0: 3,000 train, 1,000 dev; the canonical 1,000 test examples
apart), three configurations the autopilot's knobs reach — the default CNN (``fit.baseline``),
the same trained 3× as long (``train_longer``), and 2× as wide and 3× as long
(``bigger_network`` then ``train_longer``) — each with seeds 0–2, no time limit, float32. Each
configuration is scored alone (the median over its seeds) and as the ensemble of its seeds
(probabilities averaged) on dev, on the canonical test set and on a fresh one (5,000 examples,
the generator with seed 1, as ``bench/suite.py`` makes it). The test sets only report.

    python bench/mnist1d_ceiling.py                       # 9 models, ~6 minutes on 1 thread
    python bench/mnist1d_ceiling.py --seeds 1 --epochs 1  # the test suite's run

Two rows per configuration (alone, ensembled), then ``best_dev_error=… best_fresh_error=…
default_dev_error=… default_canonical_error=… default_fresh_error=…`` (error rates as
fractions; "best" is the lowest dev error over every row, alone or ensembled, and that row's
fresh error).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from suite import fresh_mnist1d

from orthotune.data import load_dataset, make_split, prepare
from orthotune.fit import Candidate, baseline, train_candidates


def configurations(epochs: int):
    spec, config = baseline((1, 40), 10)
    config = config.model_copy(update={"epochs": epochs})
    wide = spec.model_copy(
        update={"conv": tuple(b.model_copy(update={"channels": 2 * b.channels}) for b in spec.conv)}
    )
    longer = config.model_copy(update={"epochs": 3 * config.epochs})
    return {
        "default": (spec, config),
        "3x epochs": (spec, longer),
        "2x wide, 3x epochs": (wide, longer),
    }


@torch.no_grad()
def probabilities(model, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    return torch.softmax(model(x).float(), dim=1)


def error(probs: torch.Tensor, y: torch.Tensor) -> float:
    return int((probs.argmax(1) != y).sum()) / len(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "orthotune-suite")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30, help="the default's (30); 3x for the rest")
    args = ap.parse_args()
    print(machine_header())
    ds = load_dataset("builtin:mnist1d")
    data = prepare(ds, make_split(ds, seed=0))
    path, _ = fresh_mnist1d(args.cache)
    with np.load(path) as npz:
        fresh_x = data.normalizer.apply(torch.from_numpy(npz["x"]))
        fresh_y = torch.from_numpy(npz["y"])
    parts = {
        "dev": (data.dev.x, data.dev.y),
        "canonical": (data.test.x, data.test.y),
        "fresh": (fresh_x, fresh_y),
    }
    configs = configurations(args.epochs)
    cands = [
        Candidate(f"{label}/{s}", spec, config, seed=s)
        for label, (spec, config) in configs.items()
        for s in range(args.seeds)
    ]
    trained = train_candidates(cands, data, executor="sequential", device="cpu")
    rows = {}
    for label in configs:
        models = [t.model for t in trained if t.candidate.name.startswith(f"{label}/")]
        probs = {p: [probabilities(m, x) for m in models] for p, (x, _) in parts.items()}
        alone = {p: statistics.median(error(q, parts[p][1]) for q in probs[p]) for p in parts}
        ens = {p: error(torch.stack(probs[p]).mean(0), parts[p][1]) for p in parts}
        rows[label], rows[f"{label}, ensemble of {args.seeds}"] = alone, ens
        seconds = statistics.median(
            t.seconds for t in trained if t.candidate.name.startswith(f"{label}/")
        )
        for name, e in ((label, alone), (f"{label}, ensemble of {args.seeds}", ens)):
            print(
                f"{name:<32} error: dev {100 * e['dev']:.2f} %, canonical test "
                f"{100 * e['canonical']:.2f} %, fresh test {100 * e['fresh']:.2f} % "
                f"({seconds:.1f} s a model)",
                flush=True,
            )
    best = min(rows.values(), key=lambda e: e["dev"])
    d = rows["default"]
    print(
        f"best_dev_error={best['dev']:.4f} best_fresh_error={best['fresh']:.4f} "
        f"default_dev_error={d['dev']:.4f} default_canonical_error={d['canonical']:.4f} "
        f"default_fresh_error={d['fresh']:.4f}"
    )


if __name__ == "__main__":
    main()
