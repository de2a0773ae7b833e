"""``StackedNet``: the forward pass of N members of one ``ModelSpec`` as batched operations.

Layer by layer it computes what ``build_model(spec)`` computes for each member, with all members
in one op:

- dense layers as batched matmul in feature-major layout: ``z = baddbmm(b, W, h)`` with
  ``W: [N, out, in]`` (torch's Linear layout, a view of the flat buffer), ``h: [N, in, B]``,
  ``b: [N, out, 1]``. Feature-major keeps the batch as the fast axis, so the softmax of the loss
  and the batch-norm statistics run along contiguous memory, and a weight gradient
  ``dz @ hᵀ`` lands directly in torch's ``[out, in]`` layout. A first layer that every member
  reads from the same batch is ONE matmul ``[N·out, in] @ [in, B]`` (the batch read once);
- conv layers as one batched matmul over im2col columns, ``[N, C_out, C_in·K] @
  [N, C_in·K, S·B]``, with activations channel-major and batch-innermost (``[N, C, *S, B]``).
  Measured on the 2-core CPU for the MNIST-1D CNN (16 members), this runs about twice as fast as
  a grouped convolution (members' channels side by side, ``groups=N``), whose CPU kernel is slow
  for many small groups; a shared first layer is one plain matmul for all members;
- batch norm per member: torch's own kernel with every member's channel (or feature) as one
  channel of ``[1, N·C, S·B]``, so statistics never mix members;
- dropout per member, each with its own rate (``rates: [N]``);
- every activation of ``activation_module``.

The members' parameters arrive as ``[N, *shape]`` tensors (views of the population's flat
buffer), so autograd differentiates all members at once; nothing mixes members. (MLPs train
through ``DenseStep``'s hand-written backward; this forward serves their evaluation.)
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from orthotune.models import ModelSpec, conv_padding

BN_EPS = 1e-5  # torch's BatchNorm default, which build_model uses

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

    def __init__(self, spec: ModelSpec, *, bn_momentum: float):
        self.spec = spec
        self.bn_momentum = bn_momentum  # the sequential Trainer's (train.batch_norm_momentum)
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
                h = _batch_norm(h, params, buffers, p + "norm", train, self.bn_momentum)
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
        """Conv blocks and global pooling: ``[N, features, B]``.

        Activations are channel-major with the batch innermost, ``h: [N, C, *S, B]``
        (``[C, *S, B]`` for a batch every member shares): a convolution is one batched matmul
        over im2col columns whose rows are contiguous runs of B values, batch norm sees each
        member's channel as one channel of ``[1, N·C, S·B]``, and flattening a member's
        ``[C, *S]`` is a view.
        """
        spec = self.spec
        # shared x: [B, C0, *S] → [C0, *S, B]; own x: [N, B, C0, *S] → [N, C0, *S, B]
        h = x.movedim(0, -1) if shared else x.movedim(1, -1)
        for i, block in enumerate(spec.conv):
            p = f"features.{i}."
            pad = conv_padding(block)
            inp = h
            h = self._conv(h, params, p + "conv", block.stride, pad)
            if spec.batch_norm:
                h = _batch_norm(h, params, buffers, p + "norm", train, self.bn_momentum)
            act = _ACTIVATIONS[spec.activation_of(i)]
            h = act(h)
            if block.residual:
                h = self._conv(h, params, p + "conv2", 1, pad)
                if spec.batch_norm:
                    h = _batch_norm(h, params, buffers, p + "norm2", train, self.bn_momentum)
                if p + "skip.weight" in params:
                    skip = self._conv(inp, params, p + "skip", block.stride, 0)
                else:  # identity ([C, *S, B] of a shared input broadcasts over the members)
                    skip = inp
                h = act(h + skip)
            h = _dropout(h, drop_rates[i], train, generator)
            if block.pool != "none":
                h = self._pool(h, block.pool, block.pool_size)
        # h: [N, C, *S, B] → [N, features, B]
        if spec.global_pool == "none":  # each member's [C, *S] flattened, as Net.pool does
            return h.reshape(n, -1, h.shape[-1])
        axes = tuple(range(2, h.dim() - 1))
        return h.mean(axes) if spec.global_pool == "avg" else h.amax(axes)  # [N, C, B]

    def _conv(
        self, h: torch.Tensor, params: Params, name: str, stride: int, padding: int
    ) -> torch.Tensor:
        """Convolution of every member as one matmul over im2col columns.

        h: [N, C_in, *S, B], or [C_in, *S, B] when every member reads the same batch →
        [N, C_out, *S_out, B]. Columns ``[N, C_in·K, S_out·B]`` (K = kernel size) meet
        ``W: [N, C_out, C_in·K]`` in one bmm; a shared input is unfolded once and meets all
        members' kernels in one ``[N·C_out, C_in·K]`` matmul.
        """
        w = params[name + ".weight"]  # [N, C_out, C_in, *k]
        b = params.get(name + ".bias")  # [N, C_out] or None
        n, c_out = w.shape[:2]
        kernel = tuple(w.shape[3:])
        cols, spatial_out = _Im2Col.apply(h, kernel, stride, padding)  # [.., C·K, S_out·B]
        batch = h.shape[-1]
        if cols.dim() == 2:  # shared input
            w2 = w.reshape(n * c_out, -1)  # [N·C_out, C·K]
            z = torch.mm(w2, cols) if b is None else torch.addmm(b.reshape(-1, 1), w2, cols)
        else:
            w3 = w.flatten(2)  # [N, C_out, C·K]
            z = torch.bmm(w3, cols) if b is None else torch.baddbmm(b.unsqueeze(-1), w3, cols)
        return z.view(n, c_out, *spatial_out, batch)

    def _pool(self, h: torch.Tensor, mode: str, size: int) -> torch.Tensor:
        """Max/avg pooling (window = stride = size, floor), as nn.MaxPool/AvgPool, over the
        spatial dims of h [N, C, *S, B]."""
        for axis in range(2, 2 + self.dims):
            keep = (h.shape[axis] // size) * size
            h = h.narrow(axis, 0, keep)
            shape = list(h.shape)
            h = h.reshape(*shape[:axis], keep // size, size, *shape[axis + 1 :])
            h = h.amax(axis + 1) if mode == "max" else h.mean(axis + 1)
        return h


class _Im2Col(torch.autograd.Function):
    """im2col for channel-major, batch-innermost activations ``[.., C, *S, B]``.

    Column (c, taps) holds, for every output position and example, the input at that tap: one
    strided slice of the padded input per kernel tap, each a run of contiguous B-rows, stacked
    (no gather). Backward (col2im) adds each tap's gradient back into its strided slice.
    """

    @staticmethod
    def forward(ctx, h, kernel, stride, padding):
        d = len(kernel)
        lead = h.dim() - d - 1  # dims before the spatial ones: [N, C] or [C]
        spatial = h.shape[lead : lead + d]
        if padding:
            pads = [0, 0] + [padding, padding] * d  # the batch dim is last: not padded
            h = F.pad(h, pads)
        padded = h.shape[lead : lead + d]
        out = tuple((p - k) // stride + 1 for p, k in zip(padded, kernel, strict=True))
        taps = []
        for offsets in _taps(kernel):
            view = h
            for axis, (o, so) in enumerate(zip(offsets, out, strict=True)):
                view = view.narrow(lead + axis, o, (so - 1) * stride + 1)
                if stride > 1:
                    view = view.unfold(lead + axis, 1, stride).squeeze(-1)
            taps.append(view)
        cols = torch.stack(taps, dim=lead)  # [.., C, K, *S_out, B]
        ctx.meta = (h.shape, lead, kernel, stride, padding, spatial, out)
        ctx.set_materialize_grads(True)
        flat = cols.reshape(*h.shape[: lead - 1], -1, _prod(out) * h.shape[-1])
        return flat, out

    @staticmethod
    def backward(ctx, grad, _grad_shape):
        padded_shape, lead, kernel, stride, padding, spatial, out = ctx.meta
        d = len(kernel)
        k = _prod(kernel)
        g = grad.reshape(
            *padded_shape[: lead - 1], padded_shape[lead - 1], k, *out, padded_shape[-1]
        )
        gx = grad.new_zeros(padded_shape)
        for t, offsets in enumerate(_taps(kernel)):
            view = gx
            for axis, (o, so) in enumerate(zip(offsets, out, strict=True)):
                view = view.narrow(lead + axis, o, (so - 1) * stride + 1)
                if stride > 1:
                    view = view.unfold(lead + axis, 1, stride).squeeze(-1)
            view.add_(g.select(lead, t))
        if padding:
            for axis in range(d):
                gx = gx.narrow(lead + axis, padding, spatial[axis])
        return gx, None, None, None


def _taps(kernel: tuple[int, ...]):
    """Every kernel offset, in torch's weight order (row-major over the kernel dims)."""
    offsets: list[tuple[int, ...]] = [()]
    for k in kernel:
        offsets = [(*o, j) for o in offsets for j in range(k)]
    return offsets


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= int(v)
    return out


