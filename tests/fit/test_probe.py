"""``population_pays``: the executor trains a group as one population only where a few timed
steps say that beats its members one after another (``fit/_probe.py``)."""

import math
import time

import pytest
import torch

from orthotune import population
from orthotune.data import load_dataset, make_split, prepare
from orthotune.fit import Candidate, train_candidates
from orthotune.fit import _probe as probe
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig

SPEC = ModelSpec(input_shape=(5,), num_classes=3, hidden=(8,))
CONFIG = TrainConfig(optimizer="adam", lr=0.01, epochs=2, batch_size=32)


@pytest.fixture
def data():
    ds = load_dataset("builtin:synthetic?n=240&classes=3&features=5&seed=3")
    return prepare(ds, make_split(ds, seed=0))


def xy(data):
    """The training examples the probe times its steps on."""
    return data.train.x, data.train.y


@pytest.fixture(autouse=True)
def fresh_answers(monkeypatch):
    monkeypatch.setattr(probe, "_decided", {})
    monkeypatch.setattr(probe, "_step_s", {})


def _timings(monkeypatch, one_s: float, population_s: float) -> list[str]:
    """Make one model's step take ``one_s`` and a population's ``population_s`` (as measured),
    and record which was measured."""
    measured = []

    def one(cand, x, y, device):
        measured.append("one")
        return one_s

    def pop(cands, x, y, device, *, within):
        measured.append(f"population of {len(cands)} within {within:g}")
        return population_s < within

    monkeypatch.setattr(probe, "_one_model_step_s", one)
    monkeypatch.setattr(probe, "_population_is_faster", pop)
    return measured


def test_the_answer_is_the_faster_way_and_is_measured_once(monkeypatch, data):
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=i) for i in range(4)]
    cpu = torch.device("cpu")
    measured = _timings(monkeypatch, one_s=0.010, population_s=0.030)  # 30 ms < 4 × 10 ms
    assert probe.population_pays(cands, *xy(data), cpu)
    assert probe.population_pays(cands, *xy(data), cpu)  # kept: not measured again
    assert measured == ["one", "population of 4 within 0.04"]
    probe._decided.clear()
    probe._step_s.clear()
    measured = _timings(monkeypatch, one_s=0.010, population_s=0.050)  # 50 ms > 4 × 10 ms
    assert not probe.population_pays(cands, *xy(data), cpu)
    assert not probe.population_pays(cands[:3] + cands[:1], *xy(data), cpu)  # same shape and count
    assert probe.population_pays(cands[:2], *xy(data), cpu) is False  # two members: measured anew
    assert measured == ["one", "population of 4 within 0.04", "population of 2 within 0.02"]


def test_a_probe_that_fails_leaves_the_group_to_the_population(monkeypatch, data):
    def broken(cand, x, y, device):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(probe, "_one_model_step_s", broken)
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=i) for i in range(2)]
    assert probe.population_pays(cands, *xy(data), torch.device("cpu"))
    assert probe._decided == {}  # not kept: a later group measures again


def test_a_network_whose_own_step_is_slow_is_not_probed_as_a_population(monkeypatch, data):
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=i) for i in range(6)]
    slow = probe.ONE_STEP_LIMIT_S * 1.5
    measured = _timings(monkeypatch, one_s=slow, population_s=0.0)  # would have won: not asked
    assert not probe.population_pays(cands, *xy(data), torch.device("cpu"))
    assert measured == ["one"]
    probe._decided.clear()
    probe._step_s.clear()
    measured = _timings(monkeypatch, one_s=probe.ONE_STEP_LIMIT_S, population_s=0.0)
    assert probe.population_pays(cands, *xy(data), torch.device("cpu"))
    assert measured == ["one", f"population of 6 within {6 * probe.ONE_STEP_LIMIT_S:g}"]


