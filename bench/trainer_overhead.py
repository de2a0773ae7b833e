"""Epoch time of orthotune's ``Trainer`` against a minimal hand-written PyTorch loop.

Both arms train the same model (same initial weights) on MNIST-1D with the same optimizer, the
same mini-batches (one ``torch.randperm`` per epoch from generators with the same seed, the same
slices) and a dev evaluation each epoch; neither shows a progress bar. The peer is plain
torch.nn + torch.optim: forward, cross-entropy, zero_grad, backward, step, running loss/error
summed on the device, dev loss/error at the epoch's end. The Trainer does everything it always
does (LR write, per-layer gradient norms, EWA loss, non-finite guard with its weight snapshot,
pydantic epoch record).

The arms are interleaved: a callback runs one peer epoch next to each Trainer epoch — before it on
even epochs, after it on odd ones, so neither arm always runs on a warmer cache. Trainer epoch
time = time between consecutive ``on_epoch_start`` calls minus the peer epoch run inside them.
The first epochs are warm-up and not counted. Reported: the median of the per-epoch ratios
trainer/peer and the spread (25th–75th percentile) of those ratios.

    python bench/trainer_overhead.py            # 3 warm-up + 30 measured epochs per model
    python bench/trainer_overhead.py --quick    # a few epochs on a subset (seconds)

Last line: ``overhead_ratio_mlp=… overhead_ratio_cnn=…`` (goal ≤ 1.05).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from orthotune.models import ConvBlock, ModelSpec, build_model
from orthotune.train import Callback, TrainConfig, Trainer, batch_bounds, make_optimizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header


def mnist1d(quick: bool):
    """MNIST-1D's canonical 4000/1000 split (generated offline by the ``mnist1d`` package)."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if quick:
        args.num_samples = 1000
    data = make_dataset(args)
    x = torch.tensor(data["x"], dtype=torch.float32)
    y = torch.tensor(data["y"], dtype=torch.long)
    xt = torch.tensor(data["x_test"], dtype=torch.float32)
    yt = torch.tensor(data["y_test"], dtype=torch.long)
    return x, y, xt, yt


SPECS = {
    # the MNIST-1D paper's MLP: 40 → 100 → 100 → 10, ReLU
    "mlp": ModelSpec(input_shape=(1, 40), num_classes=10, hidden=(100, 100)),
    # the paper's CNN: three stride-2 convolutions of 25 channels, flattened into the output
    "cnn": ModelSpec(
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
}


class PeerLoop:
    """The hand-written loop: the same batches, plain torch, one dev evaluation per epoch."""

    def __init__(self, model, config, x, y, xd, yd, seed):
        self.model, self.x, self.y, self.xd, self.yd = model, x, y, xd, yd
        self.opt = make_optimizer(model, config, num_train=len(y))
        self.gen = torch.Generator(device=x.device).manual_seed(seed)
        self.bounds = batch_bounds(len(y), config.batch_size)
        self.last = (0.0, 0.0, 0.0, 0.0)

    def epoch(self) -> float:
        t0 = time.perf_counter()
        model, opt, x, y = self.model, self.opt, self.x, self.y
        model.train()
        perm = torch.randperm(len(y), generator=self.gen, device=x.device)
        loss_sum = torch.zeros((), device=x.device)
        wrong = torch.zeros((), device=x.device, dtype=torch.long)
        for a, b in self.bounds:
            idx = perm[a:b]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * (b - a)
            wrong += (logits.detach().argmax(1) != yb).sum()
        model.eval()
        with torch.no_grad():
            dev_logits = model(self.xd)
            dev_loss = F.cross_entropy(dev_logits, self.yd)
            dev_wrong = (dev_logits.argmax(1) != self.yd).sum()
        self.last = tuple(
            torch.stack([loss_sum / len(y), wrong / len(y), dev_loss, dev_wrong / len(self.yd)])
            .cpu()
            .tolist()
        )
        return time.perf_counter() - t0


class Interleave(Callback):
    """Runs one peer epoch after each Trainer epoch and times both."""

    def __init__(self, peer: PeerLoop) -> None:
        self.peer = peer
        self.starts: list[float] = []
        self.peer_seconds: list[float] = []

    def on_epoch_start(self, state) -> None:
        self.starts.append(time.perf_counter())
        if state.epoch % 2 == 0:  # even epochs: the peer first (B, A), odd: after (A, B)
            self.peer_seconds.append(self.peer.epoch())

    def on_epoch_end(self, state, record) -> None:
        if state.epoch % 2 == 1:
            self.peer_seconds.append(self.peer.epoch())

    def on_fit_end(self, state) -> None:
        self.starts.append(time.perf_counter())


def measure(name, data, *, epochs, warmup, device, seed=0):
    x, y, xd, yd = (t.to(device) for t in data)
    x, xd = x[:, None], xd[:, None]  # [n, 1, 40]: one channel
    config = TrainConfig(optimizer="adam", lr=1e-2, batch_size=100, epochs=warmup + epochs)
    torch.manual_seed(seed)
    model = build_model(SPECS[name]).to(device)
    peer_model = copy.deepcopy(model)
    peer = PeerLoop(peer_model, config, x, y, xd, yd, seed)
    spy = Interleave(peer)
    result = Trainer(config, device=device, seed=seed, callbacks=[spy]).fit(model, (x, y), (xd, yd))
    trainer_seconds = [
        b - a - p for a, b, p in zip(spy.starts[:-1], spy.starts[1:], spy.peer_seconds, strict=True)
    ]
    ratios = [t / p for t, p in zip(trainer_seconds, spy.peer_seconds, strict=True)][warmup:]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    t_trainer = statistics.median(trainer_seconds[warmup:])
    t_peer = statistics.median(spy.peer_seconds[warmup:])
    print(
        f"{name}: {len(ratios)} epoch pairs, trainer {t_trainer:.4f} s/epoch, "
        f"peer {t_peer:.4f} s/epoch, "
        f"ratio median {statistics.median(ratios):.3f} (IQR {q[0]:.3f}–{q[2]:.3f}); "
        f"last dev error trainer {result.history[-1].dev_error:.3f} peer {peer.last[3]:.3f}"
    )
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs on a subset")
    parser.add_argument("--epochs", type=int, default=30, help="measured epochs per model")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1: stable on a shared machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(machine_header(), flush=True)  # the README: every bench prints it first
    epochs, warmup = (3, 1) if args.quick else (args.epochs, 3)
    data = mnist1d(args.quick)
    from orthotune.train import resolve_device

    device = resolve_device(args.device)
    print(
        f"MNIST-1D train {len(data[1])} dev {len(data[3])}, device {device}, "
        f"threads {torch.get_num_threads()}, torch {torch.__version__}"
    )
    mlp = measure("mlp", data, epochs=epochs, warmup=warmup, device=device)
    cnn = measure("cnn", data, epochs=epochs, warmup=warmup, device=device)
    print(f"overhead_ratio_mlp={mlp:.3f} overhead_ratio_cnn={cnn:.3f}")


if __name__ == "__main__":
    main()
