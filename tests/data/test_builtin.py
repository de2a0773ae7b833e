import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import load_dataset, make_synthetic
from orthotune.data._builtin import mnist1d_arrays


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ORTHOTUNE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.slow
def test_mnist1d_canonical_split_levels_and_cache(cache):
    state = np.random.get_state()[1].copy()
    ds = load_dataset("builtin:mnist1d")
    assert np.array_equal(np.random.get_state()[1], state)  # global RNG left alone
    assert ds.x.shape == (5000, 1, 40) and ds.x.dtype == torch.float32
    assert ds.class_names == tuple("0123456789")
    assert ds.reference.human_error == pytest.approx(0.042)
    assert (ds.preset_split == "test").sum() == 1000
    assert (ds.preset_split[:4000] == "").all()  # dev comes out of the first 4000
    cached = list(cache.glob("mnist1d-*.npz"))
    assert len(cached) == 1
    # the second load reads the cache, and gives the same arrays
    again = load_dataset("builtin:mnist1d")
    assert torch.equal(again.x, ds.x) and torch.equal(again.y, ds.y)
    # a damaged cache is regenerated
    cached[0].write_bytes(b"garbage")
    arrays = mnist1d_arrays()
    assert arrays["x_test"].shape == (1000, 40)
    assert np.array_equal(arrays["y"], ds.y.numpy()[:4000])


def test_digits_and_breast_cancer():
    digits = load_dataset("builtin:digits")
    assert digits.x.shape == (1797, 1, 8, 8) and digits.num_classes == 10
    assert digits.x.max().item() == 16.0
    cancer = load_dataset("builtin:breast-cancer")
    assert cancer.x.shape == (569, 30) and cancer.class_names == ("malignant", "benign")
    assert len(cancer.feature_names) == 30 and cancer.ids[0] == "0"


def test_synthetic_flip_rate_matches_bayes_error():
    clean = make_synthetic(n=20000, classes=4, noise=0.0, seed=3)
    noisy = make_synthetic(n=20000, classes=4, noise=0.2, seed=3)
    assert noisy.reference.bayes_error == 0.2
    assert torch.equal(clean.x, noisy.x)  # same inputs, same teacher: only flips differ
    flipped = (clean.y != noisy.y).double().mean().item()
    assert abs(flipped - 0.2) < 3 * np.sqrt(0.2 * 0.8 / 20000)
    counts = np.bincount(clean.y.numpy(), minlength=4) / 20000
    assert counts.min() > 0.15  # the teacher's classes are roughly balanced


def test_synthetic_query_string_and_shifted_source():
    ds = load_dataset("builtin:synthetic?n=400&classes=5&features=7&noise=5%&shift=2&seed=1")
    assert ds.x.shape == (400, 7) and ds.num_classes == 5
    assert ds.reference.bayes_error == pytest.approx(0.05)
    assert set(ds.source) == {"base", "shifted"} and (ds.source == "shifted").sum() == 100
    shifted = ds.x[torch.from_numpy(ds.source == "shifted")]
    assert shifted.mean(0).norm().item() == pytest.approx(2.0, abs=0.5)  # known mean shift
    same = load_dataset("builtin:synthetic?seed=1&n=400&classes=5&features=7&noise=0.05&shift=2")
    assert torch.equal(same.x, ds.x) and torch.equal(same.y, ds.y)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            "builtin:mnist",
            r"builtin:mnist is not a built-in data set; accepted: builtin:mnist1d, "
            r"builtin:digits, builtin:breast-cancer, builtin:synthetic",
        ),
        ("builtin:digits?n=3", r"builtin:digits takes no options"),
        ("builtin:synthetic?size=3", r"option 'size' is unknown; accepted: n, classes"),
        ("builtin:synthetic?n=abc", r"option n='abc' is not an integer"),
        ("builtin:synthetic?noise=0.7&classes=2", r"noise=0.7 must be in \[0, 0.5\)"),
        ("builtin:synthetic?noise=7", r"noise 7 is above 1"),
        ("builtin:synthetic?classes=1", r"classes=1: give classes ≥ 2"),
    ],
)
def test_bad_builtin_specs(spec, match):
    with pytest.raises(InvalidInputError, match=match):
        load_dataset(spec)
