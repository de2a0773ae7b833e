"""The refit's estimate: a single network of cheap epochs is timed alone on train + dev (a
tiny network's share of its population's epochs under-counted Star's refit, which the deadline
then cut); an ensemble, or a network of dear epochs, keeps its share."""

import dataclasses

import numpy as np
import pytest

from orthotune._records import EpochRecord
from orthotune.autopilot._refit import TIMED_BELOW_S, TIMED_EPOCHS, RefitCost, refit_cost
from orthotune.data import dataset_from_arrays, make_split, prepare
from orthotune.fit import Candidate, Trained, train_candidates
from orthotune.models import Ensemble, ModelSpec, build_model
from orthotune.train import TrainConfig


def _data():
    g = np.random.default_rng(0)
    x = g.normal(size=(500, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ds = dataset_from_arrays(x, y)
    return prepare(ds, make_split(ds, seed=0))


def _record(t: int, seconds: float) -> EpochRecord:
    return EpochRecord(
        epoch=t, steps=1, lr=0.1, train_loss=1, train_error=0.5, smoothed_loss=1, seconds=seconds
    )


SPEC = ModelSpec(kind="mlp", input_shape=(4,), num_classes=2, hidden=(8,))


def _chosen(seconds: float, epochs: int = 30, model=None) -> Trained:
    cand = Candidate("v1", SPEC, TrainConfig(epochs=epochs, batch_size=32), seed=0)
    return Trained(cand, model if model is not None else object(), seconds=seconds)


def test_a_cheap_single_network_is_timed_once_and_scaled_to_its_epochs():
    data = _data()
    calls = []

    def train(cands, pooled):
        calls.append((cands, pooled))
        # the first epoch builds the model; the later ones 0.1 and 0.3 s; 1.0 s in all
        history = [_record(0, 0.5), _record(1, 0.1), _record(2, 0.3)]
        return [Trained(cands[0], object(), history=history, seconds=1.0)]

    cost = RefitCost(train)
    chosen = _chosen(seconds=3.0)  # by its share: 3 s × (train + dev) / train, under 0.5 s an epoch
    share = refit_cost(chosen, data)
    assert share / 30 < TIMED_BELOW_S
    # the timed 1.0 s, then 27 epochs at the slower of the later ones (the upper median)
    assert cost(chosen, data) == pytest.approx(1.0 + 27 * 0.3)
    assert cost(chosen, data) == pytest.approx(9.1) and len(calls) == 1  # timed once
    ((cands, pooled),) = calls
    assert [c.config.epochs for c in cands] == [TIMED_EPOCHS]
    assert cands[0].config.patience is None
    assert len(pooled.train) == len(data.train) + len(data.dev)


def test_the_share_stays_where_it_is_larger_or_the_timing_did_not_finish():
    data = _data()
    fast = RefitCost(lambda c, p: [Trained(c[0], object(), history=[_record(0, 0.01)] * 3)])
    chosen = _chosen(seconds=10.0)
    assert fast(chosen, data) == pytest.approx(refit_cost(chosen, data))  # the larger of two

    def cut(cands, pooled):  # the deadline stopped it after one epoch
        return [Trained(cands[0], object(), history=[_record(0, 5.0)], complete=False)]

    assert RefitCost(cut)(chosen, data) == pytest.approx(refit_cost(chosen, data))


def test_ensembles_dear_epochs_and_count_budgets_are_not_timed():
    data = _data()

    def train(cands, pooled):
        raise AssertionError("not timed")

    cost = RefitCost(train)
    dear = _chosen(seconds=30 * TIMED_BELOW_S)  # its share: over 0.5 s an epoch
    assert cost(dear, data) == pytest.approx(refit_cost(dear, data))
    ensemble = _chosen(seconds=1.0, model=Ensemble([build_model(SPEC), build_model(SPEC)]))
    assert cost(ensemble, data) == pytest.approx(refit_cost(ensemble, data))
    cheap = _chosen(seconds=3.0)  # timed under a time budget (above); not under a count one
    assert RefitCost(train, timed=False)(cheap, data) == pytest.approx(refit_cost(cheap, data))


def test_a_real_timing_trains_the_chosen_configuration_alone_on_train_and_dev():
    data = _data()
    cand = Candidate("v1", SPEC, TrainConfig(epochs=20, batch_size=32), seed=0)
    (chosen,) = train_candidates([cand], data, device="cpu")
    seen = []

    def train(cands, pooled):
        seen.append(len(pooled.train))
        return train_candidates(cands, pooled, device="cpu")

    cost = RefitCost(train)
    estimate = cost(chosen, data)
    assert seen == [len(data.train) + len(data.dev)]
    assert np.isfinite(estimate) and estimate > 0  # (never under the share: by construction)
    # another chosen model is timed again; the same one is not
    cost(dataclasses.replace(chosen, candidate=dataclasses.replace(cand, name="v2")), data)
    cost(chosen, data)
    assert len(seen) == 2


def test_the_timing_trains_on_the_inputs_the_chosen_model_learned_from():
    """Step 0 kept a binned encoding on Star (121 columns, where the table read 11): a timing
    on the inputs the loop started from failed ("mat1 and mat2 shapes cannot be multiplied")
    at every kept model, and the refit was estimated by its share alone."""
    data = _data()
    wide = prepare(data.dataset, make_split(data.dataset, seed=0), bins=8)
    assert wide.train.x.shape[1] != data.train.x.shape[1]
    spec = SPEC.model_copy(update={"input_shape": tuple(wide.train.x.shape[1:])})
    cand = Candidate("b", spec, TrainConfig(epochs=5, batch_size=32), seed=0)
    (chosen,) = train_candidates([cand], wide, device="cpu")
    seen = []

    def train(cands, pooled):
        out = train_candidates(cands, pooled, device="cpu")
        seen.extend((pooled.train.x.shape[1], t.failed) for t in out)
        return out

    RefitCost(train)(chosen, wide)
    assert seen == [(wide.train.x.shape[1], None)]
