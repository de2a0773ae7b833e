"""Both executors hand back the same kind of ``Trained`` records for the same candidates."""

import math

import pytest
import torch

from orthotune.data import load_dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.fit import Candidate, Trained, error_rate, train_candidates
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig


@pytest.fixture(scope="module")
def data():
    ds = load_dataset("builtin:synthetic?n=400&classes=3&features=6&noise=0&seed=11")
    return prepare(ds, make_split(ds, seed=0))


def _sgd(lr: float) -> TrainConfig:
    return TrainConfig(optimizer="momentum", lr=lr, epochs=4, batch_size=32)


def _candidates(data):
    spec = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=(16,))
    wide = spec.model_copy(update={"hidden": (32,)})
    return [
        Candidate("a", spec, _sgd(0.1), seed=3),
        Candidate("b", spec, _sgd(0.03), seed=3),
        Candidate("c", wide, _sgd(0.1), seed=3),  # another shape: its own group
        Candidate("d", spec, _sgd(1e6), seed=3),  # diverges inside a's and b's population
    ]


def test_population_and_sequential_executors_agree(data):
    seq = train_candidates(_candidates(data), data, executor="sequential", device="cpu")
    pop = train_candidates(_candidates(data), data, executor="population", device="cpu")
    assert [t.candidate.name for t in pop] == ["a", "b", "c", "d"]
    for s, p in zip(seq, pop, strict=True):
        assert (s.failed is None) == (p.failed is None), (s.failed, p.failed)
        if s.failed:
            continue
        assert set(p.wrong) == set(s.wrong) == {"train", "dev"}
        assert len(p.history) == len(s.history) == 4
        for part in ("train", "dev"):
            # same initial weights, batches and updates: the same mistakes, up to float32 noise
            assert abs(p.error(part) - s.error(part)) <= 0.02, (s.candidate.name, part)
    assert pop[3].failed and pop[3].model is None  # the diverged member is failed, not best


def test_the_precision_is_chosen_per_candidate_and_carried_by_its_result(data):
    cands = _candidates(data)[:1]
    [auto] = train_candidates(cands, data, executor="sequential", device="cpu", precision="auto")
    assert auto.candidate.config.precision == "fp32"  # an MLP keeps float32
    [bf16] = train_candidates(cands, data, executor="sequential", device="cpu", precision="bf16")
    assert bf16.candidate.config.precision == "bf16" and bf16.failed is None
    assert bf16.history[-1].train_error < bf16.history[0].train_error
    [kept] = train_candidates([bf16.candidate], data, executor="sequential", device="cpu")
    assert kept.candidate.config.precision == "bf16"  # None keeps the config's own


def test_unknown_executor_is_refused(data):
    from orthotune import InvalidInputError

    with pytest.raises(InvalidInputError, match="executor 'gpu' is unknown"):
        train_candidates(_candidates(data)[:1], data, executor="gpu")


def test_pbt_exploit_copies_a_winner_into_a_loser_and_perturbs_it(data):
    from orthotune.search._space import FloatParam, SearchSpace
    from orthotune.search._strategies import PBT

    space = SearchSpace({"lr": FloatParam(low=1e-7, high=1.0, scale="log")})
    spec = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=(16,))
    cands = [
        Candidate("good", spec, _sgd(0.1), seed=3),
        Candidate("ok", spec, _sgd(0.05), seed=4),
        Candidate("stuck", spec, _sgd(1e-6), seed=5),  # learns nothing in 4 epochs
        Candidate("slow", spec, _sgd(1e-5), seed=6),
    ]
    pbt = PBT(seed=0, exploit_every=1, fraction=0.25)
    out = train_candidates(
        cands, data, executor="population", device="cpu", exploit=pbt.exploit_hook(space)
    )
    stuck = out[2]
    assert stuck.lineage and stuck.lineage[0]["epoch"] == 0
    assert stuck.lineage[0]["from"] in ("good", "ok")
    # it took a winner's learning rate, ×0.8 or ×1.2, and records the knobs it ended with
    assert stuck.candidate.config.lr >= 0.8 * 0.05 * 0.8
    assert stuck.lineage[-1]["values"]["lr"] == pytest.approx(stuck.candidate.config.lr)
    assert stuck.error("dev") <= out[0].error("dev") + 0.1  # it learned through the copy
    events = [e for t in out for e in t.lineage]
    assert all(e["epoch"] < 3 for e in events)  # none after the last epoch: nothing left to train
    for epoch in range(3):  # a quarter of 4 members: one loser per epoch
        assert sum(e["epoch"] == epoch for e in events) == 1


