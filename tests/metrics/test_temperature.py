import numpy as np
import pytest
from scipy.special import softmax as scipy_softmax

from orthotune import InvalidInputError
from orthotune.metrics import (
    calibrate_temperature,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
    softmax,
)


def _calibrated(n=20_000, classes=5, seed=0):
    """Logits u and labels drawn from softmax(u): a perfectly calibrated model."""
    rng = np.random.default_rng(seed)
    u = rng.normal(scale=2.0, size=(n, classes))
    p = scipy_softmax(u, axis=1)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return u, y


def test_softmax_with_a_temperature_is_softmax_of_scaled_logits():
    z = np.random.default_rng(1).normal(size=(7, 4)) * 30
    np.testing.assert_allclose(softmax(z, temperature=2.5), scipy_softmax(z / 2.5, axis=1))
    with pytest.raises(InvalidInputError, match="temperature 0 is not positive"):
        softmax(z, temperature=0)


@pytest.mark.parametrize("t_true", [0.5, 1.0, 3.0])
def test_fit_recovers_a_known_temperature(t_true):
    u, y = _calibrated()
    # logits u·T have the true probabilities at temperature T
    assert fit_temperature(u * t_true, y) == pytest.approx(t_true, rel=0.05)


def test_scaling_lowers_the_ece_of_an_over_confident_model():
    u, y = _calibrated()
    scaled = calibrate_temperature(u * 5, y, folds=5, seed=0)
    assert scaled.ece_before > 0.10  # logits ×5: far too sure
    assert scaled.applied and scaled.temperature == pytest.approx(5, rel=0.05)
    assert scaled.ece_after < 0.02 < scaled.ece_before
    assert scaled.nll_after < scaled.nll_before
    assert len(scaled.fold_temperatures) == 5
    # the ECE after is measured out of fold: each fold scaled by its own (other-folds) T
    assert len(set(scaled.fold_temperatures)) == 5
    assert scaled.ece_before == pytest.approx(expected_calibration_error(softmax(u * 5), y))
    assert "ECE" in scaled.message and "5 folds" in scaled.message


def test_a_calibrated_model_keeps_probabilities_it_cannot_improve():
    u, y = _calibrated(n=2000, seed=4)
    scaled = calibrate_temperature(u, y, seed=0)
    assert scaled.fitted_temperature == pytest.approx(1.0, abs=0.1)
    if not scaled.applied:
        assert scaled.temperature == 1.0 and "T = 1 is kept" in scaled.message


def test_too_few_dev_examples_leave_t_at_1():
    u, y = _calibrated(n=30)
    scaled = calibrate_temperature(u * 5, y, folds=5)
    assert not scaled.applied and scaled.temperature == 1.0 and scaled.ece_after is None
    assert "30 dev examples, fewer than the 50 needed" in scaled.message


def test_a_dev_set_without_a_mistake_fits_no_temperature():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 200)
    z = rng.normal(size=(200, 3))
    z[np.arange(200), y] = z.max(axis=1) + 0.5  # every dev example right, none sure
    assert fit_temperature(z, y) == pytest.approx(0.05)  # the bound: logits × 20
    scaled = calibrate_temperature(z, y)
    assert not scaled.applied and scaled.temperature == 1.0  # was T = 0.05, "ECE … → 0.02 %"
    assert "the model gets all 200 dev examples right, so no temperature" in scaled.message


def test_reliability_bins_match_the_ece():
    u, y = _calibrated(n=3000)
    p = softmax(u * 3)
    bins = reliability_bins(p, y, n_bins=10)
    assert sum(b.count for b in bins) == 3000
    ece = sum(b.count * abs(b.accuracy - b.confidence) for b in bins if b.count) / 3000
    assert ece == pytest.approx(expected_calibration_error(p, y, n_bins=10))
    # over-confident: accuracy below confidence in the busiest top bins
    assert bins[-1].accuracy < bins[-1].confidence


@pytest.mark.parametrize(
    ("logits", "y", "folds", "message"),
    [
        (np.zeros((5, 3)), np.zeros(4), 5, r"y_true has shape \(4,\) for 5 logit rows"),
        (np.full((5, 3), np.nan), np.zeros(5), 5, "NaN or infinite"),
        (np.zeros(5), np.zeros(5), 5, r"logits have shape \(5,\)"),
        (np.zeros((50, 3)), np.zeros(50), 1, "folds 1 is below 2"),
    ],
)
def test_bad_input_is_one_line(logits, y, folds, message):
    with pytest.raises(InvalidInputError, match=message):
        calibrate_temperature(logits, y, folds=folds)
