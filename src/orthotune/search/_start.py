"""``starting_point``: the data shape's documented default model (``fit.baseline``, whose
docstring justifies it) in the search vocabulary, the first trial of a model-based search."""

from __future__ import annotations

import math
from typing import Any

from orthotune.fit import baseline


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
