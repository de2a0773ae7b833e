"""How many CPU threads torch trains with: one for feature vectors, unless the user says.

torch starts with one intra-op thread per core, and its OpenMP threads wait for each other at
the end of every parallel operation. A network on feature vectors (an MLP: batches of 128 rows,
layers of 128 units) runs thousands of small operations an epoch, and when another process
keeps a core busy, one of the two threads is off the CPU at each of those waits. Measured by
``python bench/threads.py`` (2-core AMD EPYC, AVX2; 2026-12-06; the busy process beside it
trains an MLP on torch's threads, as a second run or a notebook would; medians of 3, each in a
fresh process):

- 64 steps of a 166-128-128-2 MLP with batch norm, batches of 128: quiet 0.16 s with two
  threads, 0.14 s with one; busy **10.65 s** with two, 0.25 s with one;
- ``orthotune tune builtin:breast-cancer --trials 3 --no-refit`` (one run each): quiet 17.3 s
  with two threads, 17.2 s with one; busy **102.2 s** with two, 29.7 s with one — and 29.7 s
  with ``OMP_NUM_THREADS`` unset, this module's choice.

So vectors train with one thread (``training_threads``): as fast on a quiet machine, and never
that slow beside other work; the benchmark suite's figures were all measured that way
(``bench/suite.py`` sets one thread). Signals and images (CNNs) keep torch's threads: their
larger operations gain from them on a quiet machine (64 steps of a 2-layer conv net on
40-sample signals: 1.01 s with two threads, 1.81 s with one), and lose beside a busy one
(17.47 s against 2.45 s) — ``OMP_NUM_THREADS=1`` where the machine is shared. A user who sets
``OMP_NUM_THREADS`` chooses for every model; off the CPU nothing changes.
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
