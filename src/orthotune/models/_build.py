"""``build_model(spec)``: a ``ModelSpec`` as a plain ``torch.nn.Module``.

The module layout is part of the contract: the population engine stacks N members with the same
parameter names and shapes, and exports a member back into this module (``load_state_dict``).

    Net
      features: Sequential of ConvUnit    (cnn kinds only)
      pool:     global avg / max pooling over the signal/image axes, or flatten
      head:     Sequential of DenseUnit   (one per width in spec.hidden)
      out:      Linear → logits [B, num_classes]
      inputs:   (``spec.select`` only) the indices of the features the model reads, a buffer
                chosen by the Trainer on its training rows and saved with the weights; a
                population does not train such a model (``vectorization_problem``)

Layers followed by batch norm have no bias (batch norm's shift replaces it).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from orthotune.models._select import top_inputs
from orthotune.models._spec import ConvBlock, ModelSpec


def activation_module(name: str) -> nn.Module:
    """The torch module of an activation name from ``ACTIVATIONS``."""
    return {
        "relu": nn.ReLU,
        "leaky_relu": nn.LeakyReLU,  # negative slope 0.01
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
    }[name]()


def conv_padding(block: ConvBlock) -> int:
    """'same' padding as an integer (kernel // 2), so that strides > 1 work too."""
    return block.kernel // 2 if block.padding == "same" else int(block.padding)


class DenseUnit(nn.Module):
    """Linear → (BatchNorm1d) → activation → (Dropout)."""

    def __init__(
        self, fan_in: int, width: int, *, activation: str, batch_norm: bool, dropout: float
    ):
        super().__init__()
        self.linear = nn.Linear(fan_in, width, bias=not batch_norm)
        self.norm = nn.BatchNorm1d(width) if batch_norm else nn.Identity()
        self.act = activation_module(activation)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, fan_in] → [B, width]
        return self.drop(self.act(self.norm(self.linear(x))))


class ConvUnit(nn.Module):
    """Conv → (BN) → act, a second Conv → (BN) plus a skip when residual, → (Dropout) → (pool)."""

    def __init__(
        self,
        in_ch: int,
        block: ConvBlock,
        *,
        dims: int,
        activation: str,
        batch_norm: bool,
        dropout: float,
    ):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        norm = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
        pad = conv_padding(block)
        self.residual = block.residual
        self.conv = conv(
            in_ch, block.channels, block.kernel, block.stride, pad, bias=not batch_norm
        )
        self.norm = norm(block.channels) if batch_norm else nn.Identity()
        self.act = activation_module(activation)
        if block.residual:
            self.conv2 = conv(
                block.channels, block.channels, block.kernel, 1, pad, bias=not batch_norm
            )
            self.norm2 = norm(block.channels) if batch_norm else nn.Identity()
            needs_projection = in_ch != block.channels or block.stride != 1
            self.skip = (
                conv(in_ch, block.channels, 1, block.stride, 0, bias=False)
                if needs_projection
                else nn.Identity()
            )
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        pools = {
            "max": nn.MaxPool1d if dims == 1 else nn.MaxPool2d,
            "avg": nn.AvgPool1d if dims == 1 else nn.AvgPool2d,
        }
        self.pool = pools[block.pool](block.pool_size) if block.pool != "none" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, C_in, *spatial]
        h = self.act(self.norm(self.conv(x)))
        if self.residual:
            h = self.act(self.norm2(self.conv2(h)) + self.skip(x))
        return self.pool(self.drop(h))


