"""Are the starting models' defaults the best choice? Measured on dev data only.

The autopilot's step 0 (``orthotune.fit.baseline``: per data shape, an MLP or a small CNN
trained with AdamW at a peak α0 = 6·10⁻³ on a one-cycle schedule, the lecture's L2 λ = 30,
batches of 128, 30 epochs; CNNs pool only inputs of more than 64 positions) against the
alternatives it was chosen over (and, for CNNs, the same model trained in bfloat16: the
autopilot trains in float32 unless asked), on the built-in sets of the benchmark suite's development
group (``bench/datasets.yaml``). Every configuration is trained with 3 seeds on the same split
(seed 0) and scored the way the autopilot scores it: on the dev set, or out of fold (5 folds
over train + dev) when there are fewer than 2,000 training examples. **The test set is never
scored.** Budgets are epochs, so the accuracies do not depend on the machine's load. Each model
trains alone (the sequential executor), so its seconds are its own: the row's median seconds
say what a configuration costs on this machine (bfloat16 against float32, say).

    python bench/defaults.py                 # 4 sets × 3-4 configurations × 3 seeds
    python bench/defaults.py --sets builtin:breast-cancer --seeds 1
    python bench/defaults.py --sets ames,oj  # the suite's development sets, by name

A name without ``builtin:`` is a set of ``bench/datasets.yaml``'s development group, read as the
suite reads it (its split column); a held-out set is refused: it never chooses anything.

Prints one row per set and configuration (median dev accuracy over the seeds, and each seed;
median seconds per model), then ``defaults_hold=K/N``: on how many sets the default's median is
within ``TIE`` of the best configuration's (a tie within the noise of a few hundred dev
examples keeps the default), and ``mean_gain_<alternative>=``: the alternative's median minus
the default's, averaged over the sets (above 0: better on average; one set's median of three
seeds moves by tenths of a point, the mean over many sets much less).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header
from suite import materialize, read_datasets

from orthotune.data import load_dataset, make_split, prepare
from orthotune.fit import Candidate, baseline, train_candidates
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig

SETS = (
    "builtin:mnist1d",
    "builtin:digits",
    "builtin:breast-cancer",
    "builtin:synthetic?n=6000&classes=4&features=20&noise=0.05",
)
TIE = 0.003  # 0.3 points
SMALL = 2000  # the autopilot's small_data: fewer training examples → 5-fold out of fold


def alternatives(spec: ModelSpec, config: TrainConfig) -> dict[str, tuple[ModelSpec, TrainConfig]]:
    """The default and what it was chosen over (module docstring)."""
    out = {
        "default": (spec, config),
        "adam_3e-3": (
            spec,
            config.model_copy(update={"optimizer": "adam", "lr": 3e-3, "l2": 0.0}),
        ),
        "no_l2": (spec, config.model_copy(update={"l2": 0.0})),
    }
    if spec.kind == "mlp":
        out["mlp_256"] = (spec.model_copy(update={"hidden": (256, 256)}), config)
    elif not any(b.pool == "max" for b in spec.conv):  # the default does not pool this input
        pooled = tuple(
            b.model_copy(update={"pool": "max"}) if i in (1, 2) else b
            for i, b in enumerate(spec.conv)
        )
        out["pool"] = (spec.model_copy(update={"conv": pooled}), config)
    if spec.kind != "mlp":  # the autopilot's float32 (``AutopilotSettings.precision``)
        out["bf16"] = (spec, config.model_copy(update={"precision": "bf16"}))
    return out


def load(name: str, cache: Path):
    """A ``builtin:`` spec, or a development set of ``bench/datasets.yaml`` by its name."""
    if name.startswith("builtin:"):
        return load_dataset(name)
    entries = {d.name: d for d in read_datasets()}
    if name not in entries:
        raise SystemExit(f"--sets {name!r}: no such set; named sets: {', '.join(entries)}")
    if entries[name].group != "development":
        raise SystemExit(f"--sets {name!r}: a held-out set chooses nothing; name a development set")
    m = materialize(entries[name], seed=0, cache=cache)
    return load_dataset(m.spec, m.options)


def measure(
    name: str, seeds: int, cache: Path
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Dev accuracies and training seconds per configuration, one entry per seed."""
    ds = load(name, cache)
    data = prepare(ds, make_split(ds, seed=0))  # a named set: its split column's
    folds = None
    if data.train_dev is None and len(data.train) < SMALL:
        pool = data.train.join(data.dev)
        data, folds = replace(data, train=pool, dev=pool), 5
    spec, config = baseline(ds.input_shape, ds.num_classes)
    configs = alternatives(spec, config)
    cands = [
        Candidate(f"{label}/{s}", sp, cf, seed=s)
        for label, (sp, cf) in configs.items()
        for s in range(seeds)
    ]
    # each its own precision, each model alone (its seconds its own)
    results = train_candidates(cands, data, executor="sequential", folds=folds, fold_seed=0)
    out: dict[str, list[float]] = {label: [] for label in configs}
    seconds: dict[str, list[float]] = {label: [] for label in configs}
    for r in results:
        if r.failed or r.model is None:
            continue
        label = r.candidate.name.split("/")[0]
        out[label].append(1.0 - r.error("dev"))
        seconds[label].append(r.seconds)
    return out, seconds


def holds(scores: dict[str, list[float]]) -> bool:
    """The default's median dev accuracy is within ``TIE`` of the best configuration's."""
    med = {k: statistics.median(v) for k, v in scores.items() if v}
    return "default" in med and med["default"] >= max(med.values()) - TIE


def mean_gains(per_set: list[dict[str, list[float]]]) -> dict[str, float]:
    """Per alternative, the mean over sets of its median dev accuracy minus the default's (on the
    sets where both trained): above 0, the alternative did better on average."""
    gains: dict[str, list[float]] = {}
    for scores in per_set:
        if not scores.get("default"):
            continue
        base = statistics.median(scores["default"])
        for label, accs in scores.items():
            if label != "default" and accs:
                gains.setdefault(label, []).append(statistics.median(accs) - base)
    return {label: statistics.mean(d) for label, d in gains.items()}


def report(name: str, scores: dict[str, list[float]], seconds: dict[str, list[float]]) -> bool:
    """One row per configuration; whether the default holds on this set."""
    for label, accs in scores.items():
        each = " / ".join(f"{100 * a:.2f}" for a in accs)
        med = 100 * statistics.median(accs) if accs else float("nan")
        secs = statistics.median(seconds[label]) if accs else float("nan")
        print(
            f"{name}  {label:<10} dev accuracy {med:.2f} % ({each}), {secs:.1f} s a model",
            flush=True,
        )
    return holds(scores)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print(machine_header())
    kept, per_set = 0, []
    sets = args.sets.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        for name in sets:
            scores, seconds = measure(name, args.seeds, Path(tmp))
            kept += report(name, scores, seconds)
            per_set.append(scores)
    gains = " ".join(f"mean_gain_{k}={v:.4f}" for k, v in mean_gains(per_set).items())
    print(f"defaults_hold={kept}/{len(sets)} {gains}")


if __name__ == "__main__":
    main()
