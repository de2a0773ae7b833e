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


def _correlated(n: int = 400, rate: float = 0.2, seed: int = 0):
    """Columns a, b ≈ 2a, c independent; ``rate`` of the values blanked at random."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    x = np.stack([a, 2 * a + 0.05 * rng.normal(size=n), rng.normal(size=n)], axis=1)
    blanked = x.copy()
    blanked[rng.random(x.shape) < rate] = np.nan
    return x, blanked


def test_a_gap_is_filled_from_the_correlated_columns_not_the_median():
    x, blanked = _correlated()
    norm = Normalizer.fit(blanked)
    assert norm.precision is not None and norm.precision.shape == (3, 3)
    truth = (x - norm.mean) / norm._scale
    z = norm.apply(torch.from_numpy(blanked)).numpy()
    only_b = np.isnan(blanked[:, 1]) & ~np.isnan(blanked[:, 0])
    assert only_b.sum() > 40
    assert np.abs(z[only_b, 1] - truth[only_b, 1]).mean() < 0.15  # b recovered from a
    median_z = (norm.fill[1] - norm.mean[1]) / norm._scale[1]
    assert np.abs(median_z - truth[only_b, 1]).mean() > 0.5  # what the median would give
    assert np.allclose(z[~np.isnan(blanked)], truth[~np.isnan(blanked)])  # observed: untouched
    assert Normalizer.fit(x).precision is None  # no gap in train: the median stays the fill


def test_the_conditional_fill_is_the_gaussian_conditional_mean_row_by_row():
    _, blanked = _correlated(rate=0.3, seed=1)
    norm = Normalizer.fit(blanked)
    cov = np.linalg.inv(norm.precision)  # Σ = R + λI
    rows = np.array([[0.5, np.nan, 1.0], [np.nan, np.nan, -1.0], [np.nan, 2.0, np.nan]])
    rows = np.concatenate([rows, [[np.nan] * 3, [1.0, 2.0, 3.0]]])
    z = norm.apply(torch.from_numpy(rows)).numpy()
    for got, row in zip(z, rows, strict=True):
        zr = (row - norm.mean) / norm._scale
        m, o = np.isnan(row), ~np.isnan(row)
        want = zr.copy()
        want[m] = cov[np.ix_(m, o)] @ np.linalg.solve(cov[np.ix_(o, o)], zr[o]) if o.any() else 0
        assert np.allclose(got, want)


def test_the_precision_travels_with_the_state_and_is_checked():
    _, blanked = _correlated()
    norm = Normalizer.fit(blanked)
    back = Normalizer.from_state_dict(json.loads(json.dumps(norm.state_dict())))
    x = torch.from_numpy(blanked)
    assert torch.equal(back.apply(x), norm.apply(x))
    state = norm.state_dict() | {"precision": [[1.0]]}
    with pytest.raises(InvalidInputError, match=r"3 × 3 precision\); use the state saved"):
        Normalizer.from_state_dict(state)
