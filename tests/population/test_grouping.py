"""``group_trials``: trials share a population when shape, optimizer family and batch size match
(augmentation and class balancing vary per member)."""

import pytest

from orthotune import InvalidInputError
from orthotune.models import ConvBlock, ModelSpec
from orthotune.population import group_trials
from orthotune.train import TrainConfig

MLP = ModelSpec(input_shape=(40,), num_classes=10)
CNN = ModelSpec(kind="cnn1d", input_shape=(1, 40), num_classes=10, conv=(ConvBlock(channels=8),))


def test_trials_group_by_shape_family_and_batch_size_and_misfits_go_sequential():
    trials = [
        (MLP, TrainConfig(optimizer="sgd", lr=0.1)),  # 0
        (MLP.model_copy(update={"init": "xavier_normal"}), TrainConfig(optimizer="nesterov")),  # 1
        (MLP, TrainConfig(optimizer="adam")),  # 2
        (CNN, TrainConfig(optimizer="adam")),  # 3
        (MLP, TrainConfig(optimizer="momentum", batch_size=128)),  # 4
        (MLP.model_construct(**{**dict(MLP), "kind": "rnn"}), TrainConfig()),  # 5
        (MLP.model_copy(update={"dropout": 0.2}), TrainConfig(optimizer="adam")),  # 6
        (MLP.model_copy(update={"dropout": 0.3}), TrainConfig(optimizer="adam")),  # 7
        (MLP, TrainConfig(optimizer="adam", class_balance=True, augment="light")),  # 8
    ]
    groups = group_trials(trials)
    vectorized = [g.indices for g in groups if g.vectorized]
    assert vectorized == [[0, 1], [2, 8], [3], [4], [6, 7]]
    sequential = [g for g in groups if not g.vectorized]
    assert [g.indices for g in sequential] == [[5]]
    assert "no stacked implementation" in sequential[0].reason


def test_large_groups_split_into_chunks():
    trials = [(MLP, TrainConfig(lr=0.001 * (i + 1))) for i in range(7)]
    assert [g.indices for g in group_trials(trials, max_members=3)] == [
        [0, 1, 2],
        [3, 4, 5],
        [6],
    ]
    with pytest.raises(InvalidInputError, match="max_members=0"):
        group_trials(trials, max_members=0)
