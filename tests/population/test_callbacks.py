"""Epoch metrics and the prune hook."""

import pytest

from orthotune import InvalidInputError
from orthotune.population import EpochMetrics, PruneWith


def test_prune_with_asks_for_each_member_with_its_value():
    metrics = EpochMetrics(3, [4, 7], [0.9, 0.8], dev_error=[0.2, 0.5], dev_loss=[0.6, 1.1])
    asked = []
    hook = PruneWith(lambda mid, epoch, v: asked.append((mid, epoch, v)) or v > 0.3)
    assert hook.on_epoch_end(None, 3, metrics) == [7]
    assert asked == [(4, 3, 0.2), (7, 3, 0.5)]
    assert PruneWith(lambda *a: True, metric="dev_loss").on_epoch_end(None, 3, metrics) == [4, 7]


def test_metric_without_a_dev_set_is_refused_with_the_fix():
    metrics = EpochMetrics(0, [0], [1.0])
    with pytest.raises(InvalidInputError, match="needs a dev set"):
        metrics.value(0, "dev_error")
    with pytest.raises(InvalidInputError, match="accepted are dev_error"):
        metrics.value(0, "accuracy")
    assert metrics.value(0, "train_loss") == 1.0
