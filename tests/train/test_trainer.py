import copy
import math

import pytest
import torch
from torch import nn

from orthotune._errors import InvalidInputError
from orthotune.models import ModelSpec, build_model
from orthotune.train import (
    Callback,
    Examples,
    StopReason,
    TrainConfig,
    Trainer,
    batch_bounds,
    batch_norm_momentum,
    lr_factor,
    resolve_device,
)


def _blobs(n=120, d=6, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, d, generator=g) * 3
    y = torch.randint(0, k, (n,), generator=g)
    x = centres[y] + torch.randn(n, d, generator=g)
    return x, y


def _mlp(d=6, k=3, seed=0, **kw):
    torch.manual_seed(seed)
    return build_model(ModelSpec(input_shape=(d,), num_classes=k, hidden=(16,), **kw))


def test_fit_learns_separable_blobs_and_fills_the_history():
    x, y = _blobs()
    model = _mlp()
    cfg = TrainConfig(optimizer="adam", lr=0.01, batch_size=16, epochs=8)
    result = Trainer(cfg, device="cpu").fit(model, (x[:90], y[:90]), (x[90:], y[90:]))
    assert result.stop_reason is StopReason.COMPLETED
    assert result.epochs_run == 8 == len(result.history)
    assert result.steps_per_epoch == math.ceil(90 / 16)
    assert result.train_error < 0.1 and result.dev_error < 0.15
    last = result.history[-1]
    assert last.train_loss < result.history[0].train_loss
    assert set(last.gradients.norms) == {"head.0.linear", "out"}
    assert all(v > 0 for v in last.gradients.norms.values())
    assert result.best_epoch is not None and not result.restored_best
    assert TrainResultJson.roundtrip(result)


def test_without_final_eval_the_final_errors_stay_unmeasured_and_the_weights_are_the_same():
    x, y = _blobs()
    cfg = TrainConfig(optimizer="adam", lr=0.01, batch_size=16, epochs=3)
    runs = {}
    for final in (True, False):
        model = _mlp()
        result = Trainer(cfg, device="cpu", final_eval=final).fit(
            model, (x[:90], y[:90]), (x[90:], y[90:])
        )
        runs[final] = (model, result)
    (full_model, full), (bare_model, bare) = runs[True], runs[False]
    assert full.train_error is not None and full.dev_loss is not None
    assert bare.train_error is bare.train_loss is bare.dev_error is bare.dev_loss is None
    assert bare.epochs_run == 3
    assert [r.dev_error for r in bare.history] == [r.dev_error for r in full.history]
    for a, b in zip(full_model.parameters(), bare_model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not bare_model.training  # left in eval mode, as with the final evaluation


class TrainResultJson:
    @staticmethod
    def roundtrip(result):
        from orthotune.train import TrainResult

        again = TrainResult.model_validate_json(result.model_dump_json())
        return again.history == result.history and again.schema_version == 1


def test_same_seed_same_run_other_seed_other_run():
    x, y = _blobs()
    cfg = TrainConfig(optimizer="momentum", lr=0.05, batch_size=8, epochs=3, augment="light")

    def run(seed):
        model = _mlp(dropout=0.2)
        return Trainer(cfg, device="cpu", seed=seed).fit(model, (x, y)), model

    (a, ma), (b, mb), (c, _) = run(1), run(1), run(2)
    assert [r.train_loss for r in a.history] == [r.train_loss for r in b.history]
    for pa, pb in zip(ma.parameters(), mb.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert [r.train_loss for r in a.history] != [r.train_loss for r in c.history]


@pytest.mark.parametrize(
    ("m", "bs", "want"),
    [
        (10, 1, [(i, i + 1) for i in range(10)]),  # stochastic gradient descent
        (10, None, [(0, 10)]),  # batch gradient descent
        (10, 4, [(0, 4), (4, 8), (8, 10)]),  # mini-batch
        (9, 4, [(0, 4), (4, 9)]),  # a trailing batch of one joins the previous one
        (3, 64, [(0, 3)]),
    ],
)
def test_batch_bounds_cover_every_example_once(m, bs, want):
    assert batch_bounds(m, bs) == want


def test_sample_weights_give_the_gradient_of_the_weighted_mean_loss():
    """One batch-GD step with SGD moves W by −α·∇(Σ s(i)L(i) / Σ s(i))."""
    x, y = _blobs(n=12)
    s = torch.rand(12, generator=torch.Generator().manual_seed(3)) * 3
    model = _mlp()
    ref = copy.deepcopy(model)
    cfg = TrainConfig(optimizer="sgd", lr=0.5, batch_size=None, epochs=1)
    Trainer(cfg, device="cpu").fit(model, Examples(x, y, s))

    per = nn.functional.cross_entropy(ref(x), y, reduction="none")
    ((per * s).sum() / s.sum()).backward()
    for p, p0 in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), (p0 - 0.5 * p0.grad).detach())


