"""Both executors hand back the same kind of ``Trained`` records for the same candidates."""

import pytest

from orthotune.data import load_dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.models import ModelSpec
from orthotune.search._executor import Candidate, train_candidates
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


def test_unknown_executor_is_refused(data):
    from orthotune import InvalidInputError

    with pytest.raises(InvalidInputError, match="executor 'gpu' is unknown"):
        train_candidates(_candidates(data)[:1], data, executor="gpu")
