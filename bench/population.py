"""Population engine vs the same models trained one after another (the lecture's Caviar, cheap).

The workload (issue 5): N ∈ {8, 32, 128} MLPs 40-100-100-10 on MNIST-1D, mini-batches of 100,
2000 steps, Adam with a different learning rate per member (log-spaced 1e-4…1e-2), float32.

- population: ``Population.train_step`` on shared mini-batches (one shuffle per epoch for all);
- peer: the same N models trained one after another with plain torch.nn + torch.optim.Adam on
  the same batches — the way Optuna, Ray Tune and Keras Tuner run trials — once with the
  per-tensor Adam and once with ``Adam(fused=True)`` (one kernel, as the population's update);
  the faster of the two is the peer. It is timed on ``PEER_MEMBERS`` (8) members in full (2000
  steps each) and its per-member time is scaled to N (sequential trials cost N times one trial;
  the output says so). Both sides run at ``--threads`` torch threads (1 by default).
- CNN case: 16 small CNNs (the MNIST-1D paper's: three stride-2 convolutions of 25 channels,
  grouped convolution in the population) against the same 16 trained one after another.

The arms run interleaved in chunks of ``CHUNK`` steps (round robin), so that a burst of load
from other processes on a shared machine hits every arm alike; each figure is the MEDIAN
chunk rate (the total wall times are printed too). MFU = the FLOPs a step executes / time / the
fp32 matmul peak measured here with a large ``torch.mm``. The executed FLOPs are the bench's own
list of one member-step's matmuls (``mlp_matmuls``: every layer's forward and weight gradient,
the input gradient of every layer but the first — the data needs none; 8.20 MFLOP, where the
usual 6 · params · batch credits 9.13), checked against torch's ``FlopCounterMode`` in a test.
Beside it, the ceiling: the MFU the bare matmuls of one population step (the same shapes,
nothing else) reach, and the speed-up over the peer that MFU would give (``speedup_at``), as
well as the speed-up at 100 % MFU — no population of these models can beat the peer by more
on this machine, whatever its engine. A profile of one N = 32 step says where the remaining
time goes. Memory: parameter + gradient + optimizer
state bytes of the population vs N × one torch model's, and the peak RSS.

    python bench/population.py                 # the README figures (~5–10 min on 2 cores)
    python bench/population.py --quick         # seconds
    python bench/population.py --device cuda   # on a GPU: N = 64 joins the sizes
    python bench/population.py --threads 2     # both sides at 2 torch threads

On a GPU every arm's clock stops only after ``torch.cuda.synchronize()``, the peak is the fp32
``torch.mm`` of the GPU (TF32 off, torch's default), and the step profile is left out (it
times CPU ops).

Last line: ``speedup_n8=… speedup_n32=… speedup_n128=… mfu_n32=… speedup_cnn16=…`` (on a
GPU also ``speedup_n64=… mfu_n64=…``)
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from _common import machine_header

from orthotune.models import ConvBlock, ModelSpec, build_model, count_parameters
from orthotune.population import Population
from orthotune.train import TrainConfig, make_optimizer

MLP = ModelSpec(input_shape=(40,), num_classes=10, hidden=(100, 100))
MLP_DIMS = (40, 100, 100, 10)
CNN = ModelSpec(
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
)
BATCH = 100
DEVICE = torch.device("cpu")  # main() sets it from --device


def sync() -> None:
    """Wait for the GPU's queued work, so that a clock read after it is honest."""
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def mnist1d(quick: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-1D's training part (4000 examples, 40 features), generated offline."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    if quick:
        args.num_samples = 1000
    data = make_dataset(args)
    return torch.tensor(data["x"], dtype=torch.float32), torch.tensor(data["y"], dtype=torch.long)


def mlp_matmuls(dims: tuple[int, ...], batch: int) -> list[tuple[str, int, int, int]]:
    """The matmuls one member executes in one training step of an MLP with layer widths
    ``dims`` (input first): (name, m, n, k), each 2·m·n·k FLOPs. Every layer's forward
    ``[batch, in] @ [in, out]`` and weight gradient ``[out, batch] @ [batch, in]``; the input
    gradient ``[batch, out] @ [out, in]`` of every layer but the first (the data needs none)."""
    out = []
    for i, (a, b) in enumerate(itertools.pairwise(dims), start=1):
        out.append((f"forward {i}", batch, b, a))
        out.append((f"dW{i}", b, a, batch))
        if i > 1:
            out.append((f"dx{i}", batch, a, b))
    return out


def executed_flops(dims: tuple[int, ...], batch: int) -> int:
    """FLOPs of one member's training step (``mlp_matmuls``)."""
    return sum(2 * m * n * k for _, m, n, k in mlp_matmuls(dims, batch))


def lrs(n: int) -> list[float]:
    return [10 ** (-4 + 2 * i / max(n - 1, 1)) for i in range(n)]


def batch_order(m: int, steps: int, seed: int = 0) -> list[torch.Tensor]:
    """The index of every step's mini-batch: a fresh permutation per epoch."""
    g = torch.Generator().manual_seed(seed)
    out: list[torch.Tensor] = []
    while len(out) < steps:
        perm = torch.randperm(m, generator=g).to(DEVICE)
        out.extend(perm[a : a + BATCH] for a in range(0, m - BATCH + 1, BATCH))
    return out[:steps]


# ---------------------------------------------------------------------------- timed arms
Chunks = Iterator[tuple[int, float]]  # (member-steps or steps, seconds) per chunk


def peer_arm(spec, x, y, order, members: int, chunk: int, threads: int, fused: bool) -> Chunks:
    """``members`` models trained one after another with torch.nn + torch.optim.Adam (the
    trainer's per-tensor one, or ``fused=True``: one kernel over all of a model's tensors)."""
    for i, lr in enumerate(lrs(members)):
        torch.manual_seed(i)
        model = build_model(spec).to(DEVICE)
        if fused:
            opt = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
        else:
            opt = make_optimizer(model, TrainConfig(optimizer="adam", lr=lr), num_train=len(y))
        for start in range(0, len(order), chunk):
            torch.set_num_threads(threads)
            t = time.perf_counter()
            for idx in order[start : start + chunk]:
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            sync()
            yield len(order[start : start + chunk]), time.perf_counter() - t


def population_arm(population: Population, x, y, order, chunk: int, threads: int) -> Chunks:
    for start in range(0, len(order), chunk):
        torch.set_num_threads(threads)
        t = time.perf_counter()
        for idx in order[start : start + chunk]:
            population.train_step(x[idx], y[idx])
        sync()
        yield len(order[start : start + chunk]), time.perf_counter() - t


def interleave(arms: dict[str, Chunks]) -> dict[str, list[tuple[int, float]]]:
    """Round robin over the arms, one chunk each, until all are done."""
    done: dict[str, list[tuple[int, float]]] = {k: [] for k in arms}
    live = dict(arms)
    while live:
        for name in list(live):
            try:
                done[name].append(next(live[name]))
            except StopIteration:
                del live[name]
    return done


def rate(chunks: list[tuple[int, float]]) -> tuple[float, float]:
    """(median seconds per step over the chunks, total seconds)."""
    return statistics.median(s / n for n, s in chunks), sum(s for _, s in chunks)


# ---------------------------------------------------------------------------- ceilings
def speedup_at(mfu: float, peer_s: float, flops: float, peak: float) -> float:
    """The speed-up over a peer taking ``peer_s`` seconds per member-step of a population
    whose member-steps of ``flops`` run at ``mfu`` of the ``peak`` (FLOP/s)."""
    return peer_s / (flops / (mfu * peak))


def best_time(fn: Callable[[], object], repeat: int) -> float:
    fn()
    best = math.inf
    for _ in range(repeat):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t)
    return best