def test_pbt_exploits_networks_without_hidden_layers(data):
    from orthotune.search._space import FloatParam, SearchSpace
    from orthotune.search._strategies import PBT

    space = SearchSpace({"lr": FloatParam(low=1e-7, high=1.0, scale="log")})
    linear = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=())
    cands = [Candidate(f"m{k}", linear, _sgd(lr), seed=k) for k, lr in enumerate((0.1, 1e-6))]
    pbt = PBT(seed=0, exploit_every=1, fraction=0.5)
    out = train_candidates(
        cands, data, executor="population", device="cpu", exploit=pbt.exploit_hook(space)
    )  # every member failed: "max() arg is an empty sequence"
    assert all(t.failed is None for t in out) and out[1].lineage


def test_pbt_needs_the_population_executor(data):
    from orthotune import InvalidInputError
    from orthotune.search._space import FloatParam, SearchSpace
    from orthotune.search._strategies import PBT

    hook = PBT().exploit_hook(SearchSpace({"lr": FloatParam(low=1e-4, high=1.0, scale="log")}))
    with pytest.raises(InvalidInputError, match="use --executor population"):
        train_candidates(_candidates(data), data, executor="sequential", exploit=hook)


@pytest.mark.parametrize("executor", ["population", "sequential"])
def test_a_candidate_trains_with_its_own_example_weights(data, executor):
    spec = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=(16,))
    ignore_class_0 = (data.train.y != 0).float() * 1.5  # class 0 weighs nothing
    cands = [
        Candidate("plain", spec, _sgd(0.1), seed=3),
        Candidate("weighted", spec, _sgd(0.1), seed=3, weights=ignore_class_0),
        Candidate("plain2", spec, _sgd(0.05), seed=3),
    ]
    out = train_candidates(cands, data, executor=executor, device="cpu")
    on_0 = data.dev.y == 0
    never_learned = out[1].wrong["dev"][on_0].float().mean()
    assert never_learned > 0.9  # it never saw a class-0 example count
    assert out[0].wrong["dev"][on_0].float().mean() < 0.5
    assert out[2].wrong["dev"][on_0].float().mean() < 0.5  # its group-mate trains as usual


def test_an_error_rate_is_counted_exactly_not_as_a_float32_mean():
    wrong = torch.tensor([True] * 17 + [False] * 983)
    assert float(wrong.float().mean()) != 0.017  # what a float32 mean gives: 0.0170000009…
    assert error_rate(wrong) == 0.017 == 17 / 1000
    cand = Candidate("a", ModelSpec(input_shape=(2,), num_classes=2), TrainConfig())
    trained = Trained(cand, None, wrong={"dev": wrong})
    assert trained.error("dev") == 0.017 and trained.errors == {"dev": 0.017}
    assert math.isnan(error_rate(torch.zeros(0, dtype=torch.bool)))


def test_the_one_time_imports_of_a_first_optimizer_are_paid_before_any_clock_starts():
    """torch's first optimizer imports torch._dynamo (seconds): charged to a search's first
    trial, ``--constraint seconds<0.5`` refused a 27-parameter model. In a fresh process:
    the warm-up loads what an optimizer needs, and train_candidates warms up first."""
    import subprocess
    import sys
    import textwrap

    from tests.conftest import SRC

    code = textwrap.dedent(
        """
        import sys, torch
        from orthotune.fit import _executor
        assert "torch._dynamo" not in sys.modules
        _executor._warm_up()
        before = set(sys.modules)
        torch.optim.AdamW([torch.zeros(2, requires_grad=True)], lr=0.1)
        torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
        print(sorted(set(sys.modules) - before))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_train_candidates_warms_up_before_training(data):
    from orthotune.fit import _executor

    _executor._warm_up.cache_clear()
    train_candidates(_candidates(data)[:1], data, executor="sequential", device="cpu")
    assert _executor._warm_up.cache_info().currsize == 1


def test_members_share_a_populations_time_epoch_by_epoch():
    """A kept model of 270 epochs trained beside one of 180 in 20.2 s was said to cost 10.1 s
    (an equal split), and its refit, estimated from that, was cut at the deadline."""
    from orthotune._records import EpochRecord
    from orthotune.fit._trained import shared_seconds

    def history(epochs, seconds):
        return [
            EpochRecord(
                epoch=t,
                steps=1,
                lr=0.1,
                train_loss=1,
                train_error=0.5,
                smoothed_loss=1,
                seconds=seconds(t),
            )
            for t in range(epochs)
        ]

    # 2 s an epoch while both train, 1 s alone; 2 s of building and scoring on top
    pair = [history(3, lambda t: 2.0), history(5, lambda t: 2.0 if t < 3 else 1.0)]
    short, long = shared_seconds(pair, total=10.0)  # epochs: 6 + 2 s, scaled to 10
    assert short == pytest.approx(3.0 * 10 / 8) and long == pytest.approx(5.0 * 10 / 8)
    assert shared_seconds([[], []], total=4.0) == [2.0, 2.0]  # nothing recorded: equal
    assert shared_seconds([], total=4.0) == []
