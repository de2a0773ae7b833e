import dataclasses
import json

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orthotune import InvalidInputError
from orthotune.data import (
    Dataset,
    Split,
    SplitPolicy,
    controlled_round,
    make_split,
    policy_sizes,
)

PROPERTY = settings(max_examples=40, deadline=None)


def make_data(class_counts, sources=None, preset=None, name="toy"):
    y = np.repeat(np.arange(len(class_counts)), class_counts)
    rng = np.random.default_rng(len(y))
    order = rng.permutation(len(y))  # classes interleaved, as in a real file
    y = y[order]
    n = len(y)
    return Dataset(
        x=torch.zeros(n, 1),
        y=torch.from_numpy(y.astype(np.int64)),
        class_names=tuple(f"c{k}" for k in range(len(class_counts))),
        ids=np.array([f"id{i}" for i in range(n)], dtype=object),
        source=sources,
        preset_split=preset,
        name=name,
    )


def check_partition(split: Split, n: int):
    parts = [idx for idx in split.parts().values()]
    everything = np.concatenate(parts)
    assert len(everything) == n and len(np.unique(everything)) == n  # disjoint and covering
    assert all(idx.dtype == np.int64 for idx in parts)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1000, {"train": 600, "train-dev": 0, "dev": 200, "test": 200}),  # 60/20/20
        (50_000, {"train": 30_000, "train-dev": 0, "dev": 10_000, "test": 10_000}),
        (100_000, {"train": 80_000, "train-dev": 0, "dev": 10_000, "test": 10_000}),
        (1_000_000, {"train": 980_000, "train-dev": 0, "dev": 10_000, "test": 10_000}),  # 98/1/1
        (2_000_000, {"train": 1_960_000, "train-dev": 0, "dev": 20_000, "test": 20_000}),
    ],
)
def test_policy_sizes_follow_the_lecture(n, expected):
    assert policy_sizes(n) == expected


def test_policy_sizes_with_ratios_and_train_dev():
    assert policy_sizes(1000, ratios=(0.7, 0.15, 0.15)) == {
        "train": 700,
        "train-dev": 0,
        "dev": 150,
        "test": 150,
    }
    assert policy_sizes(1000, train_dev=True) == {
        "train": 400,
        "train-dev": 200,
        "dev": 200,
        "test": 200,
    }
    assert policy_sizes(100_000, ratios=(0.8, 0.1, 0.1), train_dev=True)["train-dev"] == 10_000


