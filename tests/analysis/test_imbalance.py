from __future__ import annotations

import numpy as np
import pytest

from orthotune.analysis import detect_imbalance, oversample_index


def test_planted_minority_is_found_with_three_remedies():
    y = np.array([0] * 100 + [1] * 90 + [2] * 10)
    report = detect_imbalance(y, ("a", "b", "c"))
    assert report.imbalanced
    assert report.minority_classes == ["c"]
    assert report.imbalance_ratio == pytest.approx(10.0)
    kinds = [r.kind for r in report.remedies]
    assert kinds == ["class_weights", "oversample", "augment_minority"]
    weights = report.remedies[0].per_class
    # every class weighs the same in total: n_k · w_k equal
    assert 100 * weights["a"] == pytest.approx(10 * weights["c"])
    assert report.remedies[0].train_config == {"class_balance": True}
    assert report.remedies[1].per_class["c"] == pytest.approx(10.0)


def test_balanced_classes_need_no_remedy():
    report = detect_imbalance(np.array([0, 1, 2] * 30), ("a", "b", "c"))
    assert not report.imbalanced
    assert report.remedies == []


def test_oversample_index_balances_every_class():
    y = np.array([0] * 50 + [1] * 7)
    idx = oversample_index(y, seed=1)
    counts = np.bincount(y[idx])
    assert counts.tolist() == [50, 50]
    assert set(np.flatnonzero(y == 1)) <= set(idx.tolist())
