"""Population bookkeeping: failure isolation, compaction, export, PBT hooks, memory, checks."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from orthotune import InvalidInputError
from orthotune.models import ConvBlock, ModelSpec, Net, build_model
from orthotune.population import CHECK_EVERY, MemberStatus, Population, StopReason
from orthotune.train import TrainConfig
from tests.population.reference import (
    make_optimizer,
    seeded_model,
    shuffled_batches,
    tiny_data,
)

SPEC = ModelSpec(input_shape=(6,), num_classes=3, hidden=(12, 10), batch_norm=True)
M, BATCH = 48, 16


def train(population, x, y, batches):
    for k, idx in enumerate(batches):
        population.train_step(x[idx], y[idx], epoch=k // 3, step=k % 3, steps_per_epoch=3)


@pytest.mark.parametrize("backward", ["manual", "autograd"])
def test_a_diverging_member_fails_and_the_others_continue_unchanged(backward):
    dtype = torch.float64
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=dtype)
    batches = shuffled_batches(M, BATCH, 40, seed=0)
    spec = SPEC.model_copy(update={"batch_norm": False})  # nothing to tame the explosion
    lrs = [0.05, 0.1, 0.02]
    sane = [TrainConfig(optimizer="momentum", lr=lr, batch_size=BATCH) for lr in lrs]
    absurd = [*sane]
    absurd[1] = absurd[1].model_copy(update={"lr": 1e200})
    failing = Population(spec, absurd, num_examples=M, dtype=dtype, backward=backward)
    healthy = Population(spec, sane, num_examples=M, dtype=dtype, backward=backward)
    train(failing, x, y, batches)
    train(healthy, x, y, batches)

    record = failing.member(1)
    assert record.status is MemberStatus.FAILED
    assert record.reason is StopReason.NON_FINITE
    assert "lower the learning rate" in record.message and "lr 1e+200" in record.message
    assert failing.active_ids == [0, 2]
    assert failing.member(0).steps == healthy.member(0).steps == len(batches)
    for member in (0, 2):
        for name, value in healthy.state_dict(member).items():
            torch.testing.assert_close(
                failing.state_dict(member)[name], value, rtol=1e-9, atol=1e-12
            )
    with pytest.raises(InvalidInputError, match="member 1 failed"):
        failing.export(1)


class _HostReads(TorchDispatchMode):
    """Counts the ops that copy a tensor's value to the host (``item``, ``bool``, ``float``)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += func is torch.ops.aten._local_scalar_dense.default
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("backward", ["manual", "autograd"])
def test_steps_read_nothing_back_between_checks_and_a_failure_keeps_its_first_step(
    backward, monkeypatch
):
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=torch.float64)
    spec = SPEC.model_copy(update={"batch_norm": False})
    configs = [
        TrainConfig(optimizer="adam", lr=lr, batch_size=BATCH, grad_clip=1.0, schedule=schedule)
        for lr, schedule in ((0.01, "one_cycle"), (0.01, "constant"), (0.02, "cosine"))
    ]
    configs[1] = TrainConfig(optimizer="adam", lr=1e200, batch_size=BATCH, epochs=10)
    population = Population(spec, configs, num_examples=M, dtype=torch.float64, backward=backward)
    lists = []
    monkeypatch.setattr(torch.Tensor, "tolist", lambda t: lists.append(t) or [])
    spe = 10 * CHECK_EVERY  # no epoch ends within these steps
    batches = shuffled_batches(M, BATCH, CHECK_EVERY, seed=0)[: CHECK_EVERY - 1]
    with _HostReads() as reads:
        for k, idx in enumerate(batches):
            population.train_step(x[idx], y[idx], step=k, steps_per_epoch=spe)
    assert reads.count == 0 and lists == []
    assert population.active_ids == [0, 1, 2]  # the failure is marked, not yet read
    monkeypatch.undo()

    idx = batches[0]
    loss = population.train_step(x[idx], y[idx], step=CHECK_EVERY - 1, steps_per_epoch=spe)
    assert population.active_ids == [0, 2] and loss.shape == (2,)
    assert bool(torch.isfinite(loss).all())
    failed = population.member(1)
    assert failed.status is MemberStatus.FAILED and failed.reason is StopReason.NON_FINITE
    first = failed.steps  # the steps before its first non-finite loss
    assert 0 < first < CHECK_EVERY - 1
    assert f"at epoch 1 step {first} ({first} steps taken; adam lr 1e+200)" in failed.message
    assert population.member(0).steps == CHECK_EVERY


