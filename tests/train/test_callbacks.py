import math

import pytest
import torch

from orthotune.models import ModelSpec, build_model
from orthotune.train import (
    Callback,
    CheckpointCallback,
    EarlyStopping,
    EpochRecord,
    GradientNorms,
    Manifest,
    NonFiniteGuard,
    StopReason,
    TrainConfig,
    Trainer,
    TrainState,
    load_checkpoint,
)

SPEC = ModelSpec(input_shape=(4,), num_classes=2, hidden=(6,))


def _data(n=32):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return x, (x[:, 0] > 0).long()


def _state():
    model = build_model(SPEC)
    return TrainState(
        model=model, optimizer=torch.optim.SGD(model.parameters()), max_epochs=5, steps_per_epoch=1
    )


def _record(epoch, dev_error, train_loss=1.0):
    return EpochRecord(
        epoch=epoch,
        steps=1,
        lr=0.1,
        train_loss=train_loss,
        train_error=0.5,
        smoothed_loss=train_loss,
        dev_loss=1.0,
        dev_error=dev_error,
        seconds=0.0,
    )


@pytest.mark.parametrize("cls", [Callback, EarlyStopping, NonFiniteGuard, CheckpointCallback])
def test_every_callback_honours_the_hook_contract(cls, tmp_path):
    """Each hook takes (state[, …]) and returns None; a quiet run changes nothing."""
    kwargs = {
        EarlyStopping: {"patience": 2},
        CheckpointCallback: {"directory": tmp_path, "manifest": Manifest(spec=SPEC)},
    }.get(cls, {})
    cb = cls(**kwargs)
    state = _state()
    assert cb.on_fit_start(state) is None
    assert cb.on_epoch_start(state) is None
    assert cb.on_batch_end(state, 0, torch.tensor(1.0)) is None
    assert cb.on_epoch_end(state, _record(0, 0.5)) is None
    assert cb.on_fit_end(state) is None
    assert state.stop_reason is None
    for hook in (
        "on_fit_start",
        "on_epoch_start",
        "on_batch_end",
        "on_epoch_end",
        "on_fit_end",
        "on_result",
    ):
        assert getattr(Callback, hook).__doc__.strip().endswith(".")


def test_early_stopping_counts_patience_from_the_best_epoch():
    es = EarlyStopping(patience=2, min_delta=0.01)
    state = _state()
    es.on_fit_start(state)
    for epoch, err in enumerate([0.5, 0.4, 0.395, 0.41]):
        es.on_epoch_end(state, _record(epoch, err))
    assert state.stop_reason is StopReason.PATIENCE_EXHAUSTED
    assert state.stop_message == (
        "dev error did not improve by 0.01 in the last 2 epochs; best 0.4 at epoch 2"
    )


def test_non_finite_guard_ignores_finite_and_catches_inf():
    guard = NonFiniteGuard()
    state = _state()
    guard.on_fit_start(state)
    guard.on_epoch_end(state, _record(0, 0.5))
    assert state.stop_reason is None
    guard.on_epoch_end(state, _record(1, 0.5, train_loss=math.inf))
    assert state.stop_reason is StopReason.NON_FINITE
    assert state.stop_message.startswith("train loss became inf in epoch 2 (lr 0.1)")


def test_checkpoint_callback_keeps_the_best_dev_epoch(tmp_path):
    x, y = _data()
    torch.manual_seed(0)
    model = build_model(SPEC)
    cb = CheckpointCallback(tmp_path / "m", Manifest(spec=SPEC, class_names=("n", "p")))
    dev = (x, 1 - y)  # dev error grows as train error falls: the best is early
    result = Trainer(
        TrainConfig(lr=0.05, batch_size=None, epochs=6), device="cpu", callbacks=[cb]
    ).fit(model, (x, y), dev)
    _, manifest = load_checkpoint(tmp_path / "m")
    assert manifest.metrics["epoch"] == cb.saved_epoch == result.best_epoch
    assert manifest.metrics["dev_error"] == pytest.approx(min(r.dev_error for r in result.history))
    assert manifest.class_names == ("n", "p")


def test_gradient_norm_flags():
    g = GradientNorms.from_norms({"a": 1e-9, "b": 0.5, "c": 2e3, "d": float("nan"), "e": 1e-5})
    # e is below 1e-4 × the largest norm (2e3): vanishing relative to the other layers
    assert g.vanishing == ["a", "e"] and g.exploding == ["c", "d"]
    assert GradientNorms.from_norms({"a": 1e-6, "b": 1.0}).vanishing == ["a"]
