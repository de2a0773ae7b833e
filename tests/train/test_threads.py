"""One CPU thread for feature vectors (``train/_threads.py``): the rule, and where it acts."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from orthotune.models import ModelSpec, build_model
from orthotune.population import Population, PopulationCallback, fit_population
from orthotune.train import Callback, TrainConfig, Trainer, torch_threads, training_threads


@pytest.fixture
def two_threads(monkeypatch):
    """torch at two threads and no OMP_NUM_THREADS (the suite runs with it set to 1)."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with torch_threads(2):
        yield


def _threads_inside(x, device="cpu") -> int:
    with training_threads(x, device):
        return torch.get_num_threads()


def test_vectors_train_with_one_thread_and_the_count_comes_back(two_threads) -> None:
    assert _threads_inside(torch.zeros(8, 3)) == 1
    assert torch.get_num_threads() == 2  # as it was after the block
    assert _threads_inside(torch.zeros(8, 1, 40)) == 2  # signals keep torch's threads
    assert _threads_inside(torch.zeros(8, 3, 8, 8)) == 2  # images too
    assert _threads_inside(torch.zeros(8, 3), device="meta") == 2  # off the CPU: unchanged


def test_a_user_who_sets_omp_num_threads_chooses(two_threads, monkeypatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert _threads_inside(torch.zeros(8, 3)) == 2


def test_the_count_comes_back_when_training_fails(two_threads) -> None:
    with pytest.raises(RuntimeError, match="boom"), training_threads(torch.zeros(8, 3)):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


def test_the_trainer_and_a_population_train_vectors_with_one_thread(two_threads) -> None:
    seen: list[int] = []

    class Seen(Callback):
        def on_epoch_end(self, state, record) -> None:
            seen.append(torch.get_num_threads())

    x, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
    spec = ModelSpec(input_shape=(4,), num_classes=2, hidden=(8,))
    config = TrainConfig(optimizer="adam", lr=0.01, batch_size=16, epochs=2)
    Trainer(config, device="cpu", callbacks=[Seen()]).fit(build_model(spec), (x, y))
    assert seen == [1, 1] and torch.get_num_threads() == 2

    class SeenEach(PopulationCallback):
        def on_epoch_end(self, population, epoch, metrics):
            seen.append(torch.get_num_threads())

    seen.clear()
    population = Population(spec, [config, config], num_examples=64, seeds=[0, 1])
    fit_population(population, (x, y), (x, y), callbacks=[SeenEach()])
    assert seen == [1, 1] and torch.get_num_threads() == 2


def test_the_yardstick_grows_its_trees_on_one_thread(monkeypatch) -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    from orthotune.autopilot import _yardstick
    from orthotune.data import dataset_from_arrays, make_split, prepare

    seen: list[set[int]] = []
    grown = _yardstick._grown

    def watched(*args, **kwargs):
        seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"})
        return grown(*args, **kwargs)

    monkeypatch.setattr(_yardstick, "_grown", watched)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3)).astype(np.float32)
    ds = dataset_from_arrays(x, (x[:, 0] > 0).astype(np.int64))
    data = prepare(ds, make_split(ds, seed=0))
    with threadpool_limits(limits=2):  # scikit-learn's one per core (the suite sets one)
        stick = _yardstick.yardstick(data, folds=None, seed=0)
    assert stick.dev_error is not None and seen and all(s <= {1} for s in seen)


def test_the_threads_benchs_ratios_are_many_over_one() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from threads import ratios

    times = {
        ("mlp", "busy", "many"): 18.0,
        ("mlp", "busy", "one"): 0.5,
        ("tune", "quiet", "many"): 30.0,
        ("tune", "quiet", "one"): 20.0,
        ("tune", "quiet", "own"): 21.0,
        ("cnn", "quiet", "many"): 1.0,  # no one-thread side: left out
    }
    assert ratios(times) == {
        "mlp_busy_ratio": 36.0,
        "tune_quiet_ratio": 1.5,
        "tune_quiet_own_ratio": 1.05,
    }


def test_run_json_names_the_threads_training_gets(two_threads) -> None:
    # run.json said torch_threads=2 where the MLPs trained on one
    from orthotune.train import machine_facts

    assert machine_facts(1)["torch_threads"] == 1  # feature vectors
    assert machine_facts(2)["torch_threads"] == 2  # signals
    assert machine_facts()["torch_threads"] == 2
