"""Binned inputs (``data.Bins`` through ``Normalizer.fit(x, bins=T)``): the piecewise-linear
components against a hand computation, what gets no bins, the saved state and attributions."""

import json

import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import Normalizer, dataset_from_arrays, make_split, prepare


def _table(n=101):
    ramp = np.arange(n, dtype=np.float64)  # 0 … 100: its quantiles are known
    flag = (np.arange(n) % 2).astype(np.float64)  # a 0/1 column: a threshold already
    return torch.as_tensor(np.stack([ramp, flag], axis=1))


def test_each_component_is_the_clipped_position_inside_its_quantile_bin():
    x = _table()
    norm = Normalizer.fit(x, bins=4)
    z = (x[:, 0].numpy() - norm.mean[0]) / np.sqrt(norm.var[0])
    edges = np.quantile(z, [0, 0.25, 0.5, 0.75, 1])  # the ramp's values 0, 25, 50, 75, 100
    assert np.allclose(norm.bins.edges[0], edges) and len(norm.bins.edges[1]) == 0
    out = norm.apply(x).numpy()
    assert out.shape == (101, 2 + 4)  # the two features, then the ramp's 4 bins (none for 0/1)
    raw = out[:, 2:] * norm.bins.scale + norm.bins.mean  # before their standardization
    # 30 lies in the second bin (25 … 50): below it 1, inside (30 − 25) / 25, above it 0
    assert np.allclose(raw[30], [1.0, 0.2, 0.0, 0.0])
    assert np.allclose(raw[0], 0.0) and np.allclose(raw[100], 1.0)
    assert np.allclose(out[:, 2:].mean(axis=0), 0.0) and np.allclose(out[:, 2:].std(axis=0), 1.0)
    # values outside the training range stay at the ends
    far = norm.apply(torch.tensor([[-50.0, 0.0], [500.0, 1.0]], dtype=torch.float64)).numpy()
    assert np.allclose(far[:, 2:] * norm.bins.scale + norm.bins.mean, [[0] * 4, [1] * 4])


def test_prepare_bins_every_part_with_training_edges_and_the_state_round_trips():
    g = np.random.default_rng(0)
    x = g.normal(size=(300, 3)).astype(np.float32)
    x[g.random(300) < 0.1, 1] = np.nan  # missing values are filled before binning
    ds = dataset_from_arrays(x, (x[:, 0] > 0).astype(np.int64), impute="auto")
    split = make_split(ds, seed=0)
    data = prepare(ds, split, bins=8)
    assert data.train.x.shape[1] == data.dev.x.shape[1] == 3 + 3 * 8
    assert not torch.isnan(data.dev.x).any()
    state = json.loads(json.dumps(data.normalizer.state_dict()))
    again = Normalizer.from_state_dict(state)
    assert torch.allclose(again.apply(ds.x[split.dev]), data.dev.x)
    assert prepare(ds, split).train.x.shape[1] == 3  # no bins unless asked


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda b: b.update(edges=b["edges"][:1]), "does not fit 2 features"),
        (lambda b: b["edges"][0].reverse(), "one increasing edge list and one increasing"),
        (lambda b: b.update(scale=[0.0] * len(b["scale"])), "one mean and scale per component"),
        (lambda b: b.update(points=[[]]), "does not fit 2 features"),
        (lambda b: b.update(points=[[2.0, 1.0], []]), "one increasing list of marked values"),
        (lambda b: b.pop("mean"), "input bins state is incomplete"),
    ],
)
def test_an_edited_bins_state_is_refused(edit, message):
    state = Normalizer.fit(_table(), bins=4).state_dict()
    edit(state["bins"])
    with pytest.raises(InvalidInputError, match=message):
        Normalizer.from_state_dict(state)


def test_fewer_than_two_bins_is_refused():
    with pytest.raises(InvalidInputError, match=r"accepted is 0 .* or at least 2"):
        Normalizer.fit(_table(), bins=1)


def test_fold_adds_each_feature_its_bins_and_keeps_the_total():
    norm = Normalizer.fit(_table(), bins=4)
    attribution = np.arange(12, dtype=np.float64).reshape(2, 6)  # [ramp, flag, 4 bins]
    folded = norm.fold(attribution)
    assert np.allclose(folded, [[0 + 2 + 3 + 4 + 5, 1], [6 + 8 + 9 + 10 + 11, 7]])
    assert np.allclose(folded.sum(axis=1), attribution.sum(axis=1))
    plain = Normalizer.fit(_table())  # no bins: the attributions are the features' already
    assert plain.bins is None
    assert np.array_equal(plain.fold(attribution[:, :2]), attribution[:, :2])


def test_blocks_of_rows_give_what_one_block_gives(monkeypatch):
    from orthotune.data import _bins

    g = np.random.default_rng(1)
    x = torch.as_tensor(g.normal(size=(1000, 3)))
    norm = Normalizer.fit(x, bins=8)
    whole = norm.apply(x)
    monkeypatch.setattr(_bins, "_ROWS", 7)  # 143 blocks, the last one short
    assert torch.equal(norm.apply(x), whole)


def _codes(n=600, seed=0):
    """Column 0 holds 40 codes written as irregular numbers (a salary converted from 40
    currencies, say), each shared by about 15 rows, beside a few unique values; column 1 a
    plain number."""
    g = np.random.default_rng(seed)
    codes = np.sort(g.uniform(0, 1000, 40))
    x0 = codes[g.integers(0, 40, n)]
    x0[:5] = g.uniform(0, 1000, 5)  # values no other row shares
    return torch.as_tensor(np.stack([x0, g.normal(size=n)], axis=1)), codes


def test_points_mark_each_value_many_training_examples_share():
    x, codes = _codes()
    norm = Normalizer.fit(x, bins=8, points=True)
    z = (codes - norm.mean[0]) / np.sqrt(norm.var[0])
    counts = np.array([(x[:, 0].numpy() == c).sum() for c in codes])
    assert counts.min() >= 5  # each code is shared: each is a point, the unique values none
    assert np.allclose(norm.bins.points[0], z) and len(norm.bins.points[1]) == 0
    out = norm.apply(x).numpy()
    assert out.shape == (600, 2 + 8 + 8 + 40)  # features, each one's 8 bins, column 0's points
    raw = out[:, -40:] * norm.bins.scale[-40:] + norm.bins.mean[-40:]
    which = np.searchsorted(codes, x[:, 0].numpy())
    assert np.allclose(raw[5:], np.eye(40)[which[5:]])  # one indicator, that row's code
    assert np.allclose(raw[:5], 0.0)
    # the points travel with the state, and attributions fold back onto their feature
    again = Normalizer.from_state_dict(json.loads(json.dumps(norm.state_dict())))
    assert torch.allclose(again.apply(x), norm.apply(x))
    folded = norm.fold(np.ones((1, out.shape[1])))
    assert np.allclose(folded, [[1 + 8 + 40, 1 + 8]])
    # a value read back in float32 is the same point
    assert np.allclose(norm.apply(x.float().double()).numpy(), out, atol=1e-5)
    # without ``points``, and where a feature has no more values than bins, none
    assert all(len(p) == 0 for p in Normalizer.fit(x, bins=8).bins.points)
    assert all(len(p) == 0 for p in Normalizer.fit(x, bins=64, points=True).bins.points)


def test_a_state_saved_before_points_existed_still_loads():
    x, _ = _codes()
    norm = Normalizer.fit(x, bins=8)
    state = json.loads(json.dumps(norm.state_dict()))
    del state["bins"]["points"]
    again = Normalizer.from_state_dict(state)
    assert torch.equal(again.apply(x), norm.apply(x))
