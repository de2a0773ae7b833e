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
from orthotune.population._network import BN_EPS
from orthotune.train import FOCAL_FLOOR

_FORWARD = {
    "relu": torch.relu,
    "leaky_relu": F.leaky_relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
}


_IN_PLACE = {"relu": torch.relu_, "tanh": torch.tanh_, "sigmoid": torch.sigmoid_}


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

    def __init__(self, spec: ModelSpec, *, bn_momentum: float):
        self.spec = spec
        self.bn_momentum = bn_momentum  # the sequential Trainer's (train.batch_norm_momentum)
        self.depth = len(spec.hidden)
        self.acts = [spec.activation_of(j) for j in range(self.depth)]
        self._workspace: dict[tuple, dict[str, torch.Tensor]] = {}

    def reset(self) -> None:
        """Drop the work buffers (the population's size changed)."""
        self._workspace.clear()

    def scratch_bytes(self) -> int:
        return sum(b.numel() * b.element_size() for b in self._workspace.values())

    def _buffer(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """A scratch tensor reused from step to step (same shapes → the same memory, still warm
        in cache, and no allocation per step). Keyed by shape, dtype and device."""
        key = (name, shape, like.dtype, like.device)
        buf = self._workspace.get(key)
        if buf is None:
            if len(self._workspace) > 64:  # many batch sizes seen: start afresh
                self._workspace.clear()
            buf = self._workspace[key] = torch.empty(shape, dtype=like.dtype, device=like.device)
        return buf

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
        smoothing: torch.Tensor | None = None,
        focal: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's loss ``[N]`` and misclassified count ``[N]``; gradients written into
        ``grads`` (views ``[N, *shape]``) and batch-norm running statistics updated in place.

        x: ``[B, *input_shape]`` (shared) or ``[N, B, *input_shape]``; y: ``[B]`` / ``[N, B]``;
        weights: example weights shaped like y, or None. smoothing: each member's label
        smoothing ε ``[N, 1]``, or None. focal: each member's focal γ ``[N, 1]``, or None.
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
            w = params[p + "linear.weight"]
            z = self._buffer(f"z{j}", (n, w.shape[1], batch), w)
            _linear(h, w, params.get(p + "linear.bias"), first, out=z)
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
                    self.bn_momentum,
                    BN_EPS,
                )
                bn_saved.append((flat, save_mean, save_invstd))
                z = out.view(n, width, batch)
            if self.acts[j] in _IN_PLACE:  # backward needs only the output: overwrite z
                a = _IN_PLACE[self.acts[j]](z)
            else:
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
        logits = self._buffer("logits", (n, w_out.shape[1], batch), w_out)
        _linear(h, w_out, params["out.bias"], out_shared, out=logits)  # [N, C, B]
        # ---- loss: Σ s·ℓ / Σ s per member (mean without weights)
        log_p = torch.log_softmax(logits, dim=1)  # [N, C, B]
        y_idx = (y.view(1, 1, batch) if y.dim() == 1 else y.unsqueeze(1)).expand(n, 1, batch)

        nll = -log_p.gather(1, y_idx).squeeze(1)  # [N, B]
        # misclassified: some class beats the true one (amax along C is vectorized over B,
        # where argmax is not)
        wrong = (log_p.amax(1) > -nll).sum(1)  # [N]
        log_pt = -nll  # [N, B] log p_t
        if smoothing is not None:  # ℓ = (1 − ε)·nll + ε·mean over classes of −log p
            nll = (1 - smoothing) * nll - smoothing * log_p.mean(1)
        if focal is not None:  # L = f·ℓ, f = (1 − p_t)^γ (train/_loss.py)
            miss = -torch.expm1(log_pt)  # 1 − p_t
            floored = miss.clamp(min=FOCAL_FLOOR)
            f = floored**focal  # [N, B]
            # ℓ·df/dz = g·(p − onehot), g = γ·(1 − p_t)^(γ−1)·p_t·ℓ (0 where the floor holds)
            g = focal * (f / floored) * log_pt.exp() * nll * (miss >= FOCAL_FLOOR)
            nll = f * nll
        if weights is None:
            scale = torch.full((1, 1, batch), 1.0 / batch, dtype=logits.dtype, device=x.device)
            loss = nll.mean(1)
        else:
            s = weights.to(logits.dtype)
            s = s.view(1, batch) if s.dim() == 1 else s  # [1 or N, B]
            # a batch whose weights are all zero: a zero loss and gradient, not 0/0 (NaN)
            total = s.sum(1, keepdim=True).clamp(min=torch.finfo(s.dtype).tiny)
            scale = (s / total).unsqueeze(1)  # [1 or N, 1, B]
            loss = (nll * scale.squeeze(1)).sum(1)
        # ---- backward: dℓ/dlogits = softmax − target, times s/Σs; the target is the one-hot,
        # or (1 − ε)·one-hot + ε/C when smoothing. Focal: dL/dz = f·(p − target) + g·(p − onehot)
        dz = log_p.exp_()  # [N, C, B] (log_p no longer needed)
        if focal is not None:
            eps = 0.0 if smoothing is None else smoothing  # [N, 1]
            dz.mul_((f + g).unsqueeze(1))
            dz.scatter_add_(1, y_idx, (-(f * (1 - eps) + g)).unsqueeze(1))
            if smoothing is not None:
                dz.sub_((f * smoothing / dz.shape[1]).unsqueeze(1))
        elif smoothing is None:
            dz.scatter_add_(1, y_idx, torch.full_like(nll, -1.0).unsqueeze(1))
        else:
            hit = (smoothing - 1).expand(n, batch).unsqueeze(1)  # [N, 1, B]
            dz.scatter_add_(1, y_idx, hit.contiguous())
            dz.sub_((smoothing / dz.shape[1]).unsqueeze(2))
        dz.mul_(scale)
        self._weight_grad(dz, inputs[-1], grads["out.weight"], out_shared)  # [N, C, w]
        torch.sum(dz, 2, out=grads["out.bias"])  # [N, C]
        if self.depth == 0:
            return loss, wrong
        da = self._buffer(f"da{self.depth - 1}", (n, w_out.shape[2], batch), w_out)
        torch.bmm(w_out.transpose(1, 2), dz, out=da)  # [N, w, B]
        for j in reversed(range(self.depth)):
            p = f"head.{j}."
            if masks[j] is not None:
                da.mul_(masks[j])
            if self.acts[j] == "relu":  # in place: da ← da ⊙ [a > 0]
                dz = torch.ops.aten.threshold_backward.grad_input(da, post[j], 0, grad_input=da)
            else:
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
            self._weight_grad(dz, inputs[j], grads[p + "linear.weight"], shared and j == 0)
            if p + "linear.bias" in grads:
                torch.sum(dz, 2, out=grads[p + "linear.bias"])
            if j > 0:
                w = params[p + "linear.weight"]
                da = self._buffer(f"da{j - 1}", (n, w.shape[2], batch), w)
                torch.bmm(w.transpose(1, 2), dz, out=da)  # [N, in, B]
        return loss, wrong

    def _weight_grad(
        self, dz: torch.Tensor, h: torch.Tensor, out: torch.Tensor, shared: bool
    ) -> None:
        """dW = dz · hᵀ into ``out: [N, out, in]``; dz: [N, out, B]; h: [in, B] when shared.

        ``out`` is a strided view of the flat gradient buffer: the matmul writes a contiguous
        scratch result that is copied in (faster than a matmul writing to strided memory)."""
        scratch = self._buffer("dW", tuple(out.shape), out)
        if shared:  # one [N·out, B] @ [B, in] matmul
            torch.mm(dz.reshape(-1, dz.shape[2]), h.t(), out=scratch.view(-1, out.shape[2]))
        else:
            torch.bmm(dz, h.transpose(1, 2), out=scratch)
        out.copy_(scratch)


def _linear(
    h: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, shared: bool, *, out: torch.Tensor
) -> None:
    """out = W·h + b: [N, out, B]; h [in, B] when shared (one big matmul) else [N, in, B]."""
    n, width, _ = w.shape
    if shared:
        w2 = w.reshape(n * width, -1)  # [N·out, in]
        flat = out.view(n * width, -1)
        if b is None:
            torch.mm(w2, h, out=flat)
        else:
            torch.addmm(b.reshape(n * width, 1), w2, h, out=flat)
    elif b is None:
        torch.bmm(w, h, out=out)
    else:
        torch.baddbmm(b.unsqueeze(-1), w, h, out=out)
