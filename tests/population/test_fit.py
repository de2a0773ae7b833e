"""``fit_population`` equals ``Trainer.fit`` member by member; stopping, pruning, failures."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import Dataset
from orthotune.models import ConvBlock, ModelSpec
from orthotune.population import (
    MemberStatus,
    Population,
    PopulationCallback,
    PruneWith,
    StopReason,
    fit_population,
)
from orthotune.train import TrainConfig, Trainer
from tests.population.reference import seeded_model, tiny_data

SPEC = ModelSpec(input_shape=(5,), num_classes=3, hidden=(10,), batch_norm=True)
M, BATCH = 21, 8  # batches of 8, 8, 5; a batch of 1 would join the previous one


def dataset(m: int, seed: int, *, weighted: bool = False) -> Dataset:
    x, y, s = tiny_data(m, SPEC.input_shape, SPEC.num_classes, dtype=torch.float64, seed=seed)
    return Dataset(
        x=x,
        y=y,
        class_names=("a", "b", "c"),
        ids=np.arange(m).astype(str),
        weights=s if weighted else None,
    )


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "own"])
def test_each_member_equals_its_trainer_run(shared):
    train, dev = dataset(M, 0, weighted=True), dataset(12, 1)
    configs = [
        TrainConfig(optimizer="adam", lr=0.01, batch_size=BATCH, epochs=4, schedule="cosine"),
        TrainConfig(optimizer="adam", lr=0.03, batch_size=BATCH, epochs=3, l2=1.0, patience=1),
    ]
    seeds = [4, 5]
    population = Population(SPEC, configs, num_examples=M, seeds=seeds, dtype=torch.float64)
    result = fit_population(population, train, dev, shared_batches=shared, seed=9)

    for i, config in enumerate(configs):
        model = seeded_model(SPEC, seeds[i], torch.float64)
        trainer = Trainer(config, device="cpu", seed=9 if shared else seeds[i])
        expected = trainer.fit(model, train, dev)
        member = result.members[i]
        assert member.reason == expected.stop_reason
        assert member.epochs == expected.epochs_run
        assert member.best_epoch == expected.best_epoch
        assert member.restored_best == expected.restored_best
        for got, want in zip(member.history, expected.history, strict=True):
            assert got.steps == want.steps
            assert got.lr == pytest.approx(want.lr, rel=1e-12)
            assert got.train_error == pytest.approx(want.train_error, abs=1e-6)
            assert got.dev_error == pytest.approx(want.dev_error, abs=1e-6)
            for name in ("train_loss", "smoothed_loss", "dev_loss"):
                assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-5)
            assert got.gradients.norms == pytest.approx(want.gradients.norms, rel=1e-6)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)
    assert result.members[0].status is MemberStatus.COMPLETED


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "own"])
def test_augmentation_and_class_balance_per_member_equal_their_trainer_runs(shared):
    spec = ModelSpec(
        input_shape=(1, 12), kind="cnn1d", num_classes=3, conv=(ConvBlock(channels=3),)
    )
    x, y, s = tiny_data(M, spec.input_shape, 3, dtype=torch.float64, seed=2)
    train = (x, y, s)
    configs = [
        TrainConfig(lr=0.01, batch_size=BATCH, epochs=2, augment="standard"),
        TrainConfig(lr=0.02, batch_size=BATCH, epochs=2, class_balance=True),
        TrainConfig(lr=0.03, batch_size=BATCH, epochs=2, augment="light", class_balance=True),
        TrainConfig(lr=0.04, batch_size=BATCH, epochs=2, augment="standard"),
    ]
    seeds = [1, 2, 3, 4]
    population = Population(spec, configs, num_examples=M, seeds=seeds, dtype=torch.float64)
    fit_population(population, train, shared_batches=shared, seed=6)
    for i, config in enumerate(configs):
        model = seeded_model(spec, seeds[i], torch.float64)
        Trainer(config, device="cpu", seed=6 if shared else seeds[i]).fit(model, train)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)


CNN = ModelSpec(input_shape=(1, 12), kind="cnn1d", num_classes=3, conv=(ConvBlock(channels=3),))


def _losses_equal_trainer_runs(spec, configs, *, seed, backward="auto") -> list[float]:
    """Train ``configs`` as one population (shared batches, example weights) and each as its
    own Trainer run; assert they agree; return the members' last train losses."""
    x, y, s = tiny_data(M, spec.input_shape, 3, dtype=torch.float64, seed=seed)
    seeds = list(range(1, len(configs) + 1))
    population = Population(
        spec, configs, num_examples=M, seeds=seeds, dtype=torch.float64, backward=backward
    )
    result = fit_population(population, (x, y, s), shared_batches=True, seed=6)
    losses = []
    for i, config in enumerate(configs):
        model = seeded_model(spec, seeds[i], torch.float64)
        expected = Trainer(config, device="cpu", seed=6).fit(model, (x, y, s))
        got = result.members[i].history[-1].train_loss
        assert got == pytest.approx(expected.history[-1].train_loss, rel=1e-6)  # float32 record
        losses.append(got)
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)
    return losses


