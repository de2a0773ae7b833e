"""The training loss of one example: cross-entropy, label-smoothed and/or focal.

Per example i with logits z, true class t, p = softmax(z) over C classes, label smoothing ε and
focal γ (``TrainConfig.label_smoothing``, ``TrainConfig.focal_gamma``):

    ℓ_ε(i) = (1 − ε)·(−log p_t) + ε·(1/C)·Σ_c (−log p_c)     cross-entropy on (1 − ε)·one-hot + ε/C
    L(i)   = (1 − p_t)^γ · ℓ_ε(i)                             the focal loss (Lin et al., 2017)

and a mini-batch's loss is Σ s(i)·L(i) / Σ s(i) with example weights s (the plain mean without).
γ = 0 is the (smoothed) cross-entropy; with ε = 0, L = −(1 − p_t)^γ·log p_t, the paper's form.
The factor (1 − p_t)^γ is the lecture's "strengthen the training process for the incorrectly
classified examples": an example the model already gets right with p_t = 0.9 weighs
0.1^γ of its cross-entropy (γ = 2: 1 %), one it gets wrong (p_t ≤ ½) at least 0.5^γ. It is
computed from the true class's p_t (with smoothing too) and differentiated like the rest of the
loss, as in the paper. Evaluation losses (dev loss, final losses) stay plain cross-entropy.
"""

from __future__ import annotations

import torch

__all__ = ["FOCAL_FLOOR", "focal_factor"]

#: 1 − p_t is floored here before the power: where a float rounds p_t to exactly 1, the factor
#: (and, for γ < 1, its gradient γ·(1 − p_t)^(γ−1)) stays finite.
FOCAL_FLOOR = 1e-30


def focal_factor(
    logits: torch.Tensor, target: torch.Tensor, gamma: float | torch.Tensor
) -> torch.Tensor:
    """(1 − p_t)^γ per example, differentiable in ``logits``.

    logits: ``[B, C]`` (target ``[B]``) or ``[N, C, B]`` (target ``[N, B]``, a population);
    gamma: a number, or a tensor broadcasting over the target's shape (``[N, 1]``: one γ per
    member). Returns the target's shape, in float32 at least (bfloat16 logits are upcast)."""
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    log_pt = torch.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    miss = -torch.expm1(log_pt)  # 1 − p_t, accurate when p_t is close to 1
    return miss.clamp(min=FOCAL_FLOOR) ** gamma
