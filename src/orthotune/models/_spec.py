"""``ModelSpec``: the architecture vocabulary shared by the single trainer and the population.

A spec is plain data (pydantic, YAML-friendly). ``orthotune.models.build_model(spec)`` turns it
into a ``torch.nn.Module``; ``orthotune.population`` builds N stacked members from the same spec.
Two specs with equal ``shape_key()`` can share one population (their weights have the same
shapes; dropout rates may differ per member).

Layout of each kind (input shape is one example's shape, without the batch dimension):
- ``mlp``:   flatten → (only the ``select`` features it reads) → [Linear → (BatchNorm) → act →
             (Dropout)] per width in ``hidden`` → Linear
- ``cnn1d``: input [C, L];    per ConvBlock: Conv1d → (BN) → act → (Dropout) → (pool);
             a residual block adds a second conv and a skip (1×1 conv when channels change);
             then global pooling (or flatten) → the ``hidden`` MLP head → Linear
- ``cnn2d``: the same with Conv2d on input [C, H, W]
The output layer emits logits; softmax + cross-entropy is applied by the loss.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu"]
Init = Literal[
    "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_normal", "default"
]
ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu", "silu")
INITS: tuple[str, ...] = (
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "default",
)


class ConvBlock(BaseModel):
    """One convolution block of a CNN."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: int = Field(gt=0)
    kernel: int = Field(default=3, gt=0)
    stride: int = Field(default=1, gt=0)
    padding: int | Literal["same"] = "same"
    pool: Literal["none", "max", "avg"] = "none"
    pool_size: int = Field(default=2, gt=0)
    residual: bool = False