@pytest.mark.parametrize("kind", ["mlp", "cnn1d"])  # hand-written backward, autograd
def test_label_smoothing_per_member_equals_its_trainer_run(kind):
    configs = [
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2, label_smoothing=0.2),
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2),
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2, label_smoothing=0.05),
    ]
    _losses_equal_trainer_runs(SPEC if kind == "mlp" else CNN, configs, seed=3)


@pytest.mark.parametrize(
    ("kind", "backward"), [("mlp", "manual"), ("mlp", "autograd"), ("cnn1d", "autograd")]
)
def test_focal_gamma_per_member_equals_its_trainer_run(kind, backward):
    """Members with different γ (with and without label smoothing, with example weights) in
    one population, each equal to its own Trainer run, in both backward engines."""
    configs = [
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2, focal_gamma=2.0),
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2),
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2, focal_gamma=0.5, label_smoothing=0.1),
        TrainConfig(lr=0.05, batch_size=BATCH, epochs=2, focal_gamma=5.0),
    ]
    spec = SPEC if kind == "mlp" else CNN
    losses = _losses_equal_trainer_runs(spec, configs, seed=5, backward=backward)
    assert len(set(losses)) == len(losses)  # the members really trained on different losses


def test_members_on_their_own_training_subsets_equal_trainer_runs_on_those_rows():
    x, y, s = tiny_data(M, SPEC.input_shape, 3, dtype=torch.float64, seed=4)
    folds = [torch.arange(M)[torch.arange(M) % 3 != k] for k in range(3)]  # 14 rows each
    configs = [TrainConfig(lr=0.05, batch_size=BATCH, epochs=3, l2=0.5)] * 3
    seeds = [7, 8, 9]
    population = Population(SPEC, configs, num_examples=14, seeds=seeds, dtype=torch.float64)
    fit_population(population, (x, y, s), subsets=folds)
    for i, rows in enumerate(folds):
        model = seeded_model(SPEC, seeds[i], torch.float64)
        Trainer(configs[i], device="cpu", seed=seeds[i]).fit(model, (x[rows], y[rows], s[rows]))
        for name, value in model.state_dict().items():
            torch.testing.assert_close(population.state_dict(i)[name], value, rtol=1e-9, atol=1e-12)


def test_uneven_subsets_train_on_the_smallest_size_and_bad_subsets_are_refused():
    x, y, _ = tiny_data(M, SPEC.input_shape, 3, dtype=torch.float64, seed=4)
    folds = [torch.arange(0, 10), torch.arange(10, 21)]  # 10 and 11 rows
    configs = [TrainConfig(lr=0.05, batch_size=5, epochs=2)] * 2
    population = Population(SPEC, configs, num_examples=10, dtype=torch.float64)
    result = fit_population(population, (x, y), subsets=folds)
    assert [r.steps for r in result.members[0].history] == [2, 2]
    assert [r.steps for r in result.members[1].history] == [2, 2]
    with pytest.raises(InvalidInputError, match="got 1 training subsets for 2 members"):
        fit_population(Population(SPEC, configs, num_examples=10), (x, y), subsets=folds[:1])
    with pytest.raises(InvalidInputError, match="rows outside 0…20"):
        fit_population(
            Population(SPEC, configs, num_examples=10), (x, y), subsets=[folds[0], [3, 99]]
        )
    with pytest.raises(InvalidInputError, match="smallest training subset has 10 examples"):
        fit_population(Population(SPEC, configs, num_examples=21), (x, y), subsets=folds)


