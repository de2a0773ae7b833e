"""How many CPU threads torch trains with: one for feature vectors, unless the user says.

torch starts with one intra-op thread per core, and its OpenMP threads wait for each other at
the end of every parallel operation. A network on feature vectors (an MLP: batches of 128 rows,
layers of 128 units) runs thousands of small operations an epoch, and when another process
keeps one core busy, one of the two threads is off the CPU at each of those waits. Measured on
the 2-core AMD EPYC (AVX-512), a throw-away script (`/tmp/reg/work.py`: 64 AdamW steps of a
166-128-128-2 MLP with batch norm, batches of 128), each figure one run:

- **quiet**: 0.12 s with torch's two threads, 0.13 s with one;
- **one other process busy** (another `orthotune tune`): 18.63 s with two threads, 0.12 s with
  one. `orthotune tune DATA.csv --trials 4 --no-refit` on a 1,934-row table took 402 s with
  two threads and 25 s with `OMP_NUM_THREADS=1` beside such a process.

So vectors train with one thread (``training_threads``): as fast on a quiet machine, and never
that slow beside other work; every figure of the benchmark suite was measured that way
(``bench/suite.py`` sets one thread). Signals and images (CNNs) keep torch's threads: their
larger operations gain from them on a quiet machine (a 2-layer conv net on 40-sample signals:
0.31 s with two threads, 0.40 s with one; 0.75 and 0.35 s beside a busy process). A user who
sets ``OMP_NUM_THREADS`` chooses for every model; off the CPU nothing changes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["chosen_threads", "torch_threads", "training_threads"]


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """torch's intra-op CPU threads set to ``n`` inside the block, as they were after it
    (``None``: unchanged)."""
    before = torch.get_num_threads()
    if n is not None and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


def chosen_threads(input_dims: int, device: torch.device | str | None = None) -> int | None:
    """The threads training on examples of ``input_dims`` dimensions (1: feature vectors)
    gets (module doc): 1 for feature vectors on the CPU where ``OMP_NUM_THREADS`` is not set,
    else ``None`` (torch's as they are)."""
    on_cpu = device is None or torch.device(device).type == "cpu"
    if "OMP_NUM_THREADS" in os.environ or input_dims != 1 or not on_cpu:
        return None
    return 1


def training_threads(x: torch.Tensor, device: torch.device | str | None = None):
    """``torch_threads`` set for training on the examples ``x`` ``[n, …]`` (``chosen_threads``):
    a context manager."""
    return torch_threads(chosen_threads(x.dim() - 1, device))
