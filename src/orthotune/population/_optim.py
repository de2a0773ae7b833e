"""``StackedOptimizer``: SGD, momentum, Nesterov, RMSprop, Adam and AdamW for N members at once.

Each update is written once, over the flat buffers ``theta, grad: [N, P]`` and the optimizer
state (same shape), with every per-member hyperparameter a column ``[N, 1]``. The formulas are
torch.optim's single-tensor updates, operation for operation (so that a member equals a
``torch.optim`` run of the same model to rounding):

    L2 (coupled; sgd, rmsprop, adam):  g ← g + λ/m · W        (weights only, not biases/BN)
    sgd / momentum / nesterov:         b ← μ·b + g;  d = g + μ·b (Nesterov) or b;  W ← W − α·d
                                       (μ = 0 is plain SGD: b = g)
    rmsprop:                           s ← β·s + (1−β)·g²;  W ← W − α · g / (√s + ε)
    adam:                              m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)·g²
                                       W ← W − α/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + ε)
    adamw:                             W ← W·(1 − α·λ/m), then adam without the L2 term

Scratch buffers are allocated once per shape, so a step allocates no full-size tensor.
"""

from __future__ import annotations

import torch

from orthotune.population._hparams import HyperParameters

FUSED_MIN_PARAMETERS = 2048  # below this a per-member call costs more than it saves

_STATE_NAMES = {
    "sgd": ("momentum_buffer",),
    "rmsprop": ("square_avg",),
    "adam": ("exp_avg", "exp_avg_sq"),
    "adamw": ("exp_avg", "exp_avg_sq"),
}