def test_stopping_a_member_whose_failure_is_pending_fails_it_and_a_failed_one_cannot_stop():
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=torch.float64)
    spec = SPEC.model_copy(update={"batch_norm": False})
    configs = [TrainConfig(optimizer="adam", lr=lr, batch_size=BATCH) for lr in (0.01, 1e200)]
    population = Population(spec, configs, num_examples=M, dtype=torch.float64)
    for k, idx in enumerate(shuffled_batches(M, BATCH, 2, seed=0)[:4]):
        population.train_step(x[idx], y[idx], step=k, steps_per_epoch=10 * CHECK_EVERY)
    assert population.active_ids == [0, 1]  # not checked yet

    population.stop([1], message="a callback's")
    assert population.member(1).status is MemberStatus.FAILED  # its failure, not the stop
    assert population.active_ids == [0]
    with pytest.raises(InvalidInputError, match="member 1 is no longer training"):
        population.stop([1])


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device here: the GPU path of the step is not run"
)
@pytest.mark.parametrize("backward", ["manual", "autograd"])
def test_on_a_gpu_no_step_between_checks_waits_for_the_device(backward):
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=torch.float32)
    x, y = x.cuda(), y.cuda()
    spec = SPEC.model_copy(update={"dropout": 0.1})
    configs = [
        TrainConfig(optimizer="adam", lr=0.01, batch_size=BATCH, grad_clip=1.0, schedule=s)
        for s in ("one_cycle", "constant", "cosine")
    ]
    population = Population(spec, configs, num_examples=M, device="cuda", backward=backward)
    batches = [idx.cuda() for idx in shuffled_batches(M, BATCH, CHECK_EVERY, seed=0)]
    spe = 10 * CHECK_EVERY
    population.train_step(x[batches[0]], y[batches[0]], step=0, steps_per_epoch=spe)  # the
    # epoch's first step copies its learning-rate table to the device
    torch.cuda.set_sync_debug_mode("error")  # a step that waits for the GPU raises
    try:
        for k, idx in enumerate(batches[1 : CHECK_EVERY - 1], start=1):
            population.train_step(x[idx], y[idx], step=k, steps_per_epoch=spe)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert population.member(0).steps == CHECK_EVERY - 1


def test_stopping_members_compacts_every_stacked_tensor():
    configs = [TrainConfig(optimizer="adam", lr=0.01 * (i + 1), batch_size=BATCH) for i in range(5)]
    population = Population(SPEC, configs, num_examples=M)
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=torch.float32)
    train(population, x, y, shuffled_batches(M, BATCH, 2, seed=0))
    p = population.layout.size
    before = population.memory_bytes()
    scratch_before = population.scratch_bytes()
    kept_rows = {mid: population.state_dict(mid) for mid in (0, 2, 4)}

    population.stop([1, 3], message="test")

    assert population.active_ids == [0, 2, 4]
    assert population.theta.shape == (3, p)
    assert population.grad.shape == (3, p)
    assert all(v.shape == (3, p) for v in population.optimizer.state.values())
    assert all(v.shape[0] == 3 for v in population.buffers.values())
    assert population.hp.lr.shape == (3, 1)
    after = population.memory_bytes()
    assert all(after[k] * 5 == before[k] * 3 for k in before)
    for mid, state in kept_rows.items():  # rows moved, values kept
        for name, value in state.items():
            assert torch.equal(population.state_dict(mid)[name], value)
    assert population.member(1).status is MemberStatus.PRUNED
    train(population, x, y, shuffled_batches(M, BATCH, 1, seed=1))  # still trains
    assert 0 < population.scratch_bytes() <= scratch_before * 3 / 5
    exported = population.export(3)  # a stopped member is kept for export
    assert isinstance(exported, Net)


