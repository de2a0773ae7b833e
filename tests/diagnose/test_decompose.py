import pytest
from scipy.stats import binomtest

from orthotune.diagnose import (
    ErrorLevels,
    GapName,
    decompose,
    newcombe_interval,
    wilson_interval,
)

# The lecture's Models A-D (Bayes 0.5 %, human 0.7 %). Model B's variance is 0.5 %
# (the lecture's 0.8 % is a typo: 4.0 - 3.5).
MODELS = {
    "A": ("3.5%", "7.8%", 0.030, 0.028, 0.043),
    "B": ("3.5%", "4.0%", 0.030, 0.028, 0.005),
    "C": ("1.0%", "5.0%", 0.005, 0.003, 0.040),
    "D": ("0.8%", "1.0%", 0.003, 0.001, 0.002),
}


@pytest.mark.parametrize("model", sorted(MODELS))
def test_lecture_models_decomposition(model):
    train, dev, bias, avoidable, variance = MODELS[model]
    d = decompose(
        ErrorLevels.from_rates(
            human_error="0.7%", bayes_error="0.5%", train_error=train, dev_error=dev
        )
    )
    assert d.bias.value == pytest.approx(bias)
    assert d.avoidable_bias.value == pytest.approx(avoidable)
    assert d.variance.value == pytest.approx(variance)
    assert (d.variance.upper, d.variance.lower) == ("dev", "train")
    assert d.data_mismatch is None and d.dev_overfitting is None
    assert d.variance.low is None  # no example counts: noise unknown


def test_train_dev_and_test_split_the_gap():
    d = decompose(
        ErrorLevels.from_rates(
            human_error="1%",
            train_error="2%",
            train_dev_error="3%",
            dev_error="7%",
            test_error="9%",
        )
    )
    assert d.variance.value == pytest.approx(0.01)
    assert (d.variance.upper, d.variance.lower) == ("train-dev", "train")
    assert d.data_mismatch.value == pytest.approx(0.04)
    assert d.dev_overfitting.value == pytest.approx(0.02)
    assert [g.name for g in d.gaps()] == [
        GapName.AVOIDABLE_BIAS,
        GapName.VARIANCE,
        GapName.DATA_MISMATCH,
        GapName.DEV_OVERFITTING,
    ]


@pytest.mark.parametrize(("k", "n"), [(0, 50), (35, 1000), (3, 10), (500, 1000), (10, 10)])
def test_wilson_interval_equals_scipy(k, n):
    expected = binomtest(k, n).proportion_ci(method="wilson")
    assert wilson_interval(k / n, n) == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Stat. Med. 17:873, example (a): 56/70 - 48/80, method 10.
    assert newcombe_interval(56 / 70, 70, 48 / 80, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)


def test_level_and_gap_intervals_from_counts():
    d = decompose(
        ErrorLevels.from_rates(
            human_error="0.7%",
            train_error="3.5%",
            dev_error="7.8%",
            train_size=10_000,
            dev_size=1_000,
            dev_sources={"web": ("10%", 500), "phone": ("5.6%", 500)},
        )
    )
    train = d.level("train")
    assert train.low < 0.035 < train.high
    ab = d.avoidable_bias
    assert (ab.low, ab.high) == pytest.approx((train.low - 0.007, train.high - 0.007))
    v = d.variance
    assert v.low < v.value < v.high and v.low > 0
    assert [s.name for s in d.sources] == ["dev[web]", "dev[phone]"]


def test_wilson_interval_always_holds_the_observed_rate():
    from orthotune.diagnose._decompose import wilson_interval

    for n in (1, 7, 359, 1079, 10_000):
        for errors in {0, 1, n // 2, n - 1, n}:
            rate = errors / n
            low, high = wilson_interval(rate, n)
            assert 0.0 <= low <= rate <= high <= 1.0, (n, errors, low, high)