def peak_arm(size: int, rounds: int, threads: int, every: int = 4) -> Chunks:
    """A large torch.mm, timed every ``every``-th round of the interleaving over the whole run:
    its best rate is the fp32 matmul peak (on a shared machine one measurement may land in a
    busy moment). Rounds without a measurement yield (0, 0)."""
    a, b = torch.randn(size, size, device=DEVICE), torch.randn(size, size, device=DEVICE)
    torch.mm(a, b)
    for r in range(rounds):
        if r % every:
            yield 0, 0.0
            continue
        torch.set_num_threads(threads)
        sync()
        t = time.perf_counter()
        torch.mm(a, b)
        sync()
        yield 2 * size**3, time.perf_counter() - t


def bmm_ceiling_seconds(n: int, repeat: int) -> float:
    """Time of the bare matmuls of one population step of the MLP (same shapes, same ops)."""
    f, h, c = 40, 100, 10

    def r(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, device=DEVICE)

    w1, w2, w3 = r(n * h, f), r(n, h, h), r(n, c, h)
    xt = r(f, BATCH)
    a1, a2 = r(n, h, BATCH), r(n, h, BATCH)
    d3, d2, d1 = r(n, c, BATCH), r(n, h, BATCH), r(n * h, BATCH)

    def step():
        torch.mm(w1, xt)  # forward, layer 1 (one matmul: shared batch)
        torch.bmm(w2, a1)  # forward, layer 2
        torch.bmm(w3, a2)  # forward, output
        torch.bmm(d3, a2.transpose(1, 2))  # dW3
        torch.bmm(w3.transpose(1, 2), d3)  # dh2
        torch.bmm(d2, a1.transpose(1, 2))  # dW2
        torch.bmm(w2.transpose(1, 2), d2)  # dh1
        torch.mm(d1, xt.t())  # dW1

    return best_time(step, repeat)


