from __future__ import annotations

import numpy as np
import pytest
import torch

from orthotune.analysis import FitRecipe, out_of_fold
from orthotune.analysis._fit import fold_jobs
from orthotune.fit import fold_rows, label_issue_spec
from tests.analysis.conftest import blobs


def test_fold_jobs_predict_every_row_once_and_respect_exclude():
    y = np.arange(100) % 4
    exclude = np.zeros(100, dtype=bool)
    exclude[:10] = True
    jobs = fold_jobs(y, folds=5, seed=0, exclude=exclude)
    predicted = np.concatenate([j.predict_index for j in jobs])
    assert sorted(predicted.tolist()) == list(range(100))
    for j in jobs:
        assert not set(j.train_index) & set(j.predict_index)
        assert not set(j.train_index) & set(range(10))


def test_fold_jobs_are_the_fit_layers_folds():
    """The label-issue methods and cross-validated candidates split by one k-fold."""
    y = np.arange(90) % 3
    fold_of, pairs = fold_rows(y, folds=3, seed=7)
    jobs = fold_jobs(y, folds=3, seed=7)
    for k, (job, (learn, held)) in enumerate(zip(jobs, pairs, strict=True)):
        assert np.array_equal(job.predict_index, np.flatnonzero(fold_of == k))
        assert np.array_equal(job.train_index, learn) and np.array_equal(held, job.predict_index)


def test_out_of_fold_probabilities_learn_the_blobs():
    data, _, clean = blobs(n=150, flip=0.0, seed=1)
    proba, emb = out_of_fold(
        data.x, data.y, num_classes=3, folds=3, recipe=FitRecipe(steps=80, batch_size=32)
    )
    assert proba.shape == (150, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert emb.shape[0] == 150
    assert (proba.argmax(axis=1) == clean).mean() > 0.95


def test_default_spec_per_input_kind():
    assert label_issue_spec((4,), 3).kind == "mlp"
    assert label_issue_spec((1, 40), 10).kind == "cnn1d"
    assert label_issue_spec((1, 8, 8), 10).kind == "cnn2d"
    assert torch.is_tensor(torch.zeros(1))


def test_where_a_population_does_not_pay_the_fold_models_train_one_after_another(monkeypatch):
    import orthotune.fit
    import orthotune.population

    data, _, clean = blobs(n=180, flip=0.0, seed=1)
    populations = []
    real_fit = orthotune.population.fit_population

    def counting_fit(pop, *a, **k):
        populations.append(len(pop))
        return real_fit(pop, *a, **k)

    monkeypatch.setattr(orthotune.population, "fit_population", counting_fit)
    recipe = FitRecipe(steps=80, batch_size=32)
    answers = {}
    for pays in (True, False):
        monkeypatch.setattr(orthotune.fit, "population_pays", lambda *a, pays=pays: pays)
        answers[pays] = out_of_fold(data.x, data.y, num_classes=3, folds=3, recipe=recipe)[0]
    assert populations == [3]  # the second time, no population trained
    # the three fold models learn from 120 rows each: the same recipe, seeds and mini-batches
    assert np.allclose(answers[True], answers[False], atol=1e-5)
    assert (answers[False].argmax(axis=1) == clean).mean() > 0.95


def test_ctrl_c_stops_the_fold_models_one_after_another(monkeypatch):
    import orthotune.fit
    from orthotune import _interrupt

    data, _, _ = blobs(n=90, flip=0.0, seed=1)
    monkeypatch.setattr(orthotune.fit, "population_pays", lambda *a: False)
    monkeypatch.setattr(_interrupt, "_pending", True)  # a Ctrl-C came (orthotune._interrupt)
    with pytest.raises(KeyboardInterrupt):
        out_of_fold(data.x, data.y, num_classes=3, folds=3, recipe=FitRecipe(steps=20))
