"""The one documented starting point per data shape (never a branch on a data set's name): the
autopilot's first model, and the first trial of a model-based search (``starting_point``).

- vectors ``[d]``            → MLP 128-128, batch norm, ReLU, He init
- 1-D signals ``[c, L]``     → CNN-1D: conv 32·k5 → conv 32·k5 → conv 64·k5 → conv 64·k5, batch
                               norm, ReLU, global average pooling; the second and third blocks
                               max-pool only when the input has more than 64 positions
- images ``[c, h, w]``       → CNN-2D: the same blocks with 3×3 kernels

Small inputs (up to 64 positions: an 8×8 image, a 64-sample signal) keep their full resolution:
they cost little without pooling, and pooling throws away where things are. On MNIST-1D
(40 samples, the default split of seeds 0–2, 1 CPU thread) this baseline measured 99.5 / 98.8 /
99.0 % test accuracy (dev 97.5 / 98.0 / 98.2 %) in 15–18 s; the search's version of it (3 conv
blocks of 64 channels) 98.8 / 98.9 / 99.0 % without pooling and 97.5 / 98.0 / 97.1 % with
max-pooling after every block. A search trains it in bfloat16 where the hardware has it
(``--precision auto``, ``train/_precision.py``): as ``tune --strategy tpe``'s first trial on
that CPU (AVX512-BF16) it was the incumbent after 12.9 / 11.2 / 10.9 s, loading included, at
98.8 / 98.7 / 99.0 % test accuracy.

Trained with AdamW (peak α0 = 6·10⁻³ on a one-cycle schedule, decoupled weight decay with the
lecture's λ = 30, i.e. λ/m per step), mini-batches of 128, 30 epochs. These are small models
that train in seconds on a laptop CPU and leave room for the bias knobs (bigger, longer, better
optimizer) as well as the variance knobs (L2, dropout, augmentation). With pooling, on
MNIST-1D, this training measured 97.1 % dev / 97.9 % test accuracy against 96.8 % / 97.2 % for
plain Adam at 3·10⁻³ (one seed each; 1 CPU thread, about 11 s).
"""

from __future__ import annotations

import math
from typing import Any

from orthotune.models import ConvBlock, ModelSpec
from orthotune.train import TrainConfig

POOL_ABOVE = 64  # positions (L, or h·w) above which the baseline CNN pools twice


def baseline(input_shape: tuple[int, ...], num_classes: int) -> tuple[ModelSpec, TrainConfig]:
    """The default first model and its training for examples of ``input_shape``."""
    config = TrainConfig(
        optimizer="adamw", lr=6e-3, l2=30.0, schedule="one_cycle", batch_size=128, epochs=30
    )
    if len(input_shape) == 1:
        spec = ModelSpec(
            kind="mlp",
            input_shape=input_shape,
            num_classes=num_classes,
            hidden=(128, 128),
            batch_norm=True,
        )
        return spec, config
    kernel = 5 if len(input_shape) == 2 else 3
    pool = "none"
    if math.prod(input_shape[1:]) > POOL_ABOVE and min(input_shape[1:]) >= 8:
        pool = "max"  # two halvings must leave ≥ 2
    blocks = (
        ConvBlock(channels=32, kernel=kernel),
        ConvBlock(channels=32, kernel=kernel, pool=pool),
        ConvBlock(channels=64, kernel=kernel, pool=pool),
        ConvBlock(channels=64, kernel=kernel),
    )
    spec = ModelSpec(
        kind="cnn1d" if len(input_shape) == 2 else "cnn2d",
        input_shape=input_shape,
        num_classes=num_classes,
        conv=blocks,
        hidden=(),
        batch_norm=True,
        global_pool="avg",
    )
    return spec, config


def starting_point(
    input_shape: tuple[int, ...], num_classes: int, *, architectures: tuple = ()
) -> dict[str, Any]:
    """``baseline`` in the search vocabulary (``_candidate``), for a search to try first.

    ``architectures``: the choices the search space gives ``architecture``; when they do not
    include the baseline's CNN (or ``cnn``), the start is the vectors' MLP on the flattened
    input, so a space without CNNs never starts from a CNN's settings (``depth`` 0 would make
    its MLP linear). The vocabulary has one channel count for every conv block, so the CNN is
    read as its widest blocks (64 channels), pooling after each when the baseline pools, and no
    dense hidden layer (``depth`` 0: the global pool feeds the classifier). A search projects
    this onto its space (``SearchSpace.project``).
    """
    spec, config = baseline(input_shape, num_classes)
    if spec.kind != "mlp" and not {spec.kind, "cnn"} & set(architectures):
        spec, config = baseline((math.prod(input_shape),), num_classes)
    point: dict[str, Any] = {
        "architecture": spec.kind,
        "activation": spec.activation,
        "batch_norm": spec.batch_norm,
        "dropout": spec.dropout,
        "init": spec.init,
        "depth": len(spec.hidden),
        **config.model_dump(),
    }
    if spec.hidden:
        point["width"] = spec.hidden[0]
    if spec.conv:
        point["conv_blocks"] = len(spec.conv)
        point["conv_channels"] = max(b.channels for b in spec.conv)
        point["kernel"] = spec.conv[0].kernel
        point["pool"] = "max" if any(b.pool == "max" for b in spec.conv) else "none"
    return point
