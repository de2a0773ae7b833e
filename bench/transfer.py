"""Transfer-learning benchmark: pretrain on one MNIST-1D variant, fine-tune on a few hundred
examples of another, against training the same network from scratch on those examples.

Set-up (every model through ``orthotune train`` as a user runs it, CPU, 1 thread):
- source: the ``mnist1d`` package's generator with its default arguments but ``seed=1`` (not
  the built-in's 42): 4000 training / 1000 dev examples; a batch-norm CNN
  (``--arch cnn1d --batch-norm``) is pretrained on it;
- target: another variant — ``seed=7``, stronger shear (1.2 instead of 0.75), more correlated
  noise (0.4 instead of 0.25) and a larger scale range (0.6 instead of 0.4): ``--train``
  examples (300) to learn from, 1000 dev and 1000 test examples;
- on the target's few training examples, three models with the same epochs and learning rate:
  from scratch (the same architecture), ``--init-from`` the pretrained run (every layer
  trained), and ``--init-from … --freeze features`` (only the output layer trained).
Models are compared on the dev set; the test set scores the one the dev set picks, once.

    python bench/transfer.py            # 3 seeds (a few minutes)
    python bench/transfer.py --quick    # 1 seed, small source, short training (plumbing, ~40 s)

Last line: ``scratch_dev_error=… transfer_dev_error=… frozen_dev_error=… chosen=…
chosen_test_error=…`` (medians over the seeds; errors as fractions).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

SOURCE = {"seed": 1}
TARGET = {"seed": 7, "shear_scale": 1.2, "corr_noise_scale": 0.4, "scale_coeff": 0.6}


def variant(n: int, **changes) -> tuple[np.ndarray, np.ndarray]:
    """``n`` MNIST-1D examples ``x [n, 1, 40]``, ``y [n]`` from the generator with ``changes``."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = n
    for key, value in changes.items():
        setattr(args, key, value)
    data = make_dataset(args)  # its own train/test parts: both used, our split comes later
    x = np.concatenate([data["x"], data["x_test"]]).astype(np.float32)[:, None, :]
    return x, np.concatenate([data["y"], data["y_test"]]).astype(np.int64)


def write_npz(path: Path, x: np.ndarray, y: np.ndarray, sizes: dict[str, int]) -> Path:
    """``x``, ``y`` and a ``split`` array: the first sizes["train"] rows train, then dev, …"""
    split = np.concatenate([np.full(k, name) for name, k in sizes.items()])
    n = len(split)
    np.savez(path, x=x[:n], y=y[:n].astype(str), split=split)
    return path


def orthotune_train(*args: str) -> dict:
    """``orthotune train ARGS --json`` in a new process; its summary."""
    done = subprocess.run(
        [sys.executable, "-m", "orthotune", "train", *args, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if done.returncode != 0:
        raise SystemExit(f"orthotune train {' '.join(args)} failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, small, short")
    parser.add_argument("--train", type=int, default=300, help="target training examples")
    args = parser.parse_args()
    print(machine_header(), flush=True)  # the README: every bench prints it first
    seeds = [0] if args.quick else [0, 1, 2]
    # --quick is plumbing (the test suite runs it): 1500 examples and 5 + 15 epochs took 57 s
    # of the suite's 2 workers (2026-12-07)
    source_n = 800 if args.quick else 5000
    pre_epochs, epochs = (3, 8) if args.quick else (15, 40)
    rows: dict[str, list[float]] = {"scratch": [], "transfer": [], "frozen": []}
    picks: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        x, y = variant(source_n, **SOURCE)
        n_dev = source_n // 5
        source = write_npz(
            work / "source.npz", x, y, {"train": source_n - n_dev, "dev": n_dev, "test": 0}
        )
        x, y = variant(args.train + 2000, **TARGET)
        target = write_npz(
            work / "target.npz", x, y, {"train": args.train, "dev": 1000, "test": 1000}
        )
        common = ["--epochs", str(epochs), "--lr", "0.003", "--batch-size", "32"]
        for seed in seeds:
            pre = work / f"pre{seed}"
            base = ["--arch", "cnn1d", "--batch-norm"]
            s = ["--seed", str(seed)]
            pretrained = orthotune_train(
                str(source), *base, "--epochs", str(pre_epochs), "--out", str(pre), *s
            )
            runs = {
                "scratch": orthotune_train(
                    str(target), *base, *common, "--out", str(work / f"scratch{seed}"), *s
                ),
                "transfer": orthotune_train(
                    str(target),
                    "--init-from",
                    str(pre),
                    *common,
                    "--out",
                    str(work / f"t{seed}"),
                    *s,
                ),
                "frozen": orthotune_train(
                    str(target),
                    "--init-from",
                    str(pre),
                    "--freeze",
                    "features",
                    *common,
                    "--out",
                    str(work / f"f{seed}"),
                    *s,
                ),
            }
            dev = {name: r["errors"]["dev"] for name, r in runs.items()}
            chosen = min(dev, key=dev.get)
            picks.append((chosen, runs[chosen]["errors"]["test"]))  # its test error, read once
            print(
                f"seed {seed}: pretrained dev error {pretrained['errors']['dev']:.3f}; target "
                f"dev error scratch {dev['scratch']:.3f}, transfer {dev['transfer']:.3f}, "
                f"frozen {dev['frozen']:.3f}; dev picks {chosen} "
                f"(test error {picks[-1][1]:.3f})",
                flush=True,
            )
            for name in rows:
                rows[name].append(dev[name])
    med = {name: statistics.median(v) for name, v in rows.items()}
    chosen = statistics.mode([c for c, _ in picks])
    test = statistics.median([t for _, t in picks])
    print(
        f"scratch_dev_error={med['scratch']:.4f} transfer_dev_error={med['transfer']:.4f} "
        f"frozen_dev_error={med['frozen']:.4f} chosen={chosen} chosen_test_error={test:.4f}"
    )


if __name__ == "__main__":
    main()
