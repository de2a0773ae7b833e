"""Architectures: ``ModelSpec`` (plain data) → ``torch.nn.Module``."""

from orthotune.models._spec import ACTIVATIONS, INITS, ConvBlock, ModelSpec

__all__ = ["ACTIVATIONS", "INITS", "ConvBlock", "ModelSpec"]
