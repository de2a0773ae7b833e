"""Architectures: ``ModelSpec`` (plain data) → ``torch.nn.Module``."""

from orthotune.models._build import (
    Net,
    activation_module,
    build_model,
    conv_padding,
    count_parameters,
    flops_per_example,
    initialize,
)
from orthotune.models._ensemble import Ensemble
from orthotune.models._spec import (
    ACTIVATIONS,
    INITS,
    MAX_PARAMETERS,
    ConvBlock,
    ModelSpec,
    default_conv,
)

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "MAX_PARAMETERS",
    "ConvBlock",
    "Ensemble",
    "ModelSpec",
    "Net",
    "activation_module",
    "build_model",
    "conv_padding",
    "count_parameters",
    "default_conv",
    "flops_per_example",
    "initialize",
]
