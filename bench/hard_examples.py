"""Hard examples weighted higher: the focal loss's γ on the development sets, dev error first.

For each data set, the autopilot's starting model for its shape (``orthotune.autopilot
.baseline``: a batch-norm CNN for MNIST-1D, an MLP for vectors) is trained with the focal loss
(1 − p_t)^γ·cross-entropy for each γ, every other setting held, all γ of one seed at once as
one population (the same initial weights and mini-batches), on the split the tool makes; the
train and dev errors are read after training (the test set is not touched). This is the
measurement behind the values the autopilot's ``hard_examples`` knob tries
(``autopilot/_variants.py``).

    python bench/hard_examples.py            # breast-cancer, synthetic, digits, MNIST-1D
    python bench/hard_examples.py --quick    # breast-cancer only, 1 seed, 5 epochs (seconds)

Last line: ``<data>_g<γ>_dev_error=…`` for each data set and γ (medians over the seeds) and the
same for ``train_error``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch

from orthotune.data import load_dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.fit import baseline
from orthotune.population import Population, fit_population

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

GAMMAS = (0.0, 0.5, 1.0, 2.0, 5.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="breast-cancer, 1 seed, 5 epochs")
    parser.add_argument("--seeds", type=int, default=2, help="split and initialization seeds")
    parser.add_argument(
        "--hidden", type=int, default=None, help="one dense layer of this width instead (bias)"
    )
    parser.add_argument(
        "--sets",
        default="breast-cancer,synthetic?n=3000&noise=0.05,digits,mnist1d",
        help="comma-separated built-ins",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(machine_header(), flush=True)  # the README: every bench prints it first
    sets = ["breast-cancer"] if args.quick else args.sets.split(",")
    seeds = [0] if args.quick else list(range(args.seeds))
    figures: dict[str, float] = {}
    for name in sets:
        ds = load_dataset(f"builtin:{name}")
        per: dict[tuple[str, float], list[float]] = {}
        for seed in seeds:
            data = prepare(ds, make_split(ds, seed=seed))
            spec, config = baseline(ds.input_shape, ds.num_classes)
            if args.hidden is not None:  # a too-small model: a case of avoidable bias
                spec = spec.model_copy(update={"hidden": (args.hidden,)})
            if args.quick:
                config = config.model_copy(update={"epochs": 5})
            configs = [config.model_copy(update={"focal_gamma": g}) for g in GAMMAS]
            tr, dv = data.train, data.dev
            population = Population(spec, configs, num_examples=len(tr), seeds=[seed] * len(GAMMAS))
            fit_population(population, (tr.x, tr.y, tr.weights), shared_batches=True, seed=seed)
            for i, g in enumerate(GAMMAS):
                model = population.export(i)
                with torch.no_grad():
                    for part, p in (("train", tr), ("dev", dv)):
                        wrong = (model(p.x).argmax(1) != p.y).float().mean().item()
                        per.setdefault((part, g), []).append(wrong)
            print(
                f"{name} seed {seed}: "
                + ", ".join(
                    f"γ={g:g} train {per[('train', g)][-1]:.4f} dev {per[('dev', g)][-1]:.4f}"
                    for g in GAMMAS
                ),
                flush=True,
            )
        for (part, g), values in per.items():
            key = name.split("?")[0]
            figures[f"{key}_g{g:g}_{part}_error"] = statistics.median(values)
    print(" ".join(f"{k}={v:.4f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
