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


def test_flags_as_many_as_the_confident_joint_counts_lowest_given_probability_first():
    from orthotune.analysis import flag_label_issues

    # 3 classes, 30 examples, a sure model; rows 0, 1 and 2 carry a flipped label
    labels = np.arange(30) % 3
    proba = np.full((30, 3), 0.05)
    proba[np.arange(30), labels] = 0.9
    true = labels.copy()
    labels[:3] = (labels[:3] + 1) % 3
    assert flag_label_issues(proba, labels).tolist() == [True] * 3 + [False] * 27
    # a doubtful example (given label 0.45, another class 0.55) is misclassified but the
    # confident joint does not count it: only the 3 flips, not 4
    proba[3] = [0.45, 0.55, 0.0]
    assert flag_label_issues(proba, labels).tolist() == [True] * 3 + [False] * 27
    assert (true != labels).sum() == 3


def test_flags_adapt_to_a_calibrated_model_that_never_goes_below_the_noise_rate():
    from orthotune.analysis import flag_label_issues

    # 2 classes, 20 % of 100 labels flipped, a calibrated model: it gives each given label at
    # least the flip rate (0.2), so a fixed threshold like 0.1 would flag nothing
    true = np.arange(100) % 2
    labels = true.copy()
    labels[:20] = 1 - labels[:20]
    proba = np.where(true[:, None] == np.arange(2), 0.78, 0.22)
    proba[20:22] = [[0.4, 0.6], [0.6, 0.4]]  # doubtful clean rows (given labels 0 and 1)
    flagged = flag_label_issues(proba, labels)
    assert flagged[:20].all()
    assert not flagged[20:].any()


def test_a_rare_class_the_model_finds_hard_does_not_take_the_flipped_examples_count():
    """One ranking of all examples spent the count on a rare class whose given labels all get
    low probabilities (a sweep's 9.4 % spam: half of it flagged, no label flipped); per given
    class, the confident joint counts none there and the count goes to the flips."""
    from orthotune.analysis import flag_label_issues

    labels = np.array([0] * 90 + [1] * 10)
    proba = np.tile([0.9, 0.1], (100, 1))
    proba[:5] = [0.3, 0.7]  # 5 flipped to class 0: the model says 1
    proba[90:] = [0.8, 0.2]  # the rare class: hard for the model, yet labelled right
    flagged = flag_label_issues(proba, labels)
    assert flagged.tolist() == [True] * 5 + [False] * 95


def test_iterative_shortens_training_when_the_out_of_fold_loss_says_so():
    """30 % flipped blobs and a long recipe: the fold models memorize the flips, so a shorter
    training has the lower out-of-fold log loss on the given labels and round 1 keeps it."""
    from orthotune.analysis import IterativeCleaning

    data, flipped, _ = blobs(n=150, flip=0.3, seed=5)
    method = IterativeCleaning(recipe=FitRecipe(steps=400, batch_size=32), max_rounds=1)
    issues = method.find(data)
    assert method.steps is not None and method.steps < 400
    assert f"{method.steps} steps per model" in issues.note
    mask = issues.mask()
    assert (mask & flipped).sum() / flipped.sum() >= 0.8


def test_cleanlabs_warning_about_a_tiny_class_is_one_line_naming_it(caplog, capfd):
    """cleanlab warned from its worker processes with a raw UserWarning naming 'class: 0'
    by index; a class of one example is now named in one log line, one of none is not."""
    import numpy as np

    from orthotune.analysis import cleanlab_issues

    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=91)
    names = ["amber", "red", "white", "rose"]
    with caplog.at_level("WARNING"):
        cleanlab_issues(np.array([1, 2, 3] * 30 + [0]), proba, names)
        cleanlab_issues(np.array([1, 2, 3] * 30 + [1]), proba, names)  # amber: none
    said = [r.getMessage() for r in caplog.records]
    assert said == ["confident: class 'amber' has one example, which cleanlab does not judge"]
    assert "UserWarning" not in capfd.readouterr().err
