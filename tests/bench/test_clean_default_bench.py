"""bench/clean_default.py: its logic on inputs with a known answer, and its --quick run."""

import importlib
import sys

import numpy as np
import pytest
import torch

from orthotune.data import Dataset
from tests.bench._run import ROOT, run_quick


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        yield importlib.import_module("clean_default")
    finally:
        sys.path.remove(str(ROOT / "bench"))


def _data(n: int = 200, classes: int = 4, *, split: bool = False) -> Dataset:
    preset = None
    if split:
        preset = np.array([""] * (n - 50) + ["test"] * 50, dtype=object)
    return Dataset(
        x=torch.zeros(n, 3),
        y=torch.arange(n) % classes,
        class_names=tuple(f"c{k}" for k in range(classes)),
        ids=np.array([str(i) for i in range(n)]),
        preset_split=preset,
    )


def test_planted_noise_flips_exactly_the_rate_to_another_class(bench):
    data = _data()
    noisy, flipped = bench.with_noise(data, rate=0.2, seed=0)
    assert flipped.sum() == 40
    assert (noisy.y.numpy() != data.y.numpy()).sum() == 40
    assert np.array_equal(noisy.y.numpy() != data.y.numpy(), flipped)
    assert set(noisy.y.numpy()) <= set(range(4))
    again, same = bench.with_noise(data, rate=0.2, seed=0)  # the seed fixes the flips
    assert np.array_equal(same, flipped) and torch.equal(again.y, noisy.y)


def test_minority_noise_moves_the_rate_of_the_smallest_class_to_the_largest(bench):
    y = np.array([0] * 30 + [1] * 120 + [2] * 50)
    data = Dataset(
        x=torch.zeros(200, 3),
        y=torch.as_tensor(y),
        class_names=("a", "b", "c"),
        ids=np.array([str(i) for i in range(200)]),
    )
    noisy, flipped = bench.with_noise(data, rate=0.3, seed=0, kind="minority")
    assert flipped.sum() == 9  # 30 % of the 30 rows of class 0
    assert set(np.flatnonzero(flipped)) <= set(range(30))
    assert (noisy.y.numpy()[flipped] == 1).all()
    assert np.array_equal(noisy.y.numpy()[~flipped], y[~flipped])


def test_only_rows_outside_the_test_split_are_judged(bench):
    part = bench.judged_part(_data(split=True))
    assert len(part) == 150 and part.preset_split is None
    assert len(bench.judged_part(_data())) == 200


def test_precision_and_recall_against_the_flipped_rows(bench):
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    found = np.array([1, 1, 1, 0, 1, 0, 0, 0], dtype=bool)
    assert bench.precision_recall(found, truth) == (0.75, 0.75)
    assert bench.precision_recall(np.zeros(8, dtype=bool), truth) == (0.0, 0.0)


def test_the_best_method_has_the_highest_worst_cell_then_mean(bench):
    cells = {
        "confident": [(0.99, 0.98), (0.95, 0.94)],  # worst 0.94
        "iterative": [(0.98, 0.99), (0.97, 0.96)],  # worst 0.96, mean 0.975
        "cluster": [(1.00, 1.00), (0.99, 0.40)],  # best mean cell, worst 0.40
    }
    summary = bench.summarize(cells)
    assert summary["iterative"] == pytest.approx((0.96, 0.975))
    assert summary["cluster"][0] == pytest.approx(0.40)
    assert bench.best_method(summary) == "iterative"
    tie = {"a": (0.9, 0.91), "b": (0.9, 0.95)}  # the same worst cell: the higher mean wins
    assert bench.best_method(tie) == "b"


@pytest.mark.slow
def test_quick_run_reports_every_method():
    fields = dict(pair.split("=") for pair in run_quick("clean_default.py").split())
    assert fields["best"] in ("confident", "iterative", "cluster")
    for name in ("confident", "iterative", "cluster"):
        assert 0.0 <= float(fields[f"{name}_worst"]) <= float(fields[f"{name}_mean"]) <= 1.0
    assert fields["best_worst"] == fields[f"{fields['best']}_worst"]


def test_the_ceilings_flip_posterior_follows_bayes_rule(bench):
    proba = np.array([[0.9, 0.05, 0.05], [0.2, 0.8, 0.0], [1.0, 0.0, 0.0]])
    labels = np.array([0, 0, 1])
    post = bench.flip_posterior(proba, labels, rate=0.2)
    # row 0: flip 0.1·0.1 = 0.01 against kept 0.8·0.9 = 0.72; row 1: 0.1·0.8 against 0.8·0.2;
    # row 2: its label has probability 0, so it was flipped for certain
    assert post == pytest.approx([0.01 / 0.73, 0.08 / 0.24, 1.0])


def test_precision_at_recall_takes_the_best_cut_that_finds_enough(bench):
    truth = np.array([1, 0, 1, 1, 0, 1, 0, 0], dtype=bool)
    score = np.array([8, 7, 6, 5, 4, 3, 2, 1], dtype=float)
    # 75 %: the top 4 hold 3 flips (0.75); 100 %: the top 6 hold all 4 (0.667)
    assert bench.precision_at_recall(score, truth, recall=0.75) == pytest.approx(0.75)
    assert bench.precision_at_recall(score, truth, recall=1.0) == pytest.approx(4 / 6)
    # a later cut can be more precise than the first one that finds enough
    assert bench.precision_at_recall(score, truth, recall=0.5) == pytest.approx(0.75)
    # tied scores enter together: no cut between the two 5s
    tied = np.array([9, 5, 5, 1], dtype=float)
    assert bench.precision_at_recall(tied, np.array([1, 1, 0, 0], bool), recall=1.0) == 2 / 3
    perfect = bench.flip_posterior(np.eye(4)[[0, 1, 2, 3]], np.array([0, 2, 2, 3]), rate=0.1)
    assert bench.precision_at_recall(perfect, np.array([0, 1, 0, 0], bool), recall=0.95) == 1.0
