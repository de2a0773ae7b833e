"""One contract every label-issue method meets, on blobs with 10 % of labels flipped."""

from __future__ import annotations

import numpy as np
import pytest

from orthotune._errors import InvalidInputError
from orthotune.analysis import (
    METHODS,
    FitRecipe,
    LabelIssueMethod,
    LabelIssues,
    find_issues,
    make_method,
)
from tests.analysis.conftest import blobs

FAST = FitRecipe(steps=100, batch_size=32)


@pytest.fixture(scope="module")
def planted():
    return blobs(n=240, flip=0.1, seed=3)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_contract_finds_planted_flips(name, planted):
    data, flipped, clean = planted
    method = make_method(name, recipe=FAST)
    assert isinstance(method, LabelIssueMethod)
    assert method.name == name
    issues = method.find(data, seed=0)
    assert isinstance(issues, LabelIssues)
    assert issues.method == name
    assert issues.num_examples == len(data)
    mask = issues.mask()
    precision = (mask & flipped).sum() / max(mask.sum(), 1)
    recall = (mask & flipped).sum() / flipped.sum()
    assert precision >= 0.8, (name, precision, recall)
    assert recall >= 0.8, (name, precision, recall)
    scores = [s.score for s in issues.suspects]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # the suggested label of a caught flip is mostly its true class
    caught = [s for s in issues.suspects if flipped[s.index]]
    right = np.mean([s.suggested_label == data.class_names[clean[s.index]] for s in caught])
    assert right >= 0.9
    for s in issues.suspects:
        assert s.id == data.ids[s.index]
        assert s.given_label == data.class_names[int(data.y[s.index])]
        assert s.suggested_label != s.given_label


def test_iterative_records_its_rounds(planted):
    data, _, _ = planted
    issues = make_method("iterative", recipe=FAST).find(data)
    assert issues.rounds[0].round == 1
    assert issues.rounds[0].kept
    assert all(0.0 <= r.dev_error <= 1.0 for r in issues.rounds)


def test_iterative_relabel_mode_finds_the_flips_too(planted):
    from orthotune.analysis import IterativeCleaning

    data, flipped, _ = planted
    issues = IterativeCleaning(mode="relabel", recipe=FAST, max_rounds=2).find(data)
    mask = issues.mask()
    assert (mask & flipped).sum() / flipped.sum() >= 0.75
    assert (mask & flipped).sum() / max(mask.sum(), 1) >= 0.75


def test_find_issues_never_judges_the_test_set(planted):
    from dataclasses import replace

    data, _, _ = planted
    split = np.array([""] * len(data), dtype=object)
    split[:40] = "test"
    issues = find_issues(replace(data, preset_split=split), method="cluster", recipe=FAST)
    assert issues.num_examples == len(data)
    assert all(s.index >= 40 for s in issues.suspects)


def test_unknown_method_is_refused():
    with pytest.raises(InvalidInputError, match="--method 'magic' is not accepted"):
        make_method("magic")


def test_strong_rejection_reads_through_label_smoothing():
    from orthotune.analysis import strongly_rejected

    # 3 classes: a smoothed model (ε = 0.1) gives a ruled-out class about ε/C = 0.033
    proba = np.array([[0.104, 0.8, 0.096], [0.3, 0.6, 0.1], [0.9, 0.05, 0.05]])
    labels = np.array([0, 0, 0])
    assert strongly_rejected(proba, labels, reject_below=0.1).tolist() == [False] * 3
    smoothed = strongly_rejected(proba, labels, reject_below=0.1, smoothing=0.1)
    assert smoothed.tolist() == [True, False, False]  # (0.104 − 0.033)/0.9 = 0.079 < 0.1
