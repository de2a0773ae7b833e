"""Attribution benchmark: which method's most attributed inputs does the prediction rest on?

Set-up (a development set only): ``orthotune train builtin:mnist1d`` — the batch-norm CNN of
``--arch cnn1d`` with Adam at 0.003 — for ``--epochs`` epochs (default 10), then on its dev
examples (1000; none is the test set) each method of ``orthotune.analysis`` attributes the
predicted class, and the deletion test (``deletion_test``) sets the most attributed values to
the baseline (the training mean) first, 5 % of the signal at a time, following the predicted
class's probability. The smaller the area under that curve, the better the method names what
the prediction rests on. Reported for every dev example and for the misclassified ones alone
(what ``orthotune errors --saliency`` shows). A random ranking is the floor to beat.

    python bench/attribution.py            # 10 epochs, the 1000 dev examples (about a minute)
    python bench/attribution.py --quick    # 1 epoch, 200 dev examples (seconds)

Last line: ``integrated_gradients=… input_x_gradient=… random=… winner=…
integrated_gradients_wrong=… input_x_gradient_wrong=… wrong=…`` (areas; lower wins).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from orthotune.analysis import ATTRIBUTION_METHODS, attribute, deletion_test
from orthotune.train import load_predictor, predict_logits, prepare_inputs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 epoch, 200 dev examples")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(machine_header(), flush=True)  # the README: every bench prints it first
    epochs = 1 if args.quick else args.epochs
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        command = [
            sys.executable,
            "-m",
            "orthotune",
            "train",
            "builtin:mnist1d",
            "--arch",
            "cnn1d",
            "--batch-norm",
            "--optimizer",
            "adam",
            "--lr",
            "0.003",
            "--epochs",
            str(epochs),
            "--seed",
            str(args.seed),
            "--out",
            str(run),
            "--json",
        ]
        subprocess.run(command, check=True, capture_output=True)
        predictor = load_predictor(run)
        inputs = prepare_inputs(predictor, "builtin:mnist1d")
    dev = np.flatnonzero(inputs.split == "dev")
    if args.quick:
        dev = dev[:200]
    model = predictor.model
    x = inputs.x[dev]
    names = list(predictor.manifest.class_names)
    y = np.array([names.index(str(v)) for v in inputs.y_true[dev]])
    pred = predict_logits(model, x).argmax(1)
    wrong = np.flatnonzero(pred.numpy() != y)
    print(
        f"MNIST-1D dev: {len(dev)} examples, {len(wrong)} misclassified "
        f"({100 * len(wrong) / len(dev):.1f} %) after {epochs} epochs"
    )
    found = {m: attribute(model, x, pred, method=m) for m in ATTRIBUTION_METHODS}
    found["random"] = torch.rand(x.shape, generator=torch.Generator().manual_seed(args.seed))
    every = deletion_test(model, x, pred, found)
    rows = torch.as_tensor(wrong)
    mistakes = deletion_test(model, x[rows], pred[rows], {m: a[rows] for m, a in found.items()})
    print(f"{'method':<24}{'area, all dev':>15}{'area, misclassified':>22}")
    for m in found:
        print(f"{m:<24}{every.area[m]:>15.3f}{mistakes.area[m]:>22.3f}")
    print("curves (mean probability of the predicted class, 0 … 100 % deleted by 5 %):")
    for m, curve in every.curves.items():
        print(f"  {m:<22} " + " ".join(f"{v:.2f}" for v in curve))
    winner = min(ATTRIBUTION_METHODS, key=every.area.__getitem__)
    print(
        " ".join(
            [
                *(f"{m}={every.area[m]:.3f}" for m in found),
                f"winner={winner}",
                *(f"{m}_wrong={mistakes.area[m]:.3f}" for m in ATTRIBUTION_METHODS),
                f"wrong={len(wrong)}",
            ]
        )
    )


if __name__ == "__main__":
    main()
