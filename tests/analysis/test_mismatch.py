from __future__ import annotations

import numpy as np
import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.analysis import domain_classifier, mismatch_from_predictions, read_predictions
from tests.analysis.conftest import predictions_frame


def test_per_source_dev_errors_and_gaps(tmp_path):
    path = tmp_path / "p.csv"
    predictions_frame().to_csv(path, index=False)
    report = mismatch_from_predictions(read_predictions(path))
    assert report.train_error == pytest.approx(2 / 220)
    assert report.train_dev_error == pytest.approx(0.05)
    assert report.dev_error == pytest.approx(0.12)
    assert report.data_mismatch == pytest.approx(0.07)
    assert report.variance == pytest.approx(0.05 - 2 / 220)
    by_source = {s.source: s for s in report.dev_sources}
    assert by_source["s1"].error_rate == pytest.approx(4 / 92)
    assert by_source["s2"].error_rate == pytest.approx(1.0)
    assert report.worst_source == "s2"


def test_domain_classifier_finds_the_shifted_feature():
    rng = np.random.default_rng(0)
    train = rng.normal(0, 1, (400, 5))
    dev = rng.normal(0, 1, (400, 5))
    dev[:, 3] += 1.5  # planted shift in feature 3
    shift = domain_classifier(train, dev, feature_names=["a", "b", "c", "d", "e"])
    assert shift.auc > 0.8
    assert not shift.same_distribution
    assert shift.top_features[0].name == "d"


def test_domain_classifier_same_distribution_near_half():
    rng = np.random.default_rng(1)
    shift = domain_classifier(rng.normal(0, 1, (400, 5)), rng.normal(0, 1, (400, 5)))
    assert shift.auc < 0.6
    assert shift.same_distribution


def test_domain_classifier_refuses_mismatched_features():
    with pytest.raises(InvalidInputError, match="same features on both sides"):
        domain_classifier(np.zeros((20, 3)), np.zeros((20, 4)))


def test_dev_likeness_weights_lift_the_training_examples_that_look_like_dev():
    from orthotune.analysis import dev_likeness_weights

    rng = np.random.default_rng(2)
    common = rng.normal(0, 1, (540, 4))
    rare = rng.normal(0, 1, (60, 4)) + np.array([3.0, 0, 0, 0])  # 10 % of training
    train = np.concatenate([common, rare])
    dev = rng.normal(0, 1, (300, 4)) + np.array([3.0, 0, 0, 0])  # dev is all of that kind
    w = dev_likeness_weights(train, dev)
    assert w.shape == (600,) and w.mean() == pytest.approx(1.0)
    assert w[540:].mean() > 5 * w[:540].mean()  # the dev-like tenth counts far more
    assert w.max() / w.min() <= 100 + 1e-9  # clipped to [1/10, 10] before normalizing
    with pytest.raises(InvalidInputError, match="reweighting needs the same features"):
        dev_likeness_weights(np.zeros((20, 3)), np.zeros((20, 4)))


def test_the_domain_classifiers_give_up_at_their_deadline():
    # a 60-s tune spent 70 s in them before any variant trained (a new-user sweep)
    import time

    from orthotune.analysis import dev_likeness_weights, synthesize_toward

    rng = np.random.default_rng(3)
    train, dev = rng.normal(0, 1, (300, 4)), rng.normal(1, 1, (300, 4))
    assert dev_likeness_weights(train, dev, deadline=time.monotonic()) is None
    assert dev_likeness_weights(train, dev, deadline=time.monotonic() + 600) is not None
    choice = synthesize_toward(
        torch.as_tensor(train, dtype=torch.float32),
        torch.as_tensor(dev, dtype=torch.float32),
        deadline=time.monotonic(),
    )
    assert choice.candidates == [] and choice.best_policy is None  # none tried past it


def test_reweighting_is_not_tried_where_train_and_dev_are_told_apart():
    # every weight clipped alike: the variants would retrain the current model bit for bit
    import math
    from types import SimpleNamespace

    from orthotune.autopilot._loop import _dev_weights

    rng = np.random.default_rng(4)
    train = torch.as_tensor(rng.normal(0, 1, (300, 4)), dtype=torch.float32)
    part = SimpleNamespace
    apart = part(train=part(x=train, weights=None), dev=part(x=train[:100] + 50))
    weights, why = _dev_weights(apart, 0, math.inf)
    assert weights is None and why.startswith("a domain classifier tells (almost) every")
    near = part(train=part(x=train, weights=None), dev=part(x=train[:100] + 0.5))
    weights, why = _dev_weights(near, 0, math.inf)
    assert why is None and weights.shape == (300,) and float(weights.std()) > 0
    weights, why = _dev_weights(near, 0, 0.0)  # its deadline long past
    assert weights is None and "does not fit in the time left" in why