class GlobalPool(nn.Module):
    """Average or max over every axis after the channels; 'none' flattens."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, C, *spatial] → [B, features]
        if x.dim() == 2 or self.mode == "none":
            return x.flatten(1)
        axes = tuple(range(2, x.dim()))
        return x.mean(axes) if self.mode == "avg" else x.amax(axes)


class Net(nn.Module):
    """The module every ModelSpec builds to (see the module docstring for the layout)."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.spec = spec
        dims = {"cnn1d": 1, "cnn2d": 2}.get(spec.kind, 0)
        units: list[nn.Module] = []
        channels = spec.input_shape[0] if dims else 0
        for i, block in enumerate(spec.conv):
            units.append(
                ConvUnit(
                    channels,
                    block,
                    dims=dims,
                    activation=spec.activation_of(i),
                    batch_norm=spec.batch_norm,
                    dropout=spec.dropout_of(i),
                )
            )
            channels = block.channels
        self.features = nn.Sequential(*units)
        self.pool = GlobalPool(spec.global_pool if dims else "none")
        if spec.select is not None:  # chosen by the Trainer on its training rows (choose_inputs)
            self.register_buffer("inputs", torch.full((spec.select,), -1, dtype=torch.int64))
        with torch.no_grad():  # a probe in eval mode: batch norm neither needs nor keeps the
            self.features.eval()  # statistics of one example (of 1×1 images, it has none)
            fan_in = self.pool(self.features(self._read(torch.zeros(1, *spec.input_shape))))
            fan_in = fan_in.shape[1]
            self.features.train()
        dense: list[nn.Module] = []
        for j, width in enumerate(spec.hidden):
            layer = len(spec.conv) + j
            dense.append(
                DenseUnit(
                    fan_in,
                    width,
                    activation=spec.activation_of(layer),
                    batch_norm=spec.batch_norm,
                    dropout=spec.dropout_of(layer),
                )
            )
            fan_in = width
        self.head = nn.Sequential(*dense)
        self.out = nn.Linear(fan_in, spec.num_classes)
        initialize(self, spec.init)

    def _read(self, x: torch.Tensor) -> torch.Tensor:
        """The features the model reads: all, or the ``select`` chosen ones."""
        if self.spec.select is None:
            return x
        return x[:, self.inputs.clamp(min=0)]  # unchosen (a FLOP count, a latency): column 0

    @property
    def inputs_chosen(self) -> bool:
        return self.spec.select is None or bool((self.inputs >= 0).all())

    def choose_inputs(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """Choose the ``select`` features this model reads on its training rows (``x``, ``y``),
        once: a model whose inputs are chosen (trained, loaded, warm-started) keeps them."""
        if not self.inputs_chosen:
            self.inputs.copy_(top_inputs(x, y, self.spec.select).to(self.inputs.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: [B, *input_shape] → [B, classes]
        return self.out(self.head(self.pool(self.features(self._read(x)))))


def initialize(module: nn.Module, scheme: str) -> None:
    """Initialize every Linear/Conv weight by the lecture's variance rules; biases to zero.

    xavier: Var(w) = 2/(fan_in + fan_out) · he: Var(w) = 2/fan_in (ReLU) ·
    lecun_normal: Var(w) = 1/fan_in · default: torch's own initialization (left untouched).
    """
    if scheme == "default":
        return
    for m in module.modules():
        if not isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d):
            continue
        w = m.weight
        if scheme == "xavier_uniform":
            nn.init.xavier_uniform_(w)
        elif scheme == "xavier_normal":
            nn.init.xavier_normal_(w)
        elif scheme == "he_uniform":
            nn.init.kaiming_uniform_(w, nonlinearity="relu")
        elif scheme == "he_normal":
            nn.init.kaiming_normal_(w, nonlinearity="relu")
        elif scheme == "lecun_normal":
            fan_in = w[0].numel()
            nn.init.normal_(w, 0.0, math.sqrt(1.0 / fan_in))
        else:
            raise ValueError(f"unknown init {scheme!r}")
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def build_model(spec: ModelSpec) -> Net:
    """A fresh, initialized module for ``spec`` (seed torch first for reproducibility)."""
    return Net(spec)


def count_parameters(model: nn.Module) -> int:
    """The model's parameters, frozen ones too: a network fine-tuned with ``--freeze features``
    is as large as its base (it was reported as its output layer alone, 303 of 11,103)."""
    return sum(p.numel() for p in model.parameters())


def flops_per_example(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Forward FLOPs of one example: 2 per multiply-add of every Linear and Conv layer."""
    total = 0

    def count(m: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(m, nn.Linear):
            total += 2 * m.in_features * m.out_features
        else:  # conv: each output position does C_in/groups · k… multiply-adds per out channel
            total += 2 * output[0].numel() * (m.in_channels // m.groups) * m.weight[0, 0].numel()

    hooks = [
        m.register_forward_hook(count)
        for m in model.modules()
        if isinstance(m, nn.Linear | nn.Conv1d | nn.Conv2d)
    ]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return total