def test_a_weight_of_two_counts_like_a_duplicated_example():
    x, y = _blobs(n=10)
    w = torch.ones(10)
    w[0] = 2.0
    cfg = TrainConfig(optimizer="sgd", lr=0.3, batch_size=None, epochs=2)
    a, b = _mlp(), _mlp()
    Trainer(cfg, device="cpu").fit(a, Examples(x, y, w))
    Trainer(cfg, device="cpu").fit(b, (torch.cat([x, x[:1]]), torch.cat([y, y[:1]])))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb)


def test_class_balance_gives_each_class_the_same_total_weight():
    x, y = _blobs(n=12)
    y = torch.tensor([0] * 9 + [1] * 3)
    model = _mlp(k=2)
    ref = copy.deepcopy(model)
    cfg = TrainConfig(optimizer="sgd", lr=0.5, batch_size=None, epochs=1, class_balance=True)
    Trainer(cfg, device="cpu").fit(model, (x, y))
    s = torch.where(y == 0, 12 / (2 * 9), 12 / (2 * 3))
    per = nn.functional.cross_entropy(ref(x), y, reduction="none")
    ((per * s).sum() / s.sum()).backward()
    for p, p0 in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.detach(), (p0 - 0.5 * p0.grad).detach())


def test_early_stopping_restores_the_best_epoch_and_says_why():
    # dev labels are the train labels shifted by one class: fitting train hurts dev
    x, y = _blobs(n=60)
    dev = (x, (y + 1) % 3)
    model = _mlp()
    cfg = TrainConfig(optimizer="adam", lr=0.02, batch_size=None, epochs=40, patience=3)
    result = Trainer(cfg, device="cpu").fit(model, (x, y), dev)
    assert result.stop_reason is StopReason.PATIENCE_EXHAUSTED
    assert result.epochs_run < 40 and result.restored_best
    best = result.best_epoch
    best_dev = result.history[best].dev_error
    assert best_dev == min(r.dev_error for r in result.history)
    assert result.epochs_run == best + 1 + 3
    assert (
        "dev error did not improve by 0 in the last 3 epochs; "
        f"best {best_dev:.4g} at epoch {best + 1}" == result.stop_message  # counted from 1
    )
    # the returned weights are the best epoch's: measuring again gives its dev error
    assert result.dev_error == pytest.approx(best_dev)


def test_min_delta_counts_small_gains_as_no_improvement():
    x, y = _blobs(n=60)
    cfg = TrainConfig(lr=0.01, batch_size=None, epochs=30, patience=2, min_delta=0.9)
    result = Trainer(cfg, device="cpu").fit(_mlp(), (x, y), (x, y))
    assert result.stop_reason is StopReason.PATIENCE_EXHAUSTED
    assert result.epochs_run == 3 and result.best_epoch == 0