def test_an_epoch_is_one_model_step_times_the_steps_of_every_model_it_trains(monkeypatch, data):
    measured = _timings(monkeypatch, one_s=0.01, population_s=0.0)
    cand = Candidate("m", SPEC, CONFIG)  # batches of 32
    x, y = xy(data)
    m = len(y)
    one = probe.epoch_seconds(cand, x, y, folds=None, device="cpu")
    assert one == pytest.approx(0.01 * math.ceil(m / 32))
    five = probe.epoch_seconds(cand, x, y, folds=5, device="cpu")  # the full model and 5 folds
    assert five == pytest.approx(0.01 * (math.ceil(m / 32) + 5 * math.ceil(m * 4 / 5 / 32)))
    assert measured == ["one"]  # one model's step, measured once for the shape


def test_a_gpu_or_a_single_member_is_not_probed(monkeypatch, data):
    measured = _timings(monkeypatch, one_s=1.0, population_s=100.0)
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=i) for i in range(4)]
    assert probe.population_pays(cands, *xy(data), torch.device("cuda"))
    assert probe.population_pays(cands[:1], *xy(data), torch.device("cpu"))
    assert measured == []


def test_the_timing_gives_up_once_the_population_cannot_be_faster():
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.02)

    assert probe._timed(slow, within=0.002) == float("inf")
    assert len(calls) == 2  # the warm-up and one timed step: the answer was known
    calls.clear()
    assert 0.015 < probe._timed(slow) < 1.0
    assert len(calls) == 1 + probe.PROBE_STEPS


def test_the_real_probe_measures_both_ways(data):
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=i) for i in range(3)]
    assert probe._one_model_step_s(cands[0], *xy(data), torch.device("cpu")) > 0
    assert probe._population_is_faster(cands, *xy(data), torch.device("cpu"), within=1e9)
    assert not probe._population_is_faster(cands, *xy(data), torch.device("cpu"), within=0.0)


def test_a_group_the_probe_turns_down_trains_one_model_after_another_with_the_same_results(
    monkeypatch, data
):
    cands = [Candidate(f"m{i}", SPEC, CONFIG, seed=0) for i in range(3)]
    trained_populations = []
    real_fit = population.fit_population

    def counting_fit(pop, *a, **k):
        trained_populations.append(len(pop))
        return real_fit(pop, *a, **k)

    monkeypatch.setattr(population, "fit_population", counting_fit)
    _timings(monkeypatch, one_s=0.001, population_s=1.0)
    turned_down = train_candidates(cands, data, executor="population", device="cpu")
    assert trained_populations == []
    sequential = train_candidates(cands, data, executor="sequential", device="cpu")
    for a, b in zip(turned_down, sequential, strict=True):
        assert a.complete and a.errors == b.errors
    _timings(monkeypatch, one_s=0.05, population_s=0.001)
    probe._decided.clear()
    probe._step_s.clear()
    together = train_candidates(cands, data, executor="population", device="cpu")
    assert trained_populations == [3]
    assert len({t.seconds for t in together}) == 1  # the members shared the population's time


def test_a_warm_up_longer_than_its_limit_and_the_steps_allowance_ends_the_probe(monkeypatch):
    # 6 CNNs on 4,000-sample signals: a 30-s warm-up and 21-s steps, 72 s of probing in all
    monkeypatch.setattr(probe, "WARM_UP_LIMIT_S", 0.05)
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.08)

    assert probe._timed(slow, within=0.02) == float("inf")
    assert len(calls) == 1  # the warm-up alone: no timed step after it
    calls.clear()
    # a warm-up within the limit, or within the steps' allowance, is only a warm-up
    assert probe._timed(slow, within=0.1) < 0.2 and len(calls) == 1 + probe.PROBE_STEPS
    calls.clear()
    monkeypatch.setattr(probe, "WARM_UP_LIMIT_S", 1.0)
    assert probe._timed(slow, within=0.02) == float("inf") and len(calls) == 2