@given(
    rows=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    shares=st.lists(st.integers(1, 10), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
@PROPERTY
def test_controlled_round_keeps_sums_within_one(rows, shares, seed):
    total = sum(rows)
    shares = np.array(shares)
    cols = (shares * total) // shares.sum()
    cols[0] += total - cols.sum()
    m = controlled_round(np.array(rows), cols, np.random.default_rng(seed))
    assert (m.sum(1) == rows).all() and (m.sum(0) == cols).all()
    if total:
        quota = np.outer(rows, cols) / total
        assert (np.abs(m - quota) < 1).all()


@given(
    class_counts=st.lists(st.integers(3, 60), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
    ratios=st.sampled_from([None, (0.7, 0.15, 0.15), (0.8, 0.1, 0.1)]),
)
@PROPERTY
def test_split_is_exact_stratified_and_reproducible(class_counts, seed, ratios):
    ds = make_data(class_counts)
    n = len(ds)
    sizes = policy_sizes(n, ratios=ratios)
    assume(min(sizes["dev"], sizes["test"]) > 0)
    policy = SplitPolicy(ratios=ratios)
    split = make_split(ds, seed=seed, policy=policy)
    check_partition(split, n)
    assert split.sizes() == sizes
    y = ds.y.numpy()
    for name, idx in split.parts().items():
        got = np.bincount(y[idx], minlength=len(class_counts))
        expected = np.array(class_counts) * sizes[name] / n
        assert (np.abs(got - expected) <= 1).all(), (name, got, expected)  # within one example
    again = make_split(ds, seed=seed, policy=policy)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(split.parts().values(), again.parts().values(), strict=True)
    )


@given(
    class_counts=st.lists(st.integers(4, 50), min_size=2, max_size=4),
    extra_sizes=st.lists(st.integers(1, 25), min_size=1, max_size=2),
    seed=st.integers(0, 2**16),
)
@PROPERTY
def test_every_source_is_in_every_part(class_counts, extra_sizes, seed):
    n = sum(class_counts)
    assume(sum(extra_sizes) < n // 2)
    rng = np.random.default_rng(seed)
    sources = np.array(["main"] * n, dtype=object)
    chosen = rng.permutation(n)
    start = 0
    for k, size in enumerate(extra_sizes):
        sources[chosen[start : start + size]] = f"s{k}"
        start += size
    ds = make_data(class_counts, sources=sources)
    split = make_split(ds, seed=seed)
    check_partition(split, n)
    assert len(split.train_dev) == len(split.dev) > 0  # several sources: train-dev by default
    names, counts = np.unique(sources, return_counts=True)
    parts = split.parts()
    assume(min(len(idx) for idx in parts.values()) >= len(names))
    for name, count in zip(names, counts, strict=True):
        if count >= len(parts):
            for part, idx in parts.items():
                assert (sources[idx] == name).any(), (name, count, part)


def test_large_sources_are_stratified_by_class_and_source():
    counts = [300, 200, 100]
    n = sum(counts)
    sources = np.array(["a", "b", "c"] * (n // 3), dtype=object)
    ds = make_data(counts, sources=sources)
    split = make_split(ds, seed=7)
    y = ds.y.numpy()
    for idx in split.parts().values():
        expected = np.array(counts) * len(idx) / n
        assert (np.abs(np.bincount(y[idx], minlength=3) - expected) <= 1).all()
        for s in "abc":
            assert abs((sources[idx] == s).sum() - len(idx) / 3) <= 3  # 1 per class


def test_preset_test_is_kept_and_dev_comes_from_the_rest():
    ds = make_data([500] * 10)  # like MNIST-1D: 5000 examples, the last 1000 are test
    preset = np.array([""] * 4000 + ["test"] * 1000, dtype=object)
    ds = dataclasses.replace(ds, preset_split=preset)
    split = make_split(ds, seed=0)
    assert np.array_equal(split.test, np.arange(4000, 5000))
    assert split.sizes() == {"train": 3000, "train-dev": 0, "dev": 1000, "test": 1000}
    assert split.dev.max() < 4000


def test_a_part_the_free_examples_cannot_fill_is_noted_with_the_policys_size():
    ds = make_data([100, 100])  # the policy: dev = test = 40
    few_free = np.array(["train"] * 185 + ["test"] * 5 + [""] * 10, dtype=object)
    notes = make_split(dataclasses.replace(ds, preset_split=few_free), seed=0).notes
    assert "test gets 15 examples, not 40" in notes  # it said "not 35", the 40 less its 5
    every = np.array(["train"] * 120 + ["dev"] * 41 + ["test"] * 39, dtype=object)
    notes = make_split(dataclasses.replace(ds, preset_split=every), seed=0).notes
    assert notes == ("200 examples keep their preset part",)  # no policy size to fall short of


def test_a_class_with_no_train_example_in_a_preset_split_is_warned_about(caplog):
    ds = make_data([60, 60, 60])
    preset = np.where(ds.y.numpy() == 2, "test", "train").astype(object)  # test/c beside train/a, b
    preset[np.flatnonzero(ds.y.numpy() < 2)[:30]] = "dev"
    with caplog.at_level("WARNING", logger="orthotune.data"):
        split = make_split(dataclasses.replace(ds, preset_split=preset), seed=0)
    said = "1 class(es) have no train example ('c2'): the model never learns them"
    assert any(note.startswith(said) for note in split.notes) and said in caplog.text


def test_dev_source_builds_dev_and_test_from_that_source():
    n = 1200
    sources = np.array(["web"] * 1000 + ["phone"] * 200, dtype=object)
    ds = make_data([600, 600], sources=sources)
    split = make_split(ds, seed=1, policy=SplitPolicy(dev_source="phone"))
    check_partition(split, n)
    assert (sources[split.dev] == "phone").all() and (sources[split.test] == "phone").all()
    assert len(split.dev) == len(split.test) == 50  # a quarter of the source each at most
    assert len(split.train_dev) == len(split.dev)  # train-dev: same distribution as train
    kept = np.concatenate([split.train, split.train_dev])
    assert (sources[kept] == "phone").sum() == 100  # half of it stays on the training side
    assert {"web", "phone"} <= set(sources[split.train_dev])


def test_train_dev_on_request_and_off_on_request():
    ds = make_data([50, 50])
    assert len(make_split(ds, seed=0).train_dev) == 0
    assert len(make_split(ds, seed=0, policy=SplitPolicy(train_dev=True)).train_dev) == 20
    multi = make_data([50, 50], sources=np.array(["a", "b"] * 50, dtype=object))
    assert len(make_split(multi, seed=0, policy=SplitPolicy(train_dev=False)).train_dev) == 0


def test_same_seed_same_split_other_seed_other_split():
    ds = make_data([40, 40, 40])
    a, b, c = (make_split(ds, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.dev, b.dev) and not np.array_equal(a.dev, c.dev)


def test_refusals():
    with pytest.raises(  # rare classes go to train, unless train cannot hold them all
        InvalidInputError,
        match=r"toy: class 'c0' has 2 example\(s\), too few "
        r"for a stratified split into 3 parts \(train, dev, test\) \(and 9 more small",
    ):
        make_split(make_data([2] * 10 + [5]), seed=0)
    with pytest.raises(
        InvalidInputError,
        match=r"too few: under ratios 98/1/1 the dev, test "
        r"set\(s\) would be empty",
    ):
        make_split(make_data([20, 20]), seed=0, policy=SplitPolicy(ratios=(0.98, 0.01, 0.01)))
    with pytest.raises(InvalidInputError, match=r"split ratios .* summing to 100"):
        SplitPolicy(ratios=(0.5, 0.2, 0.2))
    sources = np.array(["web"] * 57 + ["phone"] * 3, dtype=object)
    with pytest.raises(
        InvalidInputError,
        match=r"--dev-source 'phone' has 3 example\(s\) to "
        r"split, too few",
    ):
        make_split(
            make_data([30, 30], sources=sources), seed=0, policy=SplitPolicy(dev_source="phone")
        )


def test_a_class_too_rare_for_every_part_goes_to_train_whole(caplog):
    ds = make_data([30, 30, 2, 1])
    with caplog.at_level("WARNING", logger="orthotune.data"):
        split = make_split(ds, seed=0)
    check_partition(split, len(ds))
    expected = policy_sizes(len(ds))
    assert (len(split.dev), len(split.test)) == (expected["dev"], expected["test"])
    y = ds.y.numpy()
    assert set(np.flatnonzero(y >= 2)) <= set(split.train.tolist())
    for part in (split.dev, split.test):  # the others stay stratified, within one example
        counts = np.bincount(y[part], minlength=4)
        assert counts[2:].sum() == 0 and abs(int(counts[0]) - int(counts[1])) <= 1
    note = (
        "2 class(es) with fewer than 3 examples ('c2', 'c3'; 3 examples) are all in train: "
        "too few to be measured on dev and test"
    )
    assert note in split.notes and note in caplog.text
    sources = np.array(["web"] * 57 + ["phone"] * 6, dtype=object)
    with pytest.raises(InvalidInputError, match=r"class 'c3' has 1 example\(s\), too few"):
        make_split(  # dev and test from one source: its rules, unchanged
            make_data([30, 30, 2, 1], sources=sources),
            seed=0,
            policy=SplitPolicy(dev_source="web"),
        )


def test_split_json_round_trip_by_ids():
    ds = make_data([30, 30], sources=np.array(["a", "b"] * 30, dtype=object))
    split = make_split(ds, seed=2)
    saved = json.loads(json.dumps(split.to_json(ds)))
    assert saved["sizes"] == split.sizes() and saved["ids"]["dev"][0].startswith("id")
    back = Split.from_json(ds, saved)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(split.parts().values(), back.parts().values(), strict=True)
    )
    with pytest.raises(InvalidInputError, match=r"puts id 'nope' in dev but toy has no example"):
        Split.from_ids(ds, {"dev": ["nope"]})
    with pytest.raises(InvalidInputError, match=r"puts id 'id1' in both train and dev"):
        Split.from_ids(ds, {"train": ["id1"], "dev": ["id1"]})
    with pytest.raises(InvalidInputError, match=r"split part 'val' is unknown"):
        Split.from_ids(ds, {"val": ["id1"]})


def test_options_that_place_rows_are_refused_when_every_row_is_preset():
    preset = np.array(["train"] * 60 + ["dev"] * 20 + ["test"] * 20, dtype=object)
    sources = np.array(["web", "phone"] * 50, dtype=object)
    ds = make_data([50, 50], sources=sources, preset=preset)
    assert len(make_split(ds, seed=0).dev) == 20  # as preset
    assert len(make_split(ds, seed=0, policy=SplitPolicy(train_dev=False)).train) == 60
    for policy, flag in (
        (SplitPolicy(ratios=(0.7, 0.15, 0.15)), "--split-ratios"),
        (SplitPolicy(train_dev=True), "--train-dev"),
        (SplitPolicy(dev_source="phone"), "--dev-source"),
    ):
        with pytest.raises(
            InvalidInputError,
            match=rf"^{flag}: every example's part is given by the split column, so there is "
            "nothing for them to place",
        ):
            make_split(ds, seed=0, policy=policy)  # ignored before: no train-dev, web in dev
    some_free = preset.copy()
    some_free[:10] = ""  # rows the policy places: the options act on them
    ds = make_data([50, 50], sources=sources, preset=some_free)
    assert len(make_split(ds, seed=0, policy=SplitPolicy(train_dev=True)).train_dev) > 0
