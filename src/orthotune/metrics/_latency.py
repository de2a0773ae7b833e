"""Inference time of a torch model: per batch and per example, batch size stated.

The model runs ``warmup`` times untimed (allocator, kernels and caches settle), then
``repeats`` timed forward passes under ``torch.inference_mode``; the median is reported (robust
to a stray slow run), with the fastest and slowest beside it. On CUDA the device is synchronized
around each pass so that the time is the kernels', not the launch's.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError

__all__ = ["Latency", "measure_latency"]

SCHEMA_VERSION = 1


class Latency(BaseModel):
    """Median inference time of one batch and per example."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    device: str
    batch_size: int
    warmup: int
    repeats: int
    per_batch_ms: float = Field(description="median time of one forward pass of a batch")
    per_example_ms: float = Field(description="per_batch_ms / batch_size")
    fastest_batch_ms: float
    slowest_batch_ms: float


def measure_latency(
    model: Any,
    example: Any,
    *,
    batch_size: int = 1,
    warmup: int = 3,
    repeats: int = 20,
    device: str | None = None,
) -> Latency:
    """Time ``model`` on a batch of ``batch_size`` copies of ``example`` (one input, no batch dim).

    ``device`` defaults to where the model's parameters live (CPU for a parameterless model).
    The model is put in eval mode for the measurement and its mode restored afterwards.
    """
    import torch

    for name, value, least in (
        ("batch_size", batch_size, 1),
        ("warmup", warmup, 0),
        ("repeats", repeats, 1),
    ):
        if not isinstance(value, int) or value < least:
            raise InvalidInputError(f"{name} {value!r} is not an integer >= {least}: give one")
    if device is None:
        first = next(iter(model.parameters()), None)
        dev = first.device if first is not None else torch.device("cpu")
    else:
        dev = torch.device(device)
    x = torch.as_tensor(example)
    batch = x.unsqueeze(0).expand(batch_size, *x.shape).contiguous().to(dev)
    cuda = dev.type == "cuda"
    was_training = model.training
    model.eval()
    times: list[float] = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                if cuda:
                    torch.cuda.synchronize(dev)
                start = time.perf_counter()
                model(batch)
                if cuda:
                    torch.cuda.synchronize(dev)
                if i >= warmup:
                    times.append((time.perf_counter() - start) * 1e3)
    finally:
        model.train(was_training)
    median = statistics.median(times)
    return Latency(
        device=str(dev),
        batch_size=batch_size,
        warmup=warmup,
        repeats=repeats,
        per_batch_ms=median,
        per_example_ms=median / batch_size,
        fastest_batch_ms=min(times),
        slowest_batch_ms=max(times),
    )
