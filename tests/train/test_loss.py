"""The focal loss: the reference formula by hand, γ = 0 is cross-entropy, with weights and ε."""

from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from orthotune.models import ModelSpec, build_model
from orthotune.train import Callback, TrainConfig, Trainer, focal_factor


def _data(n=30, d=5, k=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randint(0, k, (n,), generator=g)
    s = (torch.rand(n, generator=g) + 0.25).double()  # the trainer keeps weights in float32
    return x, y, s


def _model(d=5, k=4):
    torch.manual_seed(3)
    return build_model(ModelSpec(input_shape=(d,), num_classes=k, hidden=(8,))).double()


class _FirstLoss(Callback):
    """Keeps the first step's loss tensor as the trainer computed it (float64 here)."""

    loss: torch.Tensor | None = None

    def on_batch_end(self, state, step, loss) -> None:
        if self.loss is None:
            self.loss = loss


def _first_step_loss(model, config, data) -> float:
    """The loss of the one full-batch step of epoch 0, at the initial weights."""
    seen = _FirstLoss()
    Trainer(config, device="cpu", callbacks=[seen]).fit(copy.deepcopy(model), data)
    assert seen.loss.dtype == torch.float64
    return seen.loss.item()


def _by_hand(model, x, y, s, *, gamma, eps=0.0) -> float:
    """Σ s(i)·L(i) / Σ s(i), L(i) = (1 − p_t)^γ·((1 − ε)(−log p_t) + ε·mean_c(−log p_c)),
    example by example in plain Python."""
    with torch.no_grad():
        logits = model.train()(x).tolist()
    num = den = 0.0
    for z, t, w in zip(logits, y.tolist(), s.tolist(), strict=True):
        top = max(z)
        log_norm = top + math.log(sum(math.exp(v - top) for v in z))
        log_p = [v - log_norm for v in z]
        p_t = math.exp(log_p[t])
        ce = (1 - eps) * -log_p[t] + eps * sum(-v for v in log_p) / len(z)
        num += w * (1 - p_t) ** gamma * ce
        den += w
    return num / den


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0])
def test_focal_loss_equals_the_reference_formula_with_example_weights(gamma):
    x, y, s = _data()
    model = _model()
    config = TrainConfig(batch_size=None, epochs=1, focal_gamma=gamma)
    got = _first_step_loss(model, config, (x, y, s))
    assert got == pytest.approx(_by_hand(model, x, y, s, gamma=gamma), rel=1e-12)
    plain = _first_step_loss(model, TrainConfig(batch_size=None, epochs=1), (x, y, s))
    assert got < plain  # every factor (1 − p_t)^γ is below 1


def test_focal_loss_with_label_smoothing_multiplies_the_smoothed_cross_entropy():
    x, y, s = _data(seed=1)
    model = _model()
    config = TrainConfig(batch_size=None, epochs=1, focal_gamma=2.0, label_smoothing=0.1)
    got = _first_step_loss(model, config, (x, y, s))
    assert got == pytest.approx(_by_hand(model, x, y, s, gamma=2.0, eps=0.1), rel=1e-12)


def test_gamma_zero_is_cross_entropy_exactly():
    x, y, _ = _data(seed=2)
    model = _model()
    got = _first_step_loss(model, TrainConfig(batch_size=None, epochs=1, focal_gamma=0.0), (x, y))
    with torch.no_grad():
        want = F.cross_entropy(model.train()(x), y).item()
    assert got == want
    logits = torch.randn(7, 3, dtype=torch.float64)
    assert torch.equal(focal_factor(logits, torch.zeros(7, dtype=torch.long), 0.0), torch.ones(7))


def test_focal_weights_hard_examples_relatively_higher_and_stays_finite_when_certain():
    logits = torch.tensor([[4.0, 0.0], [0.0, 0.0], [0.0, 3.0], [200.0, -200.0]])
    y = torch.zeros(4, dtype=torch.long)
    f = focal_factor(logits, y, 2.0)
    assert f[0] < f[1] < f[2]  # right and sure < undecided < wrong
    assert f[3] == pytest.approx(0.0, abs=1e-30)
    z = logits.clone().requires_grad_(True)
    (focal_factor(z, y, 0.5) * F.cross_entropy(z, y, reduction="none")).sum().backward()
    assert torch.isfinite(z.grad).all()  # p_t rounds to 1 in the last row


def test_a_negative_gamma_is_refused_naming_the_field():
    with pytest.raises(ValueError, match="focal_gamma"):
        TrainConfig(focal_gamma=-1.0)