def test_exported_member_predicts_exactly_what_it_predicted_inside():
    spec = ModelSpec(
        kind="cnn1d",
        input_shape=(1, 12),
        num_classes=4,
        conv=(ConvBlock(channels=3, pool="max"),),
        hidden=(8,),
        batch_norm=True,
        dropout=0.2,
    )
    specs = [spec, spec.model_copy(update={"dropout": 0.4}), spec]
    configs = [TrainConfig(optimizer="adam", lr=lr, batch_size=8) for lr in (0.01, 0.02, 0.005)]
    population = Population(specs, configs, num_examples=24, seeds=[5, 6, 7])
    x, y, _ = tiny_data(24, spec.input_shape, spec.num_classes, dtype=torch.float32)
    train(population, x, y, shuffled_batches(24, 8, 4, seed=0))
    logits = population.predict_logits(x)  # [N, M, C]
    for row, mid in enumerate(population.active_ids):
        net = population.export(mid)
        assert not net.training
        assert net.spec.dropout == specs[mid].dropout
        with torch.no_grad():
            out = net(x)
        torch.testing.assert_close(out, logits[row], rtol=1e-5, atol=1e-6)
        assert torch.equal(out.argmax(1), logits[row].argmax(1))


def test_members_start_exactly_as_the_single_model_seeded_the_same_way():
    population = Population(SPEC, [TrainConfig()] * 3, num_examples=M, seeds=[11, 12, 13])
    torch.manual_seed(0)
    probe = torch.rand(1).item()
    Population(SPEC, [TrainConfig()] * 2, num_examples=M, seeds=[1, 2])
    torch.manual_seed(0)
    assert torch.rand(1).item() == probe  # building members leaves the global RNG alone
    for mid, seed in enumerate([11, 12, 13]):
        reference = seeded_model(SPEC, seed, torch.float32)
        for name, value in reference.state_dict().items():
            assert torch.equal(population.state_dict(mid)[name], value)


def test_copy_member_copies_weights_and_optimizer_state_then_perturb_changes_its_knobs():
    configs = [TrainConfig(optimizer="adam", lr=0.01, batch_size=BATCH)] * 3
    population = Population(SPEC, configs, num_examples=M, seeds=[1, 2, 3], dtype=torch.float64)
    x, y, _ = tiny_data(M, SPEC.input_shape, SPEC.num_classes, dtype=torch.float64)
    train(population, x, y, shuffled_batches(M, BATCH, 2, seed=0))
    population.copy_member(0, 2)
    for name, value in population.state_dict(0).items():
        assert torch.equal(population.state_dict(2)[name], value)
    for state in population.optimizer.state.values():
        assert torch.equal(state[2], state[0])
    config = population.perturb(2, {"lr": 2.0, "beta1": 1.2})
    assert config.lr == pytest.approx(0.02)
    assert config.beta1 == pytest.approx(0.9999)  # clipped into [0, 0.9999]
    assert population.hp.lr[2].item() == pytest.approx(0.02)
    assert population.member(2).config == config
    # after the copy, member 2 continues as member 0 would with its new knobs
    twin = Population(
        SPEC,
        [configs[0], configs[0].model_copy(update={"lr": 0.02, "beta1": 0.9999})],
        num_examples=M,
        seeds=[1, 1],
        dtype=torch.float64,
    )
    train(twin, x, y, shuffled_batches(M, BATCH, 2, seed=0))
    twin.copy_member(0, 1)
    batches = shuffled_batches(M, BATCH, 2, seed=3)
    train(population, x, y, batches)
    train(twin, x, y, batches)
    for name, value in twin.state_dict(1).items():
        torch.testing.assert_close(population.state_dict(2)[name], value, rtol=1e-12, atol=1e-14)
    # PBT's copy takes the winner's explored knobs; the rest of the loser's own configuration
    # stays (it took the winner's epochs, and a 31-epoch trial trained 9 and was told complete)
    mixed = [
        TrainConfig(optimizer="adam", lr=0.01, l2=1e-4, epochs=9, batch_size=BATCH),
        TrainConfig(optimizer="adam", lr=0.0002, l2=0.0, epochs=31, batch_size=BATCH),
    ]
    pbt = Population(SPEC, mixed, num_examples=M, seeds=[1, 2], dtype=torch.float64)
    pbt.copy_member(0, 1, hyperparameters=True)
    assert pbt.member(1).config == mixed[1].model_copy(update={"lr": 0.01, "l2": 1e-4})
    assert pbt.hp.lr[1].item() == pytest.approx(0.01)
    with pytest.raises(InvalidInputError, match="cannot perturb momentum"):
        population.perturb(0, {"momentum": 1.1})
    with pytest.raises(InvalidInputError, match="not a positive finite number"):
        population.perturb(0, {"lr": -1.0})


