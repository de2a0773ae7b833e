"""``DenseStep``: one training step of stacked MLP members with a hand-written backward pass.

For MLPs (the common search case) autograd's bookkeeping, its fresh gradient tensors and the
copy of those into the flat gradient buffer cost as much as a good part of the arithmetic. This
step computes the same forward as ``StackedNet`` (feature-major: ``h: [N, F, B]``), then the
backward with the same kernels autograd would call (bmm, ``*_backward`` activation ops,
``native_batch_norm_backward``), writing every gradient straight into its slice of the
population's flat buffer ``grad: [N, P]``.

Backward of one dense unit (a = act(BN(W·h + b)), dropout mask d):

    da ← da ⊙ d                      dropout
    dz = act'(z) ⊙ da                activation (kernel of torch's autograd)
    dz, dγ, dβ = BN⁻¹(dz)            batch norm per member (torch's kernel, N·F channels)
    dW = dz · hᵀ   [N, out, in]      written into grad[:, slot]
    db = Σ_B dz    [N, out]
    dh = Wᵀ · dz   [N, in, B]        (not for the first layer)
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from orthotune.models import ModelSpec
from orthotune.population._network import BN_EPS, BN_MOMENTUM

_FORWARD = {
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
}


def _act_backward(name: str, grad: torch.Tensor, z: torch.Tensor, a: torch.Tensor):
    """dL/dz from dL/da for a = act(z) (torch's own backward kernels)."""
    aten = torch.ops.aten
    if name == "relu":
        return aten.threshold_backward(grad, a, 0)
    if name == "leaky_relu":
        return aten.leaky_relu_backward(grad, z, 0.01, False)
    if name == "tanh":
        return aten.tanh_backward(grad, a)
    if name == "sigmoid":
        return aten.sigmoid_backward(grad, a)
    if name == "gelu":
        return aten.gelu_backward(grad, z, approximate="none")
    return aten.silu_backward(grad, z)


class DenseStep:
    """Loss and gradients of every member of a stacked MLP; no autograd graph."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.depth = len(spec.hidden)
        self.acts = [spec.activation_of(j) for j in range(self.depth)]

    @torch.no_grad()
    def __call__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        weights: torch.Tensor | None,
        params: Mapping[str, torch.Tensor],
        grads: Mapping[str, torch.Tensor],
        buffers: Mapping[str, torch.Tensor],
        drop_rates: list[torch.Tensor | None],
        *,
        shared: bool,
        generator: torch.Generator | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's loss ``[N]`` and misclassified count ``[N]``; gradients written into
        ``grads`` (views ``[N, *shape]``) and batch-norm running statistics updated in place.

        x: ``[B, *input_shape]`` (shared) or ``[N, B, *input_shape]``; y: ``[B]`` / ``[N, B]``;
        weights: example weights shaped like y, or None.
        """
        spec = self.spec
        w_out = params["out.weight"]  # [N, C, w]
        n = w_out.shape[0]
        # ---- forward, keeping what the backward needs
        h0 = x.flatten(1) if shared else x.flatten(2).transpose(1, 2)  # [B, F] or [N, F, B]
        batch = h0.shape[0] if shared else h0.shape[2]
        inputs, pre, post, masks, bn_saved = [], [], [], [], []
        h = h0.t() if shared else h0  # [F, B] or [N, F, B]
        for j in range(self.depth):
            p = f"head.{j}."
            inputs.append(h)
            first = shared and j == 0  # h: [F, B], the same batch for every member
            z = _linear(h, params[p + "linear.weight"], params.get(p + "linear.bias"), first)
            if spec.batch_norm:
                width = z.shape[1]
                flat = z.view(1, n * width, batch)  # each member's feature is one channel
                out, save_mean, save_invstd = torch.native_batch_norm(
                    flat,
                    params[p + "norm.weight"].flatten(),
                    params[p + "norm.bias"].flatten(),
                    buffers[p + "norm.running_mean"].view(-1),
                    buffers[p + "norm.running_var"].view(-1),
                    True,
                    BN_MOMENTUM,
                    BN_EPS,
                )
                bn_saved.append((flat, save_mean, save_invstd))
                z = out.view(n, width, batch)
            a = _FORWARD[self.acts[j]](z)
            pre.append(z)
            post.append(a)
            rates = drop_rates[spec.num_layers - self.depth + j]
            if rates is not None:
                u = torch.rand(a.shape, generator=generator, dtype=a.dtype, device=a.device)
                p_ = rates.view(n, 1, 1)
                mask = (u >= p_).to(a.dtype).div_(1.0 - p_)  # keep / (1 − p)
                masks.append(mask)
                a = a * mask
            else:
                masks.append(None)
            h = a
        inputs.append(h)
        out_shared = shared and self.depth == 0
        logits = _linear(h, w_out, params["out.bias"], out_shared)  # [N, C, B]
        # ---- loss: Σ s·ℓ / Σ s per member (mean without weights)
        log_p = torch.log_softmax(logits, dim=1)  # [N, C, B]
        y_idx = (y.view(1, 1, batch) if y.dim() == 1 else y.unsqueeze(1)).expand(n, 1, batch)
        wrong = (logits.argmax(1, keepdim=True) != y_idx).sum((1, 2))  # [N]
        nll = -log_p.gather(1, y_idx).squeeze(1)  # [N, B]
        if weights is None:
            scale = torch.full((1, 1, batch), 1.0 / batch, dtype=logits.dtype, device=x.device)
            loss = nll.mean(1)
        else:
            s = weights.to(logits.dtype)
            s = s.view(1, batch) if s.dim() == 1 else s  # [1 or N, B]
            scale = (s / s.sum(1, keepdim=True)).unsqueeze(1)  # [1 or N, 1, B]
            loss = (nll * scale.squeeze(1)).sum(1)
        # ---- backward: dℓ/dlogits = softmax − onehot, times s/Σs
        dz = log_p.exp_()  # [N, C, B] (log_p no longer needed)
        dz.scatter_add_(1, y_idx, torch.full_like(nll, -1.0).unsqueeze(1))
        dz.mul_(scale)
        _weight_grad(dz, inputs[-1], grads["out.weight"], out_shared)  # [N, C, w]
        torch.sum(dz, 2, out=grads["out.bias"])  # [N, C]
        if self.depth == 0:
            return loss, wrong
        da = torch.bmm(w_out.transpose(1, 2), dz)  # [N, w, B]
        for j in reversed(range(self.depth)):
            p = f"head.{j}."
            if masks[j] is not None:
                da.mul_(masks[j])
            dz = _act_backward(self.acts[j], da, pre[j], post[j])
            if spec.batch_norm:
                flat, save_mean, save_invstd = bn_saved[j]
                width = dz.shape[1]
                d_flat, d_gamma, d_beta = torch.ops.aten.native_batch_norm_backward(
                    dz.view(1, n * width, batch),
                    flat,
                    params[p + "norm.weight"].flatten(),
                    buffers[p + "norm.running_mean"].view(-1),
                    buffers[p + "norm.running_var"].view(-1),
                    save_mean,
                    save_invstd,
                    True,
                    BN_EPS,
                    [True, True, True],
                )
                grads[p + "norm.weight"].copy_(d_gamma.view(n, width))
                grads[p + "norm.bias"].copy_(d_beta.view(n, width))
                dz = d_flat.view(n, width, batch)
            _weight_grad(dz, inputs[j], grads[p + "linear.weight"], shared and j == 0)
            if p + "linear.bias" in grads:
                torch.sum(dz, 2, out=grads[p + "linear.bias"])
            if j > 0:
                da = torch.bmm(params[p + "linear.weight"].transpose(1, 2), dz)  # [N, in, B]
        return loss, wrong


def _weight_grad(dz: torch.Tensor, h: torch.Tensor, out: torch.Tensor, shared: bool) -> None:
    """dW = dz · hᵀ into ``out: [N, out, in]``; dz: [N, out, B]; h: [in, B] when shared."""
    if shared:  # one [N·out, B] @ [B, in] matmul
        out.copy_(torch.mm(dz.reshape(-1, dz.shape[2]), h.t()).view_as(out))
    else:
        torch.bmm(dz, h.transpose(1, 2), out=out)


def _linear(h: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, shared: bool):
    """z = W·h + b: [N, out, B]; h [in, B] when shared (one big matmul) else [N, in, B]."""
    n, out, _ = w.shape
    if shared:
        w2 = w.reshape(n * out, -1)  # [N·out, in]
        z = torch.mm(w2, h) if b is None else torch.addmm(b.reshape(n * out, 1), w2, h)
        return z.view(n, out, -1)
    if b is None:
        return torch.bmm(w, h)
    return torch.baddbmm(b.unsqueeze(-1), w, h)
