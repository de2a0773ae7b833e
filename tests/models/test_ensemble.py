import torch

from orthotune.models import Ensemble, ModelSpec, build_model


def _member(seed: int):
    torch.manual_seed(seed)
    return build_model(ModelSpec(kind="mlp", input_shape=(5,), num_classes=3, hidden=(8,)))


def test_softmax_of_the_output_is_the_mean_of_the_members_probabilities():
    members = [_member(s) for s in range(3)]
    x = torch.randn(7, 5)
    expected = torch.stack([m(x).softmax(-1) for m in members]).mean(0)
    got = Ensemble(members)(x).softmax(-1)
    torch.testing.assert_close(got, expected)
    assert len(Ensemble(members)) == 3


def test_one_member_predicts_as_that_member():
    m = _member(0)
    x = torch.randn(4, 5)
    assert torch.equal(Ensemble([m])(x).argmax(1), m(x).argmax(1))
