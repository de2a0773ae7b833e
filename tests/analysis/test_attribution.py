"""Attributions: completeness, the deletion test where the answer is known, masks, the report."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from orthotune import InvalidInputError
from orthotune.analysis import (
    DEFAULT_ATTRIBUTION,
    attribute,
    deletion_curves,
    deletion_test,
    read_mask,
    saliency_report,
)
from orthotune.models import ConvBlock, ModelSpec, build_model


def _cnn(seed=0):
    torch.manual_seed(seed)
    spec = ModelSpec(
        kind="cnn1d",
        input_shape=(1, 20),
        num_classes=4,
        conv=(ConvBlock(channels=6, kernel=3, pool="max"), ConvBlock(channels=8, kernel=3)),
        hidden=(16,),
        batch_norm=True,
    )
    model = build_model(spec)
    model(torch.randn(64, 1, 20))  # train mode: batch-norm running statistics move
    return model.eval()


def test_integrated_gradients_sum_to_the_output_difference():
    model = _cnn()
    x = torch.randn(6, 1, 20) * 2
    target = model(x).argmax(1)
    found = attribute(model, x, target, method="integrated_gradients")
    assert found.shape == x.shape
    with torch.no_grad():
        rows = torch.arange(len(x))
        gain = model(x)[rows, target] - model(torch.zeros_like(x))[rows, target]
    # completeness: Σ attributions = f(x) − f(baseline), for every example
    np.testing.assert_allclose(found.sum(dim=(1, 2)), gain, rtol=0.01, atol=1e-3)
    # input × gradient has no such property on a non-linear network
    other = attribute(model, x, target, method="input_x_gradient")
    assert not torch.allclose(other.sum(dim=(1, 2)), gain, atol=1e-2)


def test_both_methods_agree_with_the_closed_form_on_a_linear_model():
    model = nn.Linear(5, 2)
    x = torch.randn(3, 5)
    target = torch.tensor([0, 1, 1])
    exact = x * model.weight.detach()[target]  # x_i · w_i for a linear logit, baseline 0
    for method in ("integrated_gradients", "input_x_gradient"):
        np.testing.assert_allclose(attribute(model, x, target, method=method), exact, atol=1e-5)


class _Saturating(nn.Module):
    """logit 1 = 5·min(x0, 1) + 0.5·x1, logit 0 = 0: x0 = 3 is saturated (zero gradient)."""

    def forward(self, x):
        one = 5 * torch.clamp(x[:, 0], max=1.0) + 0.5 * x[:, 1]
        return torch.stack([torch.zeros_like(one), one], dim=1)


def test_the_deletion_test_prefers_the_attribution_the_prediction_rests_on():
    model = _Saturating()
    x = torch.tensor([[3.0, 2.0, 0.0, 0.0]]).repeat(5, 1)
    target = torch.ones(5, dtype=torch.long)
    # known answer: deleting x0 removes 5 of the logit, x1 only 1
    right = torch.tensor([[5.0, 1.0, 0.0, 0.0]]).repeat(5, 1)
    wrong = torch.tensor([[0.0, 1.0, 0.5, 0.2]]).repeat(5, 1)
    curves = deletion_curves(model, x, target, right, steps=4)
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    # 0, 1, 2, 3, 4 of the 4 inputs deleted; x0 goes first
    np.testing.assert_allclose(curves[0], sigmoid(np.array([6.0, 1.0, 0.0, 0.0, 0.0])), rtol=1e-6)
    test = deletion_test(model, x, target, {"right": right, "wrong": wrong}, steps=4)
    assert test.winner == "right" and test.area["right"] < test.area["wrong"]
    # the real methods: integrated gradients sees the saturated x0 (attribution 5), input ×
    # gradient does not (its gradient is 0 there), so integrated gradients wins
    found = {
        m: attribute(model, x, target, method=m)
        for m in ("integrated_gradients", "input_x_gradient")
    }
    np.testing.assert_allclose(found["integrated_gradients"][0, :2], [5.0, 1.0], atol=0.05)
    np.testing.assert_allclose(found["input_x_gradient"][0, :2], [0.0, 1.0], atol=1e-6)
    real = deletion_test(model, x, target, found, steps=4)
    assert real.winner == "integrated_gradients" == DEFAULT_ATTRIBUTION


def test_a_model_that_looks_only_around_the_object_has_all_of_its_attribution_outside():
    model = nn.Linear(4, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 1.0]]))
    x = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.5, 2.0, 3.0, 1.0], [1.0, 1.0, -1.0, -1.0]])
    y = np.array([0, 0, 0])  # the first two are predicted 1: mistakes; the third is right
    mask = np.array([True, True, False, False])  # the object: inputs 0 and 1
    report = saliency_report(
        model, x, x, y, np.array(["a", "b", "c"]), ["no", "yes"], source="test", mask=mask
    )
    assert report.misclassified == 2 and report.n == 3
    assert [e.id for e in report.examples] == ["b", "a"]  # most confident mistake first
    assert report.examples[0].predicted_label == "yes" and report.examples[0].true_label == "no"
    assert report.mean_outside_share == pytest.approx(1.0)
    assert report.deletion is not None and report.deletion.n == 2
    assert "100.0 % of the attribution lies outside the object" in report.message


def test_a_model_without_mistakes_has_nothing_to_attribute():
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    report = saliency_report(
        model, x, x, np.array([0, 1]), np.array(["a", "b"]), ["p", "q"], source="test"
    )
    assert report.misclassified == 0 and report.examples == [] and report.deletion is None
    masked = saliency_report(  # with --mask: "cannot reshape array of size 0", exit 1
        model, x, x, np.array([0, 1]), np.array(["a", "b"]), ["p", "q"], source="test",
        mask=np.array([True, False]),
    )  # fmt: skip
    assert masked.misclassified == 0 and masked.mean_outside_share is None


def test_read_mask_accepts_the_shape_with_or_without_singleton_axes(tmp_path):
    np.savez(tmp_path / "m.npz", mask=np.eye(8))
    assert read_mask(tmp_path / "m.npz", (1, 8, 8)).shape == (1, 8, 8)
    np.savez(tmp_path / "b.npz", mask=np.ones((1, 40), dtype=bool))
    assert read_mask(tmp_path / "b.npz", (1, 40)).all()
    # RGB images: one mask per pixel serves every channel, and a channels-last mask is turned
    pixels = np.zeros((4, 5))
    pixels[1, 2] = 1
    np.savez(tmp_path / "hw.npz", mask=pixels)
    got = read_mask(tmp_path / "hw.npz", (3, 4, 5))
    assert got.shape == (3, 4, 5) and got[:, 1, 2].all() and got.sum() == 3
    last = np.zeros((4, 5, 3))
    last[1, 2, 0] = 1
    np.savez(tmp_path / "hwc.npz", mask=last)
    got = read_mask(tmp_path / "hwc.npz", (3, 4, 5))
    assert got[0, 1, 2] and got.sum() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"--mask .*missing.npz does not exist; accepted: an .npz file"),
        ({"other": np.ones((8, 8))}, r"holds other but no 'mask'"),
        ({"mask": np.ones((8, 7))}, r"has shape \(8, 7\), not \(1, 8, 8\)"),
        ({"mask": np.full((8, 8), 0.5)}, r"holds values other than 0 and 1"),
        ("text", r"is not a readable .npz file"),
        ("npy", r"holds one array \(.npy\); accepted: an .npz file"),
    ],
)
def test_bad_masks_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "missing.npz"
    if isinstance(content, dict):
        np.savez(path, **content)
    elif content == "text":
        path.write_text("not an archive")
    elif content == "npy":
        np.save(tmp_path / "m.npy", np.ones((8, 8)))
        (tmp_path / "m.npy").rename(path)
    with pytest.raises(InvalidInputError, match=message):
        read_mask(path, (1, 8, 8))


def test_an_unknown_method_is_refused():
    with pytest.raises(InvalidInputError, match="attribution method 'saliency' is not accepted"):
        attribute(nn.Linear(2, 2), torch.zeros(1, 2), torch.zeros(1), method="saliency")
