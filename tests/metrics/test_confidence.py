import numpy as np
import pytest

from orthotune import InvalidInputError
from orthotune.metrics import (
    check_probabilities,
    confidence,
    confidence_summary,
    expected_calibration_error,
    top2_margin,
)

P = np.array([[0.7, 0.2, 0.1], [0.45, 0.45, 0.10], [0.1, 0.3, 0.6]])


def test_confidence_and_top2_margin():
    np.testing.assert_allclose(confidence(P), [0.7, 0.45, 0.6])
    np.testing.assert_allclose(top2_margin(P), [0.5, 0.0, 0.3], atol=1e-12)


def _ece_by_loop(p, y, n_bins):
    """A plain loop over bins (b/B, (b+1)/B] as an independent oracle."""
    conf, pred = p.max(1), p.argmax(1)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = (conf > lo) & (conf <= hi) if b else (conf <= hi)
        if inside.any():
            total += inside.mean() * abs((pred[inside] == y[inside]).mean() - conf[inside].mean())
    return total


@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_ece_matches_a_loop_over_bins(n_bins):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(500, 4)) * 2
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = rng.integers(0, 4, 500)
    assert expected_calibration_error(p, y, n_bins=n_bins) == pytest.approx(
        _ece_by_loop(p, y, n_bins)
    )


def test_perfect_one_hot_predictions_are_calibrated():
    y = np.array([0, 1, 2])
    assert expected_calibration_error(np.eye(3), y) == 0.0


def test_summary_counts_hesitant_examples():
    s = confidence_summary(P, np.array([0, 1, 2]), hesitation_threshold=0.1)
    assert s.hesitant_fraction == pytest.approx(1 / 3)
    assert s.ece is not None and s.n == 3


def test_rows_not_summing_to_one_are_named():
    bad = P.copy()
    bad[2] = [0.1, 0.3, 0.5]
    with pytest.raises(InvalidInputError, match=r"row 2 \(id 42\) sum to 0.9, not 1"):
        check_probabilities(bad, row_names=["id 7", "id 9", "id 42"])


def test_probabilities_outside_unit_interval_are_named():
    with pytest.raises(InvalidInputError, match=r"row 0 are \[1.5, -0.5\]"):
        check_probabilities([[1.5, -0.5]])
