"""Cross-validated candidates: K fold models and a full one, trained at once."""

import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import load_dataset, make_split, stratified_folds
from orthotune.data._prepare import prepare
from orthotune.fit import Candidate, train_candidates
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig


@pytest.fixture(scope="module")
def data():
    ds = load_dataset("builtin:synthetic?n=400&classes=3&features=6&noise=0.1&seed=5")
    return prepare(ds, make_split(ds, seed=0))


def _candidates(data):
    spec = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=(32,))
    cfg = TrainConfig(optimizer="adam", lr=0.01, epochs=8, batch_size=32)
    return [
        Candidate("a", spec, cfg, seed=1),
        Candidate("b", spec, cfg.model_copy(update={"lr": 1e-6}), seed=1),  # learns nothing
        Candidate("c", spec.model_copy(update={"hidden": (16,)}), cfg, seed=1),
    ]


@pytest.mark.parametrize("executor", ["population", "sequential"])
def test_out_of_fold_errors_rest_on_every_training_example(data, executor):
    out = train_candidates(
        _candidates(data), data, executor=executor, device="cpu", folds=5, fold_seed=3
    )
    m = len(data.train)
    for t in out:
        assert t.failed is None and t.model is not None
        assert set(t.wrong) == {"train", "dev"} and len(t.wrong["dev"]) == m
    a, b, c = out
    # the full model has seen every training example; the fold models judged them unseen
    assert a.error("train") <= a.error("dev")
    assert a.error("dev") < 0.4 and c.error("dev") < 0.4  # Bayes error 0.1, 240 examples
    assert b.error("dev") > 0.5  # a model that learned nothing is no better than chance
    # the returned model is the full one: its training mistakes are its own
    preds = a.model(data.train.x).argmax(1)
    assert torch.equal(preds != data.train.y, a.wrong["train"])


def test_both_executors_give_the_same_cross_validated_picture(data):
    pop = train_candidates(_candidates(data), data, executor="population", folds=4)
    seq = train_candidates(_candidates(data), data, executor="sequential", folds=4)
    for p, s in zip(pop, seq, strict=True):
        assert abs(p.error("dev") - s.error("dev")) <= 0.06, p.candidate.name


def test_folds_are_stratified_and_early_stopping_is_refused(data):
    y = data.train.y.numpy()
    fold_of = stratified_folds(y, folds=5, seed=0)
    for k in range(5):
        counts = [int(((fold_of == k) & (y == c)).sum()) for c in range(3)]
        expected = [int((y == c).sum()) / 5 for c in range(3)]
        assert all(abs(n - e) <= 1 for n, e in zip(counts, expected, strict=True))
    with pytest.raises(InvalidInputError, match="folds=1 for"):
        stratified_folds(y, folds=1, seed=0)
    cand = _candidates(data)[0]
    patient = Candidate("p", cand.spec, cand.config.model_copy(update={"patience": 2}))
    with pytest.raises(InvalidInputError, match="with cross-validation there is none"):
        train_candidates([patient], data, folds=5)


def test_each_candidate_is_said_for_its_own_epochs_only(data):
    # a sweep's progress line said "epoch 17/15": the group's longest member set the count
    spec = ModelSpec(input_shape=data.dataset.input_shape, num_classes=3, hidden=(16,))
    cfg = TrainConfig(optimizer="adam", lr=0.01, epochs=6, batch_size=32)
    short = Candidate("short", spec, cfg, seed=1)
    long = Candidate("long", spec, cfg.model_copy(update={"epochs": 9}), seed=2)
    said: dict[str, list[int]] = {"short": [], "long": []}

    def on_epoch(candidate, epoch, dev_error):
        said[candidate.name].append(epoch)

    train_candidates([short, long], data, executor="population", folds=3, on_epoch=on_epoch)
    assert said == {"short": list(range(6)), "long": list(range(9))}