def single_model_state_bytes(spec: ModelSpec, m: int) -> int:
    """Parameter + gradient + Adam state bytes of one torch model after a step."""
    model = build_model(spec)
    opt = make_optimizer(model, TrainConfig(optimizer="adam"), num_train=m)
    model(torch.randn(2, *spec.input_shape)).sum().backward()
    opt.step()
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    state = sum(
        t.numel() * t.element_size()
        for s in opt.state.values()
        for t in s.values()
        if torch.is_tensor(t) and t.dim() > 0
    )
    return 2 * params + state


def profile_step(population: Population, x, y, order) -> list[str]:
    """Where one population step spends its time, by kind of op (self CPU time)."""
    from torch.profiler import ProfilerActivity, profile

    for idx in order[:3]:
        population.train_step(x[idx], y[idx])
    steps = order[3:23]
    t = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for idx in steps:
            population.train_step(x[idx], y[idx])
    wall = (time.perf_counter() - t) / len(steps)
    kinds = {
        "matmul (bmm/mm)": ("aten::bmm", "aten::baddbmm", "aten::mm", "aten::addmm"),
        "optimizer (fused Adam)": ("aten::_fused_adam_",),
        "softmax/loss": ("aten::_log_softmax", "aten::exp_", "aten::gather", "aten::scatter_add_"),
        "activations": ("aten::relu", "aten::clamp_min", "aten::threshold_backward"),
    }
    totals = dict.fromkeys([*kinds, "other ops"], 0.0)
    op_total = 0.0
    for e in prof.key_averages():
        us = e.self_cpu_time_total / len(steps)
        op_total += us
        for kind, names in kinds.items():
            if e.key in names:
                totals[kind] += us
                break
        else:
            totals["other ops"] += us
    lines = [
        f"  profile of one N={population.num_active} step ({wall * 1e6:.0f} us wall under the "
        "profiler, which adds its own per-op cost to 'python + dispatch'):"
    ]
    for kind, us in totals.items():
        lines.append(f"    {kind:<24} {us:8.0f} us  {us / (wall * 1e6):6.1%}")
    overhead = wall * 1e6 - op_total
    lines.append(
        f"    {'python + dispatch':<24} {overhead:8.0f} us  {overhead / (wall * 1e6):6.1%}"
    )
    return lines