class StackedOptimizer:
    """Optimizer state of N members and the vectorized update."""

    def __init__(
        self,
        family: str,
        n: int,
        p: int,
        *,
        dtype: torch.dtype,
        device: torch.device,
        momentum: bool = True,
    ):
        self.family = family
        names = _STATE_NAMES[family] if family != "sgd" or momentum else ()
        # state tensors: [N, P] each (plain SGD keeps none, as torch.optim.SGD)
        self.state = {name: torch.zeros(n, p, dtype=dtype, device=device) for name in names}
        # steps taken by each member (Adam's bias correction); float64 [N] on the host.
        self.steps = [0] * n
        # the same counts on the device, [N, 1] float64, for the unfused Adam's bias correction
        # (a copy from the host every step would wait for the GPU's queue)
        self._steps = torch.zeros(n, 1, dtype=torch.float64, device=device)
        # Adam on CPU: torch's fused single-pass kernel over all members at once (see
        # _adam_fused), where the plain vectorized update streams the [N, P] state 8 times.
        self.fused = (
            family in ("adam", "adamw")
            and torch.device(device).type == "cpu"
            and p >= FUSED_MIN_PARAMETERS
            and hasattr(torch, "_fused_adam_")
        )
        self._tmp = torch.empty(
            n if family in ("rmsprop", "adam", "adamw") else 0, p, dtype=dtype, device=device
        )
        self._rows()

    # ---------------------------------------------------------------- bookkeeping
    def select(self, slots: torch.Tensor) -> None:
        """Keep only the members at ``slots`` (compaction)."""
        self.state = {k: v.index_select(0, slots) for k, v in self.state.items()}
        self.steps = [self.steps[i] for i in slots.tolist()]
        self._steps = self._steps.index_select(0, slots)
        if self._tmp.shape[0]:
            self._tmp = self._tmp.new_empty(len(self.steps), self._tmp.shape[1])
        self._rows()

    def _rows(self) -> None:
        """Per-member [P] views of the Adam state (for the fused per-row kernel)."""
        if not self.fused:
            return
        self._m_rows = list(self.state["exp_avg"].unbind(0))
        self._v_rows = list(self.state["exp_avg_sq"].unbind(0))

    def copy_member(self, src: int, dst: int) -> None:
        for v in self.state.values():
            v[dst].copy_(v[src])
        self.steps[dst] = self.steps[src]
        self._steps[dst] = self._steps[src]

    def scratch_bytes(self) -> int:
        return self._tmp.numel() * self._tmp.element_size()

    def state_bytes(self) -> int:
        return sum(v.numel() * v.element_size() for v in self.state.values())

    # ---------------------------------------------------------------- the update
    @torch.no_grad()
    def step(
        self,
        theta: torch.Tensor,
        grad: torch.Tensor,
        hp: HyperParameters,
        lr: torch.Tensor,
        *,
        num_decayed: int,
    ) -> None:
        """One update of every member. theta, grad: [N, P]; lr: [N, 1] (α0 · schedule).

        ``theta[:, :num_decayed]`` are the weights L2 decays. ``grad`` is overwritten.
        """
        dtype = theta.dtype
        self.steps = [s + 1 for s in self.steps]
        self._steps.add_(1)
        neg_lr = (-lr).to(dtype)  # [N, 1]
        decayed_w = theta[:, :num_decayed]  # [N, D]
        if hp.any_decay:
            wd = hp.weight_decay.to(dtype)  # [N, 1]
            if self.family == "adamw":  # decoupled: W ← W·(1 − α·λ/m)
                decayed_w.mul_((1 - lr * hp.weight_decay).to(dtype))
            else:  # coupled: g ← g + λ/m · W
                grad[:, :num_decayed].addcmul_(decayed_w, wd)
        if self.family == "sgd":
            self._sgd(theta, grad, hp, neg_lr)
        elif self.family == "rmsprop":
            self._rmsprop(theta, grad, hp, neg_lr)
        elif self.fused:
            self._adam_fused(theta, grad, hp, lr)
        else:
            self._adam(theta, grad, hp, lr)

    def _adam_fused(self, theta, grad, hp: HyperParameters, lr) -> None:
        """Adam through torch's fused single-pass kernel, with each member's own α.

        The kernel takes one learning rate per call, so it runs with α = 1 on a zeroed scratch
        ``delta`` (its "parameters": with no weight decay the update never reads them), which
        leaves ``delta = −m̂/(√v̂ + ε)`` and the moments updated; then one pass applies every
        member's α: ``W ← W + α·delta``. One call covers all members that share (β1, β2, ε,
        step) — all of them unless PBT copied state across or perturbed a β. L2 (coupled) or
        the AdamW decay was already applied to all rows at once above.
        """
        groups: dict[tuple, list[int]] = {}
        for i, (key, step) in enumerate(zip(hp.adam_keys, self.steps, strict=True)):
            groups.setdefault((*key, step), []).append(i)
        delta = self._tmp.zero_()  # [N, P]
        m, v = self.state["exp_avg"], self.state["exp_avg_sq"]
        for (beta1, beta2, eps, step), rows in groups.items():
            if len(rows) == theta.shape[0]:  # every member: the whole [N, P] tensors at once
                tensors = [delta], [grad], [m], [v]
            else:
                tensors = (
                    [delta[i] for i in rows],
                    [grad[i] for i in rows],
                    [self._m_rows[i] for i in rows],
                    [self._v_rows[i] for i in rows],
                )
            step_t = torch.tensor(float(step))  # the kernel reads the step from a tensor
            torch._fused_adam_(
                *tensors,
                [],
                [step_t] * len(tensors[0]),
                lr=1.0,
                beta1=beta1,
                beta2=beta2,
                weight_decay=0.0,
                eps=eps,
                amsgrad=False,
                maximize=False,
            )
        theta.addcmul_(delta, lr.to(theta.dtype))  # W ← W + α·delta, α per member [N, 1]

    def _sgd(self, theta, grad, hp: HyperParameters, neg_lr) -> None:
        if not hp.any_momentum:
            theta.addcmul_(grad, neg_lr)  # W ← W − α·g
            return
        mu = hp.momentum.to(theta.dtype)  # [N, 1]
        buf = self.state["momentum_buffer"]
        buf.mul_(mu).add_(grad)  # b ← μ·b + g   (b = g at the first step, as torch)
        if hp.all_nesterov:
            direction = grad.addcmul_(buf, mu)  # d = g + μ·b
        elif hp.any_nesterov:
            nesterov = hp.nesterov.to(torch.bool)
            direction = torch.where(nesterov, grad.addcmul_(buf, mu), buf)
        else:
            direction = buf
        theta.addcmul_(direction, neg_lr)  # W ← W − α·d

    def _rmsprop(self, theta, grad, hp: HyperParameters, neg_lr) -> None:
        dtype = theta.dtype
        sq = self.state["square_avg"]
        tmp = self._tmp
        sq.mul_(hp.alpha.to(dtype))  # s ← β·s
        torch.mul(grad, (1 - hp.alpha).to(dtype), out=tmp)  # (1−β)·g
        sq.addcmul_(tmp, grad)  # s ← s + (1−β)·g·g
        torch.sqrt(sq, out=tmp).add_(hp.eps.to(dtype))  # √s + ε
        torch.div(grad, tmp, out=tmp)  # g / (√s + ε)
        theta.addcmul_(tmp, neg_lr)  # W ← W − α · g/(√s+ε)

    def _adam(self, theta, grad, hp: HyperParameters, lr) -> None:
        dtype = theta.dtype
        m, v, tmp = self.state["exp_avg"], self.state["exp_avg_sq"], self._tmp
        # per-member scalars in double precision, as torch computes them in Python
        steps = self._steps
        bias_correction1 = 1 - hp.beta1**steps  # [N, 1]
        bias_correction2_sqrt = (1 - hp.beta2**steps).sqrt()
        neg_step_size = (-lr / bias_correction1).to(dtype)
        m.lerp_(grad, (1 - hp.beta1).to(dtype))  # m ← m + (1−β1)(g − m)
        v.mul_(hp.beta2.to(dtype))  # v ← β2·v
        torch.mul(grad, (1 - hp.beta2).to(dtype), out=tmp)  # (1−β2)·g
        v.addcmul_(tmp, grad)  # v ← v + (1−β2)·g·g
        torch.sqrt(v, out=tmp)
        tmp.div_(bias_correction2_sqrt.to(dtype)).add_(hp.eps.to(dtype))  # √v/√(1−β2ᵗ) + ε
        torch.div(m, tmp, out=tmp)
        theta.addcmul_(tmp, neg_step_size)  # W ← W − α/(1−β1ᵗ) · m/(…)