def test_parameter_gradient_and_optimizer_bytes_are_n_times_one_model():
    n = 4
    population = Population(SPEC, [TrainConfig(optimizer="adam")] * n, num_examples=M)
    model = build_model(SPEC)
    opt = make_optimizer(model, TrainConfig(optimizer="adam"), num_train=M)
    loss = model(torch.randn(8, 6)).sum()
    loss.backward()
    opt.step()
    size = 4
    params = sum(p.numel() for p in model.parameters()) * size
    state = sum(
        t.numel() * t.element_size()
        for s in opt.state.values()
        for t in s.values()
        if torch.is_tensor(t) and t.dim() > 0
    )
    assert population.memory_bytes() == {
        "parameters": n * params,
        "gradients": n * params,
        "optimizer_state": n * state,
    }


def test_inputs_a_population_cannot_take_are_refused_with_the_fix():
    other = SPEC.model_copy(update={"hidden": (12, 11)})
    with pytest.raises(InvalidInputError, match=r"architecture differs.*group_trials"):
        Population([SPEC, other], [TrainConfig()] * 2, num_examples=M)
    with pytest.raises(InvalidInputError, match="optimizer family/batch size"):
        Population(SPEC, [TrainConfig(), TrainConfig(optimizer="sgd")], num_examples=M)
    odd = SPEC.model_construct(**{**dict(SPEC), "kind": "rnn"})
    with pytest.raises(InvalidInputError, match="sequential trainer"):
        Population([odd], [TrainConfig()], num_examples=M)
    with pytest.raises(InvalidInputError, match="at least one TrainConfig"):
        Population(SPEC, [], num_examples=M)
    with pytest.raises(InvalidInputError, match="num_examples=0"):
        Population(SPEC, [TrainConfig()], num_examples=0)
    with pytest.raises(InvalidInputError, match="3 seeds"):
        Population(SPEC, [TrainConfig()] * 2, num_examples=M, seeds=[1, 2, 3])
    with pytest.raises(InvalidInputError, match="backward='manual' covers MLPs"):
        Population(
            ModelSpec(
                kind="cnn1d", input_shape=(1, 8), num_classes=2, conv=(ConvBlock(channels=2),)
            ),
            [TrainConfig()],
            num_examples=M,
            backward="manual",
        )
    population = Population(SPEC, [TrainConfig()] * 2, num_examples=M)
    with pytest.raises(InvalidInputError, match="member 7 is not in this population"):
        population.export(7)
    population.stop([0])
    with pytest.raises(InvalidInputError, match="no longer training"):
        population.copy_member(0, 1)
