import json

import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import Normalizer, load_dataset, make_split


def test_statistics_come_from_train_only():
    ds = load_dataset("builtin:synthetic?n=500&features=4&shift=3&shifted=0.5&seed=0")
    split = make_split(ds, seed=0)
    norm = Normalizer.fit(ds.x[split.train])
    train = ds.x[split.train].double()
    assert np.allclose(norm.mean, train.mean(0).numpy())
    assert np.allclose(norm.var, train.var(0, unbiased=False).numpy())  # the lecture's 1/m
    assert not np.allclose(norm.mean, ds.x.double().mean(0).numpy())  # not all the data
    z = norm.apply(ds.x[split.train]).double()
    assert torch.allclose(z.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-5)
    assert torch.allclose(z.var(0, unbiased=False), torch.ones(4, dtype=torch.float64), atol=1e-4)
    dev = norm.apply(ds.x[split.dev])  # dev scaled with the same μ and σ
    expected = (ds.x[split.dev].double() - train.mean(0)) / train.std(0, unbiased=False)
    assert torch.allclose(dev.double(), expected, atol=1e-5)


def test_per_channel_for_signals_and_state_round_trip():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 2, 10, generator=g) * torch.tensor([1.0, 5.0])[None, :, None] + 3
    norm = Normalizer.fit(x)
    assert norm.mean.shape == (2,) and norm.var.shape == (2,)
    assert norm.mean[0] == pytest.approx(x[:, 0].double().mean().item())
    z = norm(x)
    assert z.shape == x.shape and z[:, 1].std(unbiased=False).item() == pytest.approx(1, abs=1e-4)
    state = json.loads(json.dumps(norm.state_dict()))
    back = Normalizer.from_state_dict(state)
    assert torch.equal(back.apply(x), z)
    with pytest.raises(
        InvalidInputError,
        match=r"shape \(3, 10\) but the normalizer was fitted "
        r"on \(2, 10\)",
    ):
        back.apply(torch.zeros(1, 3, 10))
    with pytest.raises(InvalidInputError, match="normalizer state is incomplete"):
        Normalizer.from_state_dict({"mean": [0.0]})


def test_constant_feature_is_only_centred():
    x = torch.tensor([[1.0, 2.0], [1.0, 4.0]])
    z = Normalizer.fit(x).apply(x)
    assert z[:, 0].tolist() == [0.0, 0.0] and z[:, 1].tolist() == [-1.0, 1.0]