class ModelSpec(BaseModel):
    """An architecture: kind, layer sizes, activation, batch norm, dropout, initialization."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mlp", "cnn1d", "cnn2d"] = "mlp"
    input_shape: tuple[int, ...]
    num_classes: int = Field(ge=2)
    hidden: tuple[int, ...] = (100, 100)
    conv: tuple[ConvBlock, ...] = ()
    activation: Activation | tuple[Activation, ...] = "relu"
    batch_norm: bool = False
    dropout: float | tuple[float, ...] = 0.0
    global_pool: Literal["avg", "max", "none"] = "avg"
    init: Init = "he_normal"
    #: read only this many of a vector's features: those with the highest ANOVA F on the rows
    #: the model trains on (``models/_select.py``); None reads every feature
    select: int | None = Field(default=None, gt=0)

    @field_validator("hidden")
    @classmethod
    def _positive_widths(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(w <= 0 for w in v):
            raise ValueError(f"hidden widths must be positive integers, got {list(v)}")
        return v

    @field_validator("dropout")
    @classmethod
    def _dropout_range(cls, v: float | tuple[float, ...]) -> float | tuple[float, ...]:
        rates = v if isinstance(v, tuple) else (v,)
        if any(not 0.0 <= r < 1.0 for r in rates):
            raise ValueError(f"dropout rate must be in [0, 1), got {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        n = self.num_layers
        for name in ("activation", "dropout"):
            value = getattr(self, name)
            if isinstance(value, tuple) and len(value) != n:
                raise ValueError(
                    f"{name} has {len(value)} entries but the model has {n} hidden layers "
                    f"({len(self.conv)} conv blocks + {len(self.hidden)} dense layers): give one "
                    "value or one per layer"
                )
        if self.kind == "mlp" and self.conv:
            raise ValueError("conv blocks need kind cnn1d or cnn2d, not mlp")
        if self.kind != "mlp" and not self.conv:
            raise ValueError(f"kind {self.kind} needs at least one conv block")
        if self.select is not None and (
            self.kind != "mlp" or len(self.input_shape) != 1 or self.select >= self.input_shape[0]
        ):
            raise ValueError(
                f"select={self.select} needs an mlp on vectors of more than {self.select} "
                f"features, got kind {self.kind} on input_shape {self.input_shape}: give a "
                "smaller select, or none"
            )
        want = {"cnn1d": 2, "cnn2d": 3}.get(self.kind)
        if want is not None and len(self.input_shape) != want:
            raise ValueError(
                f"kind {self.kind} needs input_shape of {want} dims (channels first), "
                f"got {self.input_shape}"
            )
        count = self.weight_count()  # (the conv blocks' sizes checked first)
        if count > MAX_PARAMETERS:
            raise ValueError(
                f"the model would have about {count:,} weights ({4 * count / 2**30:,.0f} GiB in "
                f"float32, four times that to train): accepted are at most {MAX_PARAMETERS:,}; "
                "give smaller hidden widths or channel counts"
            )
        return self

    def weight_count(self) -> int:
        """The weights of the network this spec builds, counted from its layer sizes (biases
        and batch-norm scales left out; nothing allocated): what ``MAX_PARAMETERS`` bounds."""
        spatial = len(self.input_shape) - 1 if self.kind != "mlp" else 0
        size = _check_conv_sizes(self.conv, self.input_shape[1:]) if spatial else ()
        count, channels = 0, self.input_shape[0]
        for b in self.conv:
            count += channels * b.channels * b.kernel**spatial
            count += b.channels * b.channels * b.kernel**spatial * b.residual
            projection = b.residual and (channels != b.channels or b.stride != 1)
            count += channels * b.channels * projection  # the skip's 1×1 conv
            channels = b.channels
        if self.kind == "mlp":
            width = self.select or math.prod(self.input_shape)
        else:
            width = channels * (math.prod(size) if self.global_pool == "none" else 1)
        for w in (*self.hidden, self.num_classes):
            count += width * w
            width = w
        return count

    @property
    def num_layers(self) -> int:
        """Hidden layers that take an activation and a dropout rate: conv blocks, then dense."""
        return len(self.conv) + len(self.hidden)

    def activation_of(self, layer: int) -> str:
        return self.activation[layer] if isinstance(self.activation, tuple) else self.activation

    def dropout_of(self, layer: int) -> float:
        return self.dropout[layer] if isinstance(self.dropout, tuple) else self.dropout

    def shape_key(self) -> tuple:
        """What must match for two specs to share one population: everything but dropout rates
        and initialization (per-member values)."""
        return (
            self.kind,
            self.input_shape,
            self.num_classes,
            self.hidden,
            self.conv,
            self.activation,
            self.batch_norm,
            self.global_pool,
            tuple(self.dropout_of(i) > 0 for i in range(self.num_layers)),
            self.select,
        )


#: the most weights a spec may have: 500 million float32 weights are 2 GB, 8 GB with their
#: gradients and Adam's two moments — what a typo (``--hidden 1000000000``) asks for before
#: the operating system kills the process
MAX_PARAMETERS = 500_000_000


def _check_conv_sizes(blocks: tuple[ConvBlock, ...], size: tuple[int, ...]) -> tuple[int, ...]:
    """Every block's output keeps at least one position per axis: too many strides or pools
    for the input (five 2× pools on 12×12 images) are refused here, not deep in PyTorch
    ("Output size is too small"). Returns the positions per axis after the last block."""
    for i, b in enumerate(blocks, 1):
        pad = b.kernel // 2 if b.padding == "same" else int(b.padding)  # as the builder pads
        out = tuple((s + 2 * pad - b.kernel) // b.stride + 1 for s in size)
        if b.pool != "none":
            out = tuple(s // b.pool_size for s in out)
        if min(out, default=1) < 1:
            shown = "×".join(map(str, size))
            raise ValueError(
                f"conv block {i} of {len(blocks)} gets {shown} positions, too few for its "
                f"kernel {b.kernel}, stride {b.stride} and pool '{b.pool}' "
                f"(size {b.pool_size}): use fewer pooling or strided blocks, or smaller "
                "kernels, for inputs this small"
            )
        size = out
    return size


POOL_ABOVE = 64  # positions (L, or h·w) above which the default conv blocks pool twice


def default_conv(input_shape: tuple[int, ...]) -> tuple[ConvBlock, ...]:
    """The one default stack of conv blocks for signals ``[c, L]`` (kernel 5) and images
    ``[c, h, w]`` (3×3): 32 → 32 → 64 → 64 channels, the second and third blocks max-pooling
    only when the input has more than ``POOL_ABOVE`` positions and its smallest side survives
    two halvings (≥ 8). Why these: ``orthotune.fit``'s ``baseline`` (dev figures there)."""
    kernel = 5 if len(input_shape) == 2 else 3
    pool = (
        "max" if math.prod(input_shape[1:]) > POOL_ABOVE and min(input_shape[1:]) >= 8 else "none"
    )
    return (
        ConvBlock(channels=32, kernel=kernel),
        ConvBlock(channels=32, kernel=kernel, pool=pool),
        ConvBlock(channels=64, kernel=kernel, pool=pool),
        ConvBlock(channels=64, kernel=kernel),
    )
