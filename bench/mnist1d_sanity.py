"""Sanity of the training knobs on MNIST-1D: the paper's baselines and a CNN with batch norm.

MNIST-1D (Greydanus 2020) reports test accuracies of about 68 % for an MLP and 94 % for a small
CNN; the human expert reaches 95.8 %. This script trains, with orthotune's ``Trainer`` on the
canonical 4000/1000 split (generated offline by the ``mnist1d`` package), and reports the test
accuracy after the last epoch (no selection on the test set):

- ``mlp``:    40 → 100 → 100 → 10 ReLU (He init), Adam α=0.01, mini-batches of 100, 150 epochs
              (the paper's 6000 steps);
- ``cnn``:    the paper's CNN — conv 25×k5/s2, 25×k3/s2, 25×k3/s2 (padding 1), flattened into
              the output layer — same optimizer, 150 epochs;
- ``cnn_bn``: four conv blocks (32·k5, 64·k5+maxpool, 64·k3+maxpool, 64·k3+maxpool) with batch
              norm, a 128-unit dense layer, Adam α=0.003 with cosine decay, 60 epochs.

The peer is the published figure of each baseline (``paper_*`` values printed beside ours).

    python bench/mnist1d_sanity.py           # about 2 minutes on one CPU core
    python bench/mnist1d_sanity.py --quick   # 1000 examples, a few epochs (seconds)

Last line: ``mlp_test_acc=… cnn_test_acc=… cnn_bn_test_acc=… human_test_acc=0.958``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from orthotune.models import ConvBlock, ModelSpec, build_model
from orthotune.train import TrainConfig, Trainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

PAPER = {"mlp": 0.68, "cnn": 0.94}
HUMAN = 0.958

RUNS = {
    "mlp": (
        ModelSpec(input_shape=(1, 40), num_classes=10, hidden=(100, 100)),
        TrainConfig(optimizer="adam", lr=1e-2, batch_size=100, epochs=150),
    ),
    "cnn": (
        ModelSpec(
            kind="cnn1d",
            input_shape=(1, 40),
            num_classes=10,
            conv=(
                ConvBlock(channels=25, kernel=5, stride=2, padding=1),
                ConvBlock(channels=25, kernel=3, stride=2, padding=1),
                ConvBlock(channels=25, kernel=3, stride=2, padding=1),
            ),
            hidden=(),
            global_pool="none",
        ),
        TrainConfig(optimizer="adam", lr=1e-2, batch_size=100, epochs=150),
    ),
    "cnn_bn": (
        ModelSpec(
            kind="cnn1d",
            input_shape=(1, 40),
            num_classes=10,
            batch_norm=True,
            conv=(
                ConvBlock(channels=32, kernel=5),
                ConvBlock(channels=64, kernel=5, pool="max"),
                ConvBlock(channels=64, kernel=3, pool="max"),
                ConvBlock(channels=64, kernel=3, pool="max"),
            ),
            hidden=(128,),
            global_pool="none",
        ),
        TrainConfig(optimizer="adam", lr=3e-3, schedule="cosine", batch_size=100, epochs=60),
    ),
}


def load(quick: bool):
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if quick:
        args.num_samples = 1000
    d = make_dataset(args)
    as_x = lambda a: torch.tensor(a, dtype=torch.float32)[:, None]  # noqa: E731  [n, 1, 40]
    return (
        as_x(d["x"]),
        torch.tensor(d["y"], dtype=torch.long),
        as_x(d["x_test"]),
        torch.tensor(d["y_test"], dtype=torch.long),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1000 examples, a few epochs")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine_header(), flush=True)  # the README: every bench prints it first
    x, y, xt, yt = load(args.quick)
    print(f"MNIST-1D train {len(y)} test {len(yt)}, torch {torch.__version__}")
    accuracy = {}
    for name, (spec, config) in RUNS.items():
        if args.quick:
            config = config.model_copy(update={"epochs": 3})
        torch.manual_seed(args.seed)
        model = build_model(spec)
        t0 = time.perf_counter()
        trainer = Trainer(config, device=args.device, seed=args.seed)
        result = trainer.fit(model, (x, y))
        _, test_error = trainer.evaluate(model, (xt, yt))
        accuracy[name] = 1 - test_error
        paper = f" (paper {PAPER[name]:.0%})" if name in PAPER else f" (human {HUMAN:.1%})"
        print(
            f"{name}: test accuracy {accuracy[name]:.1%}{paper}, train error "
            f"{result.train_error:.1%}, {result.epochs_run} epochs in "
            f"{time.perf_counter() - t0:.0f} s; "
            f"config {config.model_dump_json(exclude_defaults=True)}"
        )
    print(
        " ".join(f"{k}_test_acc={v:.3f}" for k, v in accuracy.items()) + f" human_test_acc={HUMAN}"
    )


if __name__ == "__main__":
    main()
