import torch

from orthotune.data import class_balance_weights, weighted_mean_loss


def test_weighted_loss_is_the_lecture_formula():
    loss = torch.tensor([0.5, 2.0, 1.0, 4.0])
    s = torch.tensor([1.0, 3.0, 0.0, 0.5])
    expected = (1 * 0.5 + 3 * 2.0 + 0 * 1.0 + 0.5 * 4.0) / (1 + 3 + 0 + 0.5)
    assert torch.isclose(weighted_mean_loss(loss, s), torch.tensor(expected))
    assert torch.isclose(weighted_mean_loss(loss, None), loss.mean())
    assert torch.isclose(weighted_mean_loss(loss, torch.full((4,), 7.0)), loss.mean())


def test_weighted_loss_gradient_and_all_zero_batch():
    loss = torch.tensor([1.0, 3.0], requires_grad=True)
    weighted_mean_loss(loss, torch.tensor([1.0, 3.0])).backward()
    assert torch.allclose(loss.grad, torch.tensor([0.25, 0.75]))  # ∂J/∂L(i) = s(i)/Σs
    loss.grad = None
    out = weighted_mean_loss(loss, torch.zeros(2))
    out.backward()
    assert out.item() == 0.0 and torch.equal(loss.grad, torch.zeros(2))


def test_class_balance_gives_each_class_equal_total_weight():
    y = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 2])
    w = class_balance_weights(y, 4)  # class 3 absent
    totals = torch.zeros(4).index_add_(0, y, w)
    assert torch.allclose(totals[:3], torch.full((3,), 3.0)) and totals[3] == 0
    assert torch.isclose(w.mean(), torch.tensor(1.0)) and w.dtype == torch.float32
