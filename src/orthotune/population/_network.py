"""``StackedNet``: the forward pass of N members of one ``ModelSpec`` as batched operations.

Layer by layer it computes what ``build_model(spec)`` computes for each member, with all members
in one op:

- dense layers as batched matmul in feature-major layout: ``z = baddbmm(b, W, h)`` with
  ``W: [N, out, in]`` (torch's Linear layout, a view of the flat buffer), ``h: [N, in, B]``,
  ``b: [N, out, 1]``. Feature-major keeps the batch as the fast axis, so the softmax of the loss
  and the batch-norm statistics run along contiguous memory, and a weight gradient
  ``dz @ hᵀ`` lands directly in torch's ``[out, in]`` layout. A first layer that every member
  reads from the same batch is ONE matmul ``[N·out, in] @ [in, B]`` (the batch read once);
- conv layers as grouped convolution: the members' channels side by side,
  ``h: [B, N·C, *spatial]`` and ``groups=N``; a first layer fed the same batch by every member is
  one plain convolution with ``N·C_out`` output channels;
- batch norm per member: torch's own kernel over ``N·C`` channels (one channel = one member's
  channel or feature), so statistics never mix members;
- dropout per member, each with its own rate (``rates: [N]``);
- every activation of ``activation_module``.

The members' parameters arrive as ``[N, *shape]`` tensors (views of the population's flat
buffer), so autograd differentiates all members at once; nothing mixes members.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from orthotune.models import ModelSpec
from orthotune.models._build import conv_padding

BN_MOMENTUM = 0.1  # torch's BatchNorm defaults, which build_model uses
BN_EPS = 1e-5

_ACTIVATIONS = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,  # negative slope 0.01, as nn.LeakyReLU
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
}

Params = Mapping[str, torch.Tensor]


class StackedNet:
    """Forward of N stacked members; holds only the architecture (no tensors)."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.dims = {"cnn1d": 1, "cnn2d": 2}.get(spec.kind, 0)
        self.num_layers = spec.num_layers

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        x: torch.Tensor,
        params: Params,
        buffers: Mapping[str, torch.Tensor],
        drop_rates: list[torch.Tensor | None],
        *,
        shared: bool,
        train: bool,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Logits ``[N, classes, B]`` (feature-major).

        x: ``[B, *input_shape]`` when ``shared`` (every member sees the same batch), else
        ``[N, B, *input_shape]``. ``drop_rates[layer]``: ``[N]`` rates or None (no dropout).
        In train mode batch norm uses batch statistics and updates ``buffers`` in place.
        """
        n = params["out.weight"].shape[0]
        spec = self.spec
        if self.dims:
            h = self._features(x, params, buffers, drop_rates, n, shared, train, generator)
            shared = False
        elif shared:
            h = x.flatten(1).t()  # [F, B], the same for every member
        else:
            h = x.flatten(2).transpose(1, 2)  # [N, F, B]
        for j in range(len(spec.hidden)):
            layer = len(spec.conv) + j
            p = f"head.{j}."
            h = self._dense(h, params, p + "linear", shared=shared)  # [N, width, B]
            shared = False
            if spec.batch_norm:
                h = _batch_norm(h, params, buffers, p + "norm", train)
            h = _ACTIVATIONS[spec.activation_of(layer)](h)
            h = _dropout(h, drop_rates[layer], train, generator)
        return self._dense(h, params, "out", shared=shared)  # [N, classes, B]

    # ------------------------------------------------------------------ dense layers
    @staticmethod
    def _dense(h: torch.Tensor, params: Params, name: str, *, shared: bool) -> torch.Tensor:
        """z = W·h + b for every member: [N, out, B]."""
        w = params[name + ".weight"]  # w: [N, out, in]
        b = params.get(name + ".bias")  # b: [N, out] or None (followed by batch norm)
        n, out, _ = w.shape
        if shared:  # h: [in, B] read by every member: one [N·out, in] @ [in, B] matmul
            w2 = w.reshape(n * out, -1)  # [N·out, in]
            z = torch.mm(w2, h) if b is None else torch.addmm(b.reshape(n * out, 1), w2, h)
            return z.view(n, out, -1)
        if b is None:
            return torch.bmm(w, h)  # [N, out, B]
        return torch.baddbmm(b.unsqueeze(-1), w, h)  # [N, out, B]

    # ------------------------------------------------------------------ conv layers
    def _features(
        self,
        x: torch.Tensor,
        params: Params,
        buffers: Mapping[str, torch.Tensor],
        drop_rates: list[torch.Tensor | None],
        n: int,
        shared: bool,
        train: bool,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """Conv blocks and global pooling: ``[N, B, features]``."""
        spec = self.spec
        # shared x: [B, C0, *S] (one plain convolution serves every member);
        # own x: [N, B, C0, *S] → [B, N·C0, *S]
        h = x if shared else x.transpose(0, 1).flatten(1, 2)
        for i, block in enumerate(spec.conv):
            p = f"features.{i}."
            pad = conv_padding(block)
            inp, inp_shared = h, shared
            h = self._conv(h, params, p + "conv", n, block.stride, pad, shared=shared)
            shared = False
            if spec.batch_norm:
                h = _batch_norm(h, params, buffers, p + "norm", train)
            act = _ACTIVATIONS[spec.activation_of(i)]
            h = act(h)
            if block.residual:
                h = self._conv(h, params, p + "conv2", n, 1, pad, shared=False)
                if spec.batch_norm:
                    h = _batch_norm(h, params, buffers, p + "norm2", train)
                if p + "skip.weight" in params:
                    skip = self._conv(
                        inp, params, p + "skip", n, block.stride, 0, shared=inp_shared
                    )
                elif inp_shared:  # identity skip of a shared input: every member adds it
                    skip = inp.repeat(1, n, *([1] * self.dims))
                else:
                    skip = inp
                h = act(h + skip)
            h = _dropout(h, drop_rates[i], train, generator, conv=True)
            if block.pool != "none":
                pool = {
                    ("max", 1): F.max_pool1d,
                    ("avg", 1): F.avg_pool1d,
                    ("max", 2): F.max_pool2d,
                    ("avg", 2): F.avg_pool2d,
                }[(block.pool, self.dims)]
                h = pool(h, block.pool_size)
        # h: [B, N·C, *S] → [N, features, B]
        batch = h.shape[0]
        if spec.global_pool == "none":  # each member's [C, *S] flattened, as Net.pool does
            return h.reshape(batch, n, -1).permute(1, 2, 0)
        axes = tuple(range(2, h.dim()))
        h = h.mean(axes) if spec.global_pool == "avg" else h.amax(axes)  # [B, N·C]
        return h.t().view(n, -1, batch)

    def _conv(
        self,
        h: torch.Tensor,
        params: Params,
        name: str,
        n: int,
        stride: int,
        padding: int,
        *,
        shared: bool,
    ) -> torch.Tensor:
        """Grouped convolution of every member. h: [B, N·C_in, *S] (or [B, C_in, *S] shared)."""
        w = params[name + ".weight"]  # [N, C_out, C_in, *k]
        b = params.get(name + ".bias")  # [N, C_out] or None
        weight = w.flatten(0, 1)  # [N·C_out, C_in, *k]
        bias = None if b is None else b.flatten()  # [N·C_out]
        conv = F.conv1d if self.dims == 1 else F.conv2d
        return conv(h, weight, bias, stride, padding, 1, 1 if shared else n)


def _batch_norm(
    h: torch.Tensor,
    params: Params,
    buffers: Mapping[str, torch.Tensor],
    name: str,
    train: bool,
) -> torch.Tensor:
    """torch's batch norm with every member's channel (or feature) as one channel.

    h: [B, N·C, *S] (conv) or [N, F, B] (dense, seen as [1, N·F, B]): either way the
    statistics of one channel are taken over one member's examples only.
    """
    shape = h.shape
    if h.shape[1] != buffers[name + ".running_mean"].numel():  # dense [N, F, B]
        h = h.reshape(1, -1, shape[-1])
    out = F.batch_norm(
        h,
        buffers[name + ".running_mean"].view(-1),  # [N·C], updated in place
        buffers[name + ".running_var"].view(-1),
        params[name + ".weight"].flatten(),
        params[name + ".bias"].flatten(),
        train,
        BN_MOMENTUM,
        BN_EPS,
    )
    return out.view(shape)


def _dropout(
    h: torch.Tensor,
    rates: torch.Tensor | None,
    train: bool,
    generator: torch.Generator | None,
    *,
    conv: bool = False,
) -> torch.Tensor:
    """Inverted dropout with one rate per member (``rates: [N]``), as ``nn.Dropout``.

    h: [N, F, B] (dense) or, when ``conv``, [B, N·C, *S] (each member owns C channels).
    """
    if rates is None or not train:
        return h
    n = rates.shape[0]
    if not conv:
        p = rates.view(n, 1, 1)  # [N, 1, 1]
    else:
        per_channel = rates.repeat_interleave(h.shape[1] // n)  # [N·C]
        p = per_channel.view(1, -1, *([1] * (h.dim() - 2)))  # [1, N·C, 1…]
    u = torch.rand(h.shape, generator=generator, dtype=h.dtype, device=h.device)
    keep = (u >= p).to(h.dtype)
    return h * keep / (1.0 - p)