class ExplodesAt(nn.Module):
    """A plain torch module (not a ModelSpec net) whose output turns NaN after some steps."""

    def __init__(self, after_steps):
        super().__init__()
        self.lin = nn.Linear(6, 3)
        self.after = after_steps
        self.calls = 0

    def forward(self, x):
        if self.training:
            self.calls += 1
        out = self.lin(x)
        return out * float("nan") if self.calls > self.after else out


def test_a_nan_loss_stops_with_non_finite_and_no_exception_escapes():
    x, y = _blobs(n=40)
    model = ExplodesAt(after_steps=7)  # 4 steps per epoch: NaN inside epoch 1
    cfg = TrainConfig(optimizer="sgd", lr=0.1, batch_size=10, epochs=10)
    result = Trainer(cfg, device="cpu").fit(model, (x, y), (x, y))
    assert result.stop_reason is StopReason.NON_FINITE
    assert result.epochs_run == 2
    assert "train loss became nan in epoch 2" in result.stop_message
    assert "weights of epoch 1 are kept" in result.stop_message  # counted from 1, as shown
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_huge_learning_rate_diverges_into_non_finite():
    x, y = _blobs(n=40)
    cfg = TrainConfig(optimizer="sgd", lr=1e30, batch_size=10, epochs=5)
    result = Trainer(cfg, device="cpu").fit(_mlp(), (x, y))
    assert result.stop_reason is StopReason.NON_FINITE


def test_time_budget_stops_mid_epoch():
    x, y = _blobs(n=200)
    cfg = TrainConfig(batch_size=1, epochs=1000)
    result = Trainer(cfg, device="cpu", time_budget_s=0.2).fit(_mlp(), (x, y))
    assert result.stop_reason is StopReason.TIME_BUDGET
    assert "time budget of 0.2 s" in result.stop_message
    assert result.epochs_run < 1000


def test_gradient_clipping_bounds_the_sgd_step():
    x, y = _blobs(n=30)
    model = _mlp()
    ref = copy.deepcopy(model)
    cfg = TrainConfig(optimizer="sgd", lr=1.0, batch_size=None, epochs=1, grad_clip=0.01)
    Trainer(cfg, device="cpu").fit(model, (x, y))
    pairs = zip(model.parameters(), ref.parameters(), strict=True)
    step = torch.cat([(p - p0).flatten() for p, p0 in pairs])
    assert step.norm().item() == pytest.approx(0.01, rel=1e-4)


def test_learning_rate_is_set_every_step_from_the_schedule():
    seen = []

    class Spy(Callback):
        def on_batch_end(self, state, step, loss):
            seen.append((state.epoch, step, state.optimizer.param_groups[0]["lr"]))

    x, y = _blobs(n=40)
    for schedule in ("exponential", "one_cycle"):
        seen.clear()
        cfg = TrainConfig(lr=0.1, schedule=schedule, decay=0.5, batch_size=10, epochs=3)
        result = Trainer(cfg, device="cpu", callbacks=[Spy()]).fit(_mlp(), (x, y))
        for epoch, step, lr in seen:
            assert lr == pytest.approx(0.1 * lr_factor(cfg, epoch, step=step, steps_per_epoch=4))
        assert [r.lr for r in result.history] == [
            pytest.approx(0.1 * lr_factor(cfg, t, step=0, steps_per_epoch=4)) for t in range(3)
        ]


def test_smoothed_loss_is_the_bias_corrected_ewa_of_the_step_losses():
    x, y = _blobs(n=30)
    cfg = TrainConfig(lr=0.01, batch_size=None, epochs=5)  # one step per epoch
    result = Trainer(cfg, device="cpu", smoothing_beta=0.9).fit(_mlp(), (x, y))
    v = 0.0
    for t, record in enumerate(result.history, start=1):
        v = 0.9 * v + 0.1 * record.train_loss
        assert record.smoothed_loss == pytest.approx(v / (1 - 0.9**t))
    assert result.history[0].smoothed_loss == pytest.approx(result.history[0].train_loss)


