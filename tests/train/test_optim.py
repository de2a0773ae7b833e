import copy

import pytest
import torch
from torch import nn

from orthotune.models import ModelSpec, build_model
from orthotune.train import TrainConfig, decay_groups, l2_weight_decay, make_optimizer

M = 50  # number of training examples (the lecture's m)
LAM = 3.0  # the lecture's λ


def _net(batch_norm=False):
    torch.manual_seed(0)
    spec = ModelSpec(input_shape=(4,), num_classes=3, hidden=(5,), batch_norm=batch_norm)
    return build_model(spec)


def _penalty(model):
    """The lecture's λ/(2m)·Σ‖W‖² over the decayed weights."""
    weights = decay_groups(model)[0]["params"]
    return LAM / (2 * M) * sum((w**2).sum() for w in weights)


def test_decay_groups_decay_weight_matrices_only():
    model = _net(batch_norm=True)
    decayed, plain = decay_groups(model)
    assert decayed["l2"] and not plain["l2"]
    assert decayed["names"] == ["head.0.linear.weight", "out.weight"]
    assert set(plain["names"]) == {"head.0.norm.weight", "head.0.norm.bias", "out.bias"}
    n_all = sum(1 for _ in model.parameters())
    assert len(decayed["params"]) + len(plain["params"]) == n_all


def test_gradient_of_the_penalty_is_lambda_over_m_times_w():
    model = _net()
    _penalty(model).backward()
    for name, p in model.named_parameters():
        want = LAM / M * p.detach() if p.ndim >= 2 else torch.zeros_like(p)
        grad = torch.zeros_like(p) if p.grad is None else p.grad
        torch.testing.assert_close(grad, want, msg=name)


def test_sgd_weight_decay_equals_the_lecture_update_and_leaves_biases_alone():
    cfg = TrainConfig(optimizer="sgd", lr=0.1, l2=LAM)
    model = _net()
    before = copy.deepcopy(model)
    opt = make_optimizer(model, cfg, num_train=M)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # no data gradient: only the penalty acts
    opt.step()
    for (name, p), p0 in zip(model.named_parameters(), before.parameters(), strict=True):
        want = p0 * (1 - 0.1 * LAM / M) if p.ndim >= 2 else p0
        torch.testing.assert_close(p.detach(), want.detach(), msg=name)
    assert l2_weight_decay(cfg, num_train=M) == pytest.approx(LAM / M)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_coupled_l2_equals_training_on_j_plus_the_penalty(optimizer):
    """weight_decay=λ/m inside the optimizer ≡ the optimizer run on J + λ/(2m)·Σ‖W‖²."""
    x, y = torch.randn(M, 4), torch.randint(0, 3, (M,))
    a, b = _net(), _net()
    opt_a = make_optimizer(a, TrainConfig(optimizer=optimizer, lr=0.05, l2=LAM), num_train=M)
    opt_b = make_optimizer(b, TrainConfig(optimizer=optimizer, lr=0.05, l2=0.0), num_train=M)
    for _ in range(3):
        opt_a.zero_grad()
        nn.functional.cross_entropy(a(x), y).backward()
        opt_a.step()
        opt_b.zero_grad()
        (nn.functional.cross_entropy(b(x), y) + _penalty(b)).backward()
        opt_b.step()
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)


def test_adamw_decouples_the_decay_shrinking_w_by_alpha_lambda_over_m():
    model = _net()
    before = copy.deepcopy(model)
    opt = make_optimizer(model, TrainConfig(optimizer="adamw", lr=0.1, l2=LAM), num_train=M)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    for p, p0 in zip(model.parameters(), before.parameters(), strict=True):
        want = p0 * (1 - 0.1 * LAM / M) if p.ndim >= 2 else p0
        torch.testing.assert_close(p.detach(), want.detach())


def test_optimizer_hyperparameters_map_to_torch():
    model = _net()
    sgd = make_optimizer(model, TrainConfig(optimizer="nesterov", beta=0.8), num_train=M)
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.defaults["momentum"] == 0.8 and sgd.defaults["nesterov"]
    assert sgd.defaults["dampening"] == 0  # torch's form: the (1−β) factor is omitted
    rms = make_optimizer(model, TrainConfig(optimizer="rmsprop", beta=0.95, eps=1e-6), num_train=M)
    assert rms.defaults["alpha"] == 0.95 and rms.defaults["eps"] == 1e-6
    adam = make_optimizer(
        model, TrainConfig(optimizer="adam", beta1=0.8, beta2=0.99, eps=1e-7), num_train=M
    )
    assert isinstance(adam, torch.optim.Adam) and not isinstance(adam, torch.optim.AdamW)
    assert adam.defaults["betas"] == (0.8, 0.99) and adam.defaults["eps"] == 1e-7
    assert isinstance(
        make_optimizer(model, TrainConfig(optimizer="adamw"), num_train=M), torch.optim.AdamW
    )


def test_bare_parameters_follow_the_same_rule():
    model = _net()
    opt = make_optimizer(list(model.parameters()), TrainConfig(l2=LAM), num_train=M)
    decays = sorted((g["weight_decay"], len(g["params"])) for g in opt.param_groups)
    assert decays == [(0.0, 2), (pytest.approx(LAM / M), 2)]
