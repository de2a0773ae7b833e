"""``Population.fit``: epochs, shared or own mini-batches, early stopping, pruning, failures."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import Dataset
from orthotune.models import ModelSpec
from orthotune.population import (
    MemberStatus,
    Population,
    PopulationCallback,
    PruneWith,
    StopReason,
    epoch_permutation,
    member_batch_seed,
)
from orthotune.train import TrainConfig
from tests.population.reference import seeded_model, tiny_data, train_reference

SPEC = ModelSpec(input_shape=(5,), num_classes=3, hidden=(10,))
M, BATCH = 20, 8  # 3 steps per epoch, the last one of 4 examples


def dataset(m: int, seed: int, *, dtype=torch.float64, weighted: bool = False) -> Dataset:
    x, y, s = tiny_data(m, SPEC.input_shape, SPEC.num_classes, dtype=dtype, seed=seed)
    return Dataset(
        x=x,
        y=y,
        class_names=("a", "b", "c"),
        ids=np.arange(m).astype(str),
        weights=s if weighted else None,
    )


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "own"])
def test_fit_equals_torch_runs_on_the_same_shuffled_batches(shared):
    train, dev = dataset(M, 0, weighted=True), dataset(12, 1)
    configs = [
        TrainConfig(optimizer="adam", lr=0.01, batch_size=BATCH, epochs=4, schedule="cosine"),
        TrainConfig(optimizer="adam", lr=0.03, batch_size=BATCH, epochs=2, l2=1.0),
    ]
    population = Population(SPEC, configs, num_examples=M, seeds=[4, 5], dtype=torch.float64)
    result = population.fit(train, dev, shared_batches=shared, seed=9)

    assert [m.epochs for m in result.members] == [4, 2]
    assert all(m.status is MemberStatus.COMPLETED for m in result.members)
    assert result.members[1].reason is StopReason.EPOCHS_DONE
    assert result.steps == 4 * 3
    for i, config in enumerate(configs):
        seed = 9 if shared else member_batch_seed(9, [4, 5][i])
        batches = []
        for epoch in range(config.epochs):
            order = epoch_permutation(M, seed=seed, epoch=epoch)
            for s in range(3):
                idx = order[s * BATCH : (s + 1) * BATCH]
                batches.append((train.x[idx], train.y[idx], train.weights[idx]))
        model = seeded_model(SPEC, [4, 5][i], torch.float64)
        losses = train_reference(model, config, batches, num_examples=M, steps_per_epoch=3)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)
        history = result.members[i].history
        assert [r.epoch for r in history] == list(range(config.epochs))
        assert history[-1].train_loss == pytest.approx(np.mean(losses[-3:]), rel=1e-9)
        model.eval()
        with torch.no_grad():
            wrong = (model(dev.x).argmax(1) != dev.y).double().mean().item()
        assert history[-1].dev_error == pytest.approx(wrong)


def test_early_stopping_pruning_and_failure_each_leave_with_their_reason(caplog):
    train, dev = dataset(M, 0), dataset(12, 1)
    configs = [
        TrainConfig(optimizer="sgd", lr=1e-9, batch_size=BATCH, epochs=30, patience=2),
        TrainConfig(optimizer="sgd", lr=0.1, batch_size=BATCH, epochs=30),
        TrainConfig(optimizer="sgd", lr=1e200, batch_size=BATCH, epochs=30),
        TrainConfig(optimizer="sgd", lr=0.05, batch_size=BATCH, epochs=3),
    ]
    seen = []

    def should_prune(member_id: int, epoch: int, value: float) -> bool:
        seen.append((member_id, epoch))
        return member_id == 1 and epoch == 4

    population = Population(SPEC, configs, num_examples=M, dtype=torch.float64)
    with caplog.at_level(logging.WARNING):
        result = population.fit(train, dev, callbacks=[PruneWith(should_prune)])

    early, pruned, failed, done = result.members
    assert early.status is MemberStatus.EARLY_STOPPED
    assert early.reason is StopReason.PATIENCE_EXHAUSTED
    assert "did not improve" in early.message and "in the last 2 epochs" in early.message
    assert early.epochs == 3  # lr 1e-9 never moves the dev error
    assert pruned.status is MemberStatus.PRUNED and pruned.epochs == 5
    assert "PruneWith after epoch 4" in pruned.message
    assert failed.status is MemberStatus.FAILED and failed.history == []
    assert done.status is MemberStatus.COMPLETED and done.epochs == 3
    assert (1, 5) not in seen  # a pruned member is not asked again
    assert "1 of 4 members failed" in caplog.text
    best = result.best()
    assert best is not None and best.member_id != 2
    assert [m.member_id for m in result.failures] == [2]
    assert population.num_active == 0


def test_a_failed_member_is_never_reported_best():
    train, dev = dataset(M, 0), dataset(12, 1)
    configs = [
        TrainConfig(optimizer="sgd", lr=lr, batch_size=BATCH, epochs=2) for lr in (0.1, 1e200)
    ]
    result = Population(SPEC, configs, num_examples=M, dtype=torch.float64).fit(train, dev)
    assert result.best().member_id == 0
    assert result.best("best_dev_error").member_id == 0
    only_failed = Population(SPEC, configs[1:], num_examples=M, dtype=torch.float64).fit(train, dev)
    assert only_failed.best() is None


def test_callbacks_see_every_active_member_each_epoch_and_may_act_on_the_population():
    class Exploit(PopulationCallback):
        def __init__(self):
            self.calls = []

        def on_epoch_end(self, population, epoch, metrics):
            self.calls.append((epoch, metrics.member_ids, metrics.value(0, "train_loss")))
            if epoch == 0:
                population.copy_member(0, 1)
                population.perturb(1, {"lr": 0.5})
            return None

    configs = [TrainConfig(optimizer="adam", lr=0.01, batch_size=BATCH, epochs=2)] * 2
    population = Population(SPEC, configs, num_examples=M, dtype=torch.float64)
    callback = Exploit()
    result = population.fit(dataset(M, 0), callbacks=[callback])
    assert [c[:2] for c in callback.calls] == [(0, [0, 1]), (1, [0, 1])]
    assert result.members[1].config.lr == pytest.approx(0.005)
    assert result.members[0].history[0].dev_error is None


def test_fit_refuses_inputs_that_do_not_fit_the_population():
    population = Population(SPEC, [TrainConfig(patience=2)], num_examples=M)
    with pytest.raises(InvalidInputError, match="num_examples=30"):
        population.fit(dataset(30, 0))
    with pytest.raises(InvalidInputError, match="patience"):
        population.fit(dataset(M, 0))
    other = Population(
        SPEC.model_copy(update={"input_shape": (4,)}), [TrainConfig()], num_examples=M
    )
    with pytest.raises(InvalidInputError, match="expects"):
        other.fit(dataset(M, 0))
    with pytest.raises(InvalidInputError, match="dev_loss"):
        PruneWith(lambda *a: False, metric="accuracy")
