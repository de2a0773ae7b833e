from __future__ import annotations

import numpy as np
import torch

from orthotune.analysis import FitRecipe, default_spec, out_of_fold
from orthotune.analysis._fit import fold_jobs
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
    assert default_spec((4,), 3).kind == "mlp"
    assert default_spec((1, 40), 10).kind == "cnn1d"
    assert default_spec((1, 8, 8), 10).kind == "cnn2d"
    assert torch.is_tensor(torch.zeros(1))