def test_augmentation_touches_training_batches_only():
    class Recorder(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 3)
            self.train_inputs, self.eval_inputs = [], []

        def forward(self, x):
            (self.train_inputs if self.training else self.eval_inputs).append(x.detach())
            return self.lin(x)

    x, y = _blobs(n=20)
    model = Recorder()
    cfg = TrainConfig(batch_size=None, epochs=1, augment="noise=0.5")
    Trainer(cfg, device="cpu").fit(model, (x, y), (x, y))
    # the permuted training batch is not any reordering of x (noise added) …
    batch = model.train_inputs[0]
    assert not torch.allclose(batch.sort(0).values, x.sort(0).values)
    assert 0.3 < (batch.sort(0).values - x.sort(0).values).std() < 1.0
    # … while every evaluation saw the data exactly
    assert all(torch.equal(e, x) for e in model.eval_inputs)


def test_bad_inputs_are_refused_with_one_line():
    x, y = _blobs(n=20)
    with pytest.raises(InvalidInputError, match="patience 3 needs a dev set"):
        Trainer(TrainConfig(patience=3), device="cpu").fit(_mlp(), (x, y))
    with pytest.raises(InvalidInputError, match="x has 20 rows but y has shape"):
        Trainer(device="cpu").fit(_mlp(), (x, y[:5]))
    with pytest.raises(InvalidInputError, match="accepted: auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidInputError, match="sees no CUDA GPU"):
            resolve_device("cuda")
    assert resolve_device("auto").type in ("cpu", "cuda")


def test_a_callback_can_stop_the_run():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, state, record):
            if record.epoch == 1:
                state.request_stop(StopReason.CALLBACK, "enough after epoch 1")

    x, y = _blobs(n=20)
    result = Trainer(TrainConfig(epochs=9), device="cpu", callbacks=[StopAfterTwo()]).fit(
        _mlp(), (x, y)
    )
    assert result.stop_reason is StopReason.CALLBACK and result.epochs_run == 2
    assert result.stop_message == "enough after epoch 1"


def test_batch_norm_net_trains_with_stochastic_and_odd_batches():
    x, y = _blobs(n=9)
    model = _mlp(batch_norm=True)
    result = Trainer(TrainConfig(batch_size=4, epochs=2), device="cpu").fit(model, (x, y))
    assert result.steps_per_epoch == 2 and result.stop_reason is StopReason.COMPLETED


def test_batch_norm_statistics_remember_about_one_epoch_and_are_fresh_after_few_steps():
    """At torch's momentum 0.1 a training set taken in one step an epoch kept statistics of
    the last ten epochs' weights: ArrowHead's starting CNN scored 52.8 % train error in
    inference mode (2.8 % with statistics of its final weights)."""
    assert batch_norm_momentum(36, 128) == 1.0  # one step an epoch
    assert batch_norm_momentum(256, 64) == 0.25
    assert batch_norm_momentum(4000, 128) == 0.1  # 32 steps: torch's default stays
    x, y = _blobs(n=40)
    model = _mlp(batch_norm=True)
    cfg = TrainConfig(optimizer="adamw", lr=6e-3, schedule="one_cycle", batch_size=128, epochs=30)
    Trainer(cfg, device="cpu").fit(model, (x, y))
    norm = next(m for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    seen = []
    hook = norm.register_forward_hook(lambda _m, inputs, _out: seen.append(inputs[0]))
    with torch.no_grad():
        model.eval()(x)
    hook.remove()
    # the statistics are the training rows' under the (last) weights: at 0.1 they were 0.28 off
    torch.testing.assert_close(norm.running_mean, seen[0].mean(0), rtol=0, atol=1e-4)
    torch.testing.assert_close(norm.running_var, seen[0].var(0), rtol=1e-4, atol=1e-5)