def test_early_stopping_pruning_and_failure_each_leave_with_their_reason(caplog):
    train, dev = dataset(M, 0), dataset(12, 1)
    spec = SPEC.model_copy(update={"batch_norm": False})
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

    population = Population(spec, configs, num_examples=M, dtype=torch.float64)
    with caplog.at_level(logging.WARNING):
        result = fit_population(population, train, dev, callbacks=[PruneWith(should_prune)])

    early, pruned, failed, done = result.members
    assert early.status is MemberStatus.EARLY_STOPPED
    assert early.reason is StopReason.PATIENCE_EXHAUSTED
    assert "did not improve" in early.message and "in the last 2 epochs" in early.message
    assert early.epochs == 3 and early.best_epoch == 0 and early.restored_best
    assert pruned.status is MemberStatus.PRUNED and pruned.reason is StopReason.CALLBACK
    assert pruned.epochs == 5 and "PruneWith after epoch 4" in pruned.message
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
    spec = SPEC.model_copy(update={"batch_norm": False})
    configs = [
        TrainConfig(optimizer="sgd", lr=lr, batch_size=BATCH, epochs=2) for lr in (0.1, 1e200)
    ]
    result = fit_population(
        Population(spec, configs, num_examples=M, dtype=torch.float64), train, dev
    )
    assert result.best().member_id == 0
    assert result.best("best_dev_error").member_id == 0
    alone = fit_population(
        Population(spec, configs[1:], num_examples=M, dtype=torch.float64), train, dev
    )
    assert alone.best() is None


def test_a_time_budget_stops_every_member_with_its_reason():
    configs = [TrainConfig(batch_size=1, epochs=1000)] * 2
    population = Population(SPEC, configs, num_examples=M, dtype=torch.float64)
    result = fit_population(population, dataset(M, 0), time_budget_s=0.05)
    for member in result.members:
        assert member.status is MemberStatus.OUT_OF_TIME
        assert member.reason is StopReason.TIME_BUDGET
        assert "time budget of 0.05 s used up" in member.message
        assert 0 < member.epochs < 1000


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
    result = fit_population(population, dataset(M, 0), callbacks=[callback])
    assert [c[:2] for c in callback.calls] == [(0, [0, 1]), (1, [0, 1])]
    assert result.members[1].config.lr == pytest.approx(0.005)
    assert result.members[0].history[0].dev_error is None


def test_fit_refuses_inputs_that_do_not_fit_the_population():
    population = Population(SPEC, [TrainConfig(patience=2)], num_examples=M)
    with pytest.raises(InvalidInputError, match="num_examples=30"):
        fit_population(population, dataset(30, 0))
    with pytest.raises(InvalidInputError, match="patience"):
        fit_population(population, dataset(M, 0))
    with pytest.raises(InvalidInputError, match="not accepted: give a Dataset"):
        fit_population(population, "train.csv")
    with pytest.raises(InvalidInputError, match="time budget -1"):
        fit_population(population, dataset(M, 0), dataset(4, 1), time_budget_s=-1)
    other = Population(
        SPEC.model_copy(update={"input_shape": (4,)}), [TrainConfig()], num_examples=M
    )
    with pytest.raises(InvalidInputError, match="expects"):
        fit_population(other, dataset(M, 0))
    with pytest.raises(InvalidInputError, match="dev_loss"):
        PruneWith(lambda *a: False, metric="accuracy")