def _batch_norm(
    h: torch.Tensor,
    params: Params,
    buffers: Mapping[str, torch.Tensor],
    name: str,
    train: bool,
    momentum: float,
) -> torch.Tensor:
    """torch's batch norm with every member's channel (or feature) as one channel.

    h: [N, C, B, *S] (conv) or [N, F, B] (dense), seen as [1, N·C, B·S]: the statistics of one
    channel are taken over one member's examples only.
    """
    shape = h.shape
    out = F.batch_norm(
        h.reshape(1, shape[0] * shape[1], -1),
        buffers[name + ".running_mean"].view(-1),  # [N·C], updated in place
        buffers[name + ".running_var"].view(-1),
        params[name + ".weight"].flatten(),
        params[name + ".bias"].flatten(),
        train,
        momentum,
        BN_EPS,
    )
    return out.view(shape)


def _dropout(
    h: torch.Tensor,
    rates: torch.Tensor | None,
    train: bool,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Inverted dropout with one rate per member (``rates: [N]``), as ``nn.Dropout``.

    h: [N, …] (dense [N, F, B] or conv [N, C, B, *S]).
    """
    if rates is None or not train:
        return h
    p = rates.view(-1, *([1] * (h.dim() - 1)))  # [N, 1, …]
    u = torch.rand(h.shape, generator=generator, dtype=h.dtype, device=h.device)
    keep = (u >= p).to(h.dtype)
    return h * keep / (1.0 - p)
