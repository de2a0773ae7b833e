"""``train_ensemble``: K seeds trained as one population, scored as one model."""

import pytest
import torch

from orthotune import population
from orthotune._errors import InvalidInputError
from orthotune.data import load_dataset, make_split
from orthotune.fit import check_ensemble_size, train_ensemble
from orthotune.models import Ensemble, ModelSpec
from orthotune.train import TrainConfig, prepare_split

DATA = "builtin:synthetic?n=240&classes=3&features=5&seed=3"
SPEC = ModelSpec(input_shape=(5,), num_classes=3, hidden=(8,))
CONFIG = TrainConfig(optimizer="adam", lr=0.01, epochs=3, batch_size=32)


def test_the_seeds_train_as_one_population_and_the_errors_are_the_ensembles(monkeypatch):
    ds = load_dataset(DATA)
    split = make_split(ds, seed=0)
    fits = []
    real_fit = population.fit_population

    def counting_fit(pop, *a, **k):  # every population trained (the executor's probe only steps)
        fits.append(len(pop))
        return real_fit(pop, *a, **k)

    monkeypatch.setattr(population, "fit_population", counting_fit)
    # where a population pays (a timed probe: on a loaded box it chose one after another and
    # the test failed, 1 in 3 with other work beside it); which pays is the probe's own test
    from orthotune.fit import _executor

    monkeypatch.setattr(_executor, "population_pays", lambda *a, **k: True)
    trained = train_ensemble(ds, split, SPEC, CONFIG, size=3, seed=4, device="cpu")
    assert fits == [3]  # one population of the three seeds
    model = trained.model
    assert isinstance(model, Ensemble) and len(model) == 3
    assert len(trained.member_histories) == 3
    assert all(len(h) == 3 for h in trained.member_histories)
    assert trained.result.stop_message.startswith("3 of 3 members kept")
    # the members differ (their seeds), and the errors measured are the ensemble's own
    x = torch.randn(4, 5)
    assert not torch.equal(model.members[0](x), model.members[1](x))
    prepared = prepare_split(ds, split, SPEC)
    for part in ("train", "dev", "test"):
        p = getattr(prepared, part)
        wrong = (model(p.x).argmax(1) != p.y).float().mean().item()
        assert trained.errors[part] == pytest.approx(wrong)
    assert trained.dev_logits.shape == (len(prepared.dev), 3)


@pytest.mark.parametrize("size", [0, -2, 1.5, True])
def test_a_size_below_1_or_not_an_integer_is_refused(size):
    with pytest.raises(InvalidInputError, match=rf"--ensemble {size!r} is not accepted: give"):
        check_ensemble_size(size)


def test_a_split_without_dev_trains_every_member_and_scores_train_and_test():
    # a file's own split may name train and test only: `train --ensemble 3` trained no member
    # there (the executor read the missing dev part) and blamed the learning rate
    from dataclasses import replace

    import numpy as np

    ds = load_dataset(DATA)
    split = make_split(ds, seed=0)
    pooled = np.sort(np.concatenate([split.train, split.dev]))
    split = replace(split, train=pooled, dev=split.dev[:0])
    trained = train_ensemble(ds, split, SPEC, CONFIG, size=3, seed=4, device="cpu")
    assert len(trained.model) == 3
    assert trained.result.stop_message.startswith("3 of 3 members kept")
    assert trained.errors["dev"] is None and 0 <= trained.errors["test"] < 1
