"""Mixed precision: which arithmetic a model trains in (``TrainConfig.precision``).

- ``fp32``: everything in float32 (the default of ``TrainConfig``).
- ``bf16``: the training forward pass and its loss run under ``torch.autocast`` with bfloat16:
  matrix products and convolutions in bfloat16, with float32 weights, optimizer state and
  updates. Every evaluation (dev error each epoch, the final errors, predictions, test) stays
  float32: every metric is measured in float32, whatever the weights were trained in.
- ``auto`` (the default of a search and of ``train``; the autopilot's is ``fp32``, see
  ``AutopilotSettings``): ``bf16`` for convolutional networks on hardware with native
  bfloat16 arithmetic (a CUDA GPU that supports it; a CPU with AVX512-BF16 or AMX), else
  ``fp32``. Convolutions are where the time goes and bfloat16 halves it there: on a 2-core
  AMD EPYC with AVX512-BF16 (an earlier machine of this project; the present one has AVX2
  only, where bfloat16 is emulated and slower), one step of MNIST-1D's 3 × 64-channel CNN
  (batch 128, 1 thread) took 12 ms instead of 24 ms. Its accuracy does not suffer: median dev
  accuracy 97.40 % in bfloat16 against 97.50 % in float32 over 3 seeds (``python
  bench/defaults.py --sets builtin:mnist1d``; the dev set, never the test set). MLPs keep
  float32: a step of the vectors' MLP (128-128, batch norm, batch 128) took 1.5–1.6 ms in
  bfloat16 against 1.3 ms in float32 on that CPU (the casts cost more than its small matrix
  products save), and the population's hand-written MLP step (``DenseStep``) is float32.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import torch

from orthotune._errors import InvalidInputError

if TYPE_CHECKING:
    from orthotune.models import ModelSpec

PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16")


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` does bfloat16 arithmetic in hardware (not emulated)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, p, lambda: False)() for p in probes)
    return False


def check_precision(choice: str) -> str:
    """``choice`` when it is one of ``PRECISIONS``; else the one-line error."""
    if choice not in PRECISIONS:
        raise InvalidInputError(
            f"--precision {choice!r} is not a precision; accepted: {', '.join(PRECISIONS)}; "
            "e.g. --precision auto"
        )
    return choice


def resolve_precision(choice: str, spec: ModelSpec, device: torch.device) -> str:
    """``fp32`` or ``bf16`` for a model of ``spec`` on ``device`` (``auto``: see the module).
    ``choice`` was checked once, at the job's boundary (``check_precision``)."""
    if choice != "auto":
        return choice
    return "bf16" if spec.kind != "mlp" and native_bf16(device) else "fp32"


def training_autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The context a training forward pass and its loss run in."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
