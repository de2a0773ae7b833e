"""A model that reads chosen features trains alone, and each fold model of a cross-validation
chooses them on its own training rows: the out-of-fold error of pure noise stays at chance."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import Dataset, make_split
from orthotune.data._prepare import prepare
from orthotune.fit import Candidate, population_pays, train_candidates
from orthotune.fit._trained import candidate_groups
from orthotune.models import ModelSpec
from orthotune.models._select import top_inputs
from orthotune.population import Population
from orthotune.train import TrainConfig

CONFIG = TrainConfig(optimizer="adam", lr=0.01, epochs=20, batch_size=32)


def _pooled(x, y):
    """Train + dev pooled, as the autopilot cross-validates data of fewer than 2000 rows."""
    ds = Dataset(x=x, y=y, class_names=("a", "b"), ids=np.arange(len(y)).astype(str))
    data = prepare(ds, make_split(ds, seed=0))
    pool = data.train.join(data.dev)
    return replace(data, train=pool, dev=pool)


def test_out_of_fold_error_of_pure_noise_stays_at_chance_as_each_fold_chooses_its_own_inputs():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 1000, generator=g)
    y = torch.randint(0, 2, (300,), generator=g)  # labels unrelated to every column
    data = _pooled(x, y)
    spec = ModelSpec(input_shape=(1000,), num_classes=2, hidden=(16,), select=5)
    [honest] = train_candidates([Candidate("s", spec, CONFIG, seed=0)], data, folds=5)
    # the same model on the 5 columns chosen on every pooled row before the folds: the held-out
    # rows took part in the choice, and the out-of-fold error flatters it (0.39 when written)
    chosen = top_inputs(data.train.x, data.train.y, 5)
    leaky_data = _pooled(x[:, chosen.sort().values], y)
    plain = spec.model_copy(update={"select": None, "input_shape": (5,)})
    [leaky] = train_candidates([Candidate("p", plain, CONFIG, seed=0)], leaky_data, folds=5)
    assert honest.error("dev") >= 0.45  # 0.546 when written: chance is 0.5
    assert leaky.error("dev") < honest.error("dev") - 0.1
    assert honest.model.inputs.tolist() == chosen.tolist()  # the full model chose on every row


def test_a_model_that_reads_chosen_inputs_trains_alone():
    spec = ModelSpec(input_shape=(60,), num_classes=2, hidden=(8,))
    cands = [
        Candidate("all", spec, CONFIG),
        Candidate("all-2", spec, CONFIG, seed=1),
        Candidate("ten", spec.model_copy(update={"select": 10}), CONFIG),
        Candidate("ten-2", spec.model_copy(update={"select": 10}), CONFIG, seed=1),
    ]
    groups = candidate_groups(cands)
    assert [(g.indices, g.vectorized) for g in groups] == [
        ([0, 1], True),
        ([2], False),
        ([3], False),
    ]
    assert "reads the 10 features its own training rows rank highest" in groups[1].reason
    x, y = torch.randn(64, 60), torch.randint(0, 2, (64,))
    assert not population_pays(cands[2:], x, y, torch.device("cpu"))
    with pytest.raises(InvalidInputError, match="cannot train in a population: it reads the 10"):
        Population(cands[2].spec, [CONFIG], num_examples=64, seeds=[0], device="cpu")