# ---------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (seconds)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (N = 64 joins the sizes)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads of both sides (default 1)"
    )
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    gpu = DEVICE.type == "cuda"
    quick = args.quick
    sizes = (2, 3, 4) if quick else (8, 32, 128)
    if gpu:
        sizes = (2, 3, 4, 5) if quick else (8, 32, 64, 128)
    steps = 30 if quick else 2000
    cnn_steps = 10 if quick else 300
    cnn_members = 2 if quick else 16
    peer_members = 2 if quick else 8
    chunk = 10 if quick else 50
    threads = args.threads
    torch.set_num_threads(threads)

    x, y = (t.to(DEVICE) for t in mnist1d(quick))
    order = batch_order(len(y), steps)
    print(machine_header())
    where = f"GPU {torch.cuda.get_device_name(DEVICE)}; " if gpu else ""
    print(f"# {where}load {os.getloadavg()[0]:.2f}; MNIST-1D {tuple(x.shape)}")
    peak_size = 512 if quick else (8192 if gpu else 2048)

    populations = {
        n: Population(
            MLP,
            [TrainConfig(optimizer="adam", lr=lr, batch_size=BATCH) for lr in lrs(n)],
            num_examples=len(y),
            device=DEVICE,
        )
        for n in sizes
    }
    arms: dict[str, Chunks] = {
        "peak": peak_arm(peak_size, peer_members * len(order) // chunk, threads),
        "peer": peer_arm(MLP, x, y, order, peer_members, chunk, threads, fused=False),
        "peer_fused": peer_arm(MLP, x, y, order, peer_members, chunk, threads, fused=True),
    }
    for n, pop in populations.items():
        arms[f"pop{n}"] = population_arm(pop, x, y, order, chunk, threads)
    timed = interleave(arms)
    torch.set_num_threads(threads)
    peak = max(f / s for f, s in timed["peak"] if f)
    print(f"fp32 matmul peak (best torch.mm {peak_size}² over the run): {peak / 1e9:.1f} GFLOP/s")

    peer_rates = {k: rate(timed[k]) for k in ("peer", "peer_fused")}
    peer_name = min(peer_rates, key=lambda k: peer_rates[k][0])
    peer_step, _ = peer_rates[peer_name]
    params = count_parameters(build_model(MLP))
    executed = executed_flops(MLP_DIMS, BATCH)
    print(
        f"\nMLP 40-100-100-10 ({params} parameters), batch {BATCH}, {steps} steps, Adam; "
        f"{executed / 1e6:.2f} MFLOP executed per member-step (6 · params · batch would "
        f"credit {6 * params * BATCH / 1e6:.2f})"
    )
    for k, (r, total) in peer_rates.items():
        print(
            f"  {k:<13} {r * 1e6:8.1f} us per member-step (median chunk); "
            f"{peer_members} members x {steps} steps in {total:.1f} s"
        )
    print(
        f"  peer = {peer_name}; its time for N members is N x its per-member time "
        f"(measured on {peer_members} members in full)"
    )
    figures: dict[str, float] = {}
    ceiling_mfu = {}
    for n in sizes:
        r, total = rate(timed[f"pop{n}"])
        speedup = n * peer_step / r
        speedup_total = (
            n * peer_rates[peer_name][1] / peer_members / len(order) / (total / len(order))
        )
        flops = executed * n
        mfu = flops / r / peak
        ceiling = flops / bmm_ceiling_seconds(n, 3 if quick else 20) / peak
        ceiling_mfu[n] = ceiling
        print(
            f"  N={n:<4} {r * 1e3:8.2f} ms per step ({r / n * 1e6:6.1f} us per member-step), "
            f"{total:6.1f} s in all; speed-up {speedup:5.1f}x (totals: {speedup_total:.1f}x); "
            f"MFU {mfu:5.1%} (bare-bmm ceiling {ceiling:5.1%}: a speed-up of "
            f"{speedup_at(ceiling, peer_step, executed, peak):.1f}x; at 100 % MFU "
            f"{speedup_at(1.0, peer_step, executed, peak):.1f}x)"
        )
        figures[f"speedup_n{n}"] = speedup
        figures[f"mfu_n{n}"] = mfu

    # memory: parameters + gradients + optimizer state, N members vs N x one model
    n_mem = sizes[1]
    got = sum(populations[n_mem].memory_bytes().values())
    one = single_model_state_bytes(MLP, len(y))
    scratch = populations[n_mem].scratch_bytes()
    print(
        f"  memory N={n_mem}: parameters+gradients+Adam state {got / 2**20:.2f} MiB = "
        f"{got / (n_mem * one):.3f} x (N x one torch model's {one / 2**10:.1f} KiB); reused "
        f"work buffers (update delta, activations) {scratch / 2**20:.2f} MiB; "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB"
    )
    for line in [] if gpu else profile_step(populations[sizes[1]], x, y, order):
        print(line)

    # CNN: 16 small CNNs, grouped convolution vs one after another
    cnn_order = order[:cnn_steps]
    cnn_pop = Population(
        CNN,
        [TrainConfig(optimizer="adam", lr=lr, batch_size=BATCH) for lr in lrs(cnn_members)],
        num_examples=len(y),
        device=DEVICE,
    )
    xc = x.unsqueeze(1)  # [m, 1, 40]
    cnn = interleave(
        {
            "peer": peer_arm(CNN, xc, y, cnn_order, cnn_members, chunk, threads, fused=False),
            "peer_fused": peer_arm(CNN, xc, y, cnn_order, cnn_members, chunk, threads, fused=True),
            "pop": population_arm(cnn_pop, xc, y, cnn_order, chunk, threads),
        }
    )
    torch.set_num_threads(threads)
    cnn_peer = min(rate(cnn["peer"])[0], rate(cnn["peer_fused"])[0])
    cnn_rate, cnn_total = rate(cnn["pop"])
    figures["speedup_cnn16"] = cnn_members * cnn_peer / cnn_rate
    print(
        f"\nCNN-1D (3 conv x 25 channels, {count_parameters(build_model(CNN))} parameters), "
        f"{cnn_members} members, {cnn_steps} steps: peer {cnn_peer * 1e6:.0f} us per "
        f"member-step, population {cnn_rate * 1e3:.2f} ms per step "
        f"({cnn_total:.1f} s); speed-up {figures['speedup_cnn16']:.1f}x"
    )
    print(f"load at the end {os.getloadavg()[0]:.2f}")

    n0, n1, n2 = sizes[0], sizes[1], sizes[-1]
    gpu_figures = ""
    if gpu:
        n3 = sizes[2]
        gpu_figures = (
            f" speedup_n64={figures[f'speedup_n{n3}']:.2f} mfu_n64={figures[f'mfu_n{n3}']:.3f}"
        )
    print(
        f"speedup_n8={figures[f'speedup_n{n0}']:.2f} speedup_n32={figures[f'speedup_n{n1}']:.2f} "
        f"speedup_n128={figures[f'speedup_n{n2}']:.2f} mfu_n32={figures[f'mfu_n{n1}']:.3f} "
        f"speedup_cnn16={figures['speedup_cnn16']:.2f}{gpu_figures}"
    )


if __name__ == "__main__":
    main()
