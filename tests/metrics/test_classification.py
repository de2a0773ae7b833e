import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hmean
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from orthotune import InvalidInputError
from orthotune.metrics import (
    class_average,
    classification_report,
    fbeta_from_precision_recall,
    harmonic_mean,
    report_from_confusion,
)

# The lecture's tables (formulas rule over its rounding).
F1_TABLE = {"A": (0.96, 0.90, 0.9290), "B": (0.98, 0.88, 0.9273), "C": (0.94, 0.93, 0.9350)}
CLASS_TABLE = {  # per-class scores -> (average, harmonic mean) as the issue states them
    "A": ([0.95, 0.90, 0.94, 0.99], 0.9450, 0.9439),
    "B": ([0.96, 0.93, 0.97, 0.94], 0.9500, 0.9497),
    "C": ([0.92, 0.93, 0.95, 0.97], 0.9425, 0.9421),
    "D": ([0.94, 0.95, 0.99, 0.94], 0.9550, 0.9546),
    "E": ([0.97, 0.98, 0.95, 0.97], 0.9675, 0.9674),
    "F": ([0.99, 0.91, 0.96, 0.92], 0.9450, 0.9439),
}


@pytest.mark.parametrize("name", sorted(F1_TABLE))
def test_lecture_f1_table(name):
    p, r, f1 = F1_TABLE[name]
    assert fbeta_from_precision_recall(p, r) == pytest.approx(f1, abs=5e-5)
    assert fbeta_from_precision_recall(p, r) == pytest.approx(2 / (1 / p + 1 / r))


def test_lecture_f1_table_picks_c():
    best = max(F1_TABLE, key=lambda k: fbeta_from_precision_recall(*F1_TABLE[k][:2]))
    assert best == "C"


@pytest.mark.parametrize("name", sorted(CLASS_TABLE))
def test_lecture_class_average_and_harmonic_mean(name):
    scores, average, harmonic = CLASS_TABLE[name]
    assert class_average(scores) == pytest.approx(average, abs=5e-5)
    assert harmonic_mean(scores) == pytest.approx(harmonic, abs=5e-5)


def test_harmonic_mean_is_zero_when_a_class_scores_zero_and_refuses_negatives():
    assert harmonic_mean([0.9, 0.0, 0.8]) == 0.0
    with pytest.raises(InvalidInputError, match="harmonic mean takes scores >= 0"):
        harmonic_mean([0.9, -0.1])


def test_fbeta_weighs_recall_beta_times():
    p, r = 0.5, 1.0
    assert fbeta_from_precision_recall(p, r, beta=2) == pytest.approx(5 * p * r / (4 * p + r))
    assert fbeta_from_precision_recall(p, r, beta=2) > fbeta_from_precision_recall(p, r)


@st.composite
def predictions(draw):
    k = draw(st.integers(2, 6))
    n = draw(st.integers(1, 80))
    # Drawn from a subset so that classes are regularly absent from y_true and/or y_pred.
    true_classes = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    pred_classes = draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    y_true = draw(st.lists(st.sampled_from(true_classes), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.sampled_from(pred_classes), min_size=n, max_size=n))
    weights = draw(
        st.none() | st.lists(st.floats(0.01, 5, allow_nan=False), min_size=n, max_size=n)
    )
    beta = draw(st.sampled_from([0.5, 1.0, 2.0, 3.7]))
    zero_division = draw(st.sampled_from([0, 1]))
    return k, np.array(y_true), np.array(y_pred), weights, beta, zero_division


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=120, deadline=None)
@given(predictions())
def test_every_score_equals_sklearn(case):
    k, y_true, y_pred, w, beta, zd = case
    labels = list(range(k))
    report = classification_report(
        y_true, y_pred, n_classes=k, sample_weight=w, beta=beta, zero_division=zd
    )

    # the per-class scores of every class; the averages over the classes that occur (as true
    # or predicted labels: scikit-learn's default), a class too rare to reach the rows has none
    occur = sorted(set(y_true.tolist()) | set(y_pred.tolist()))

    def sk(average):
        return precision_recall_fscore_support(
            y_true,
            y_pred,
            labels=labels if average is None else occur,
            beta=beta,
            average=average,
            sample_weight=w,
            zero_division=zd,
        )

    p, r, f, s = sk(None)
    np.testing.assert_allclose(report.scores("precision"), p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(report.scores("recall"), r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(report.scores("fbeta"), f, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(report.scores("support"), s, rtol=1e-12, atol=1e-9)
    for average in ("macro", "micro", "weighted"):
        got = getattr(report, average)
        exp = sk(average)[:3]
        np.testing.assert_allclose(
            [got.precision, got.recall, got.fbeta], exp, rtol=1e-12, atol=1e-12
        )
    assert report.accuracy == pytest.approx(accuracy_score(y_true, y_pred, sample_weight=w))
    for name in ("precision", "recall", "fbeta"):
        values = np.asarray(report.scores(name))[occur]
        expected = 0.0 if min(values) == 0 else hmean(values)
        assert getattr(report.harmonic, name) == pytest.approx(expected, rel=1e-12)
    assert not any(np.isnan(report.scores(n)).any() for n in ("precision", "recall", "fbeta"))


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=40, deadline=None)
@given(predictions(), st.data())
def test_binary_positive_class_equals_sklearn_binary_average(case, data):
    _, y_true, y_pred, w, beta, zd = case
    y_true, y_pred = (y_true % 2), (y_pred % 2)
    pos = data.draw(st.sampled_from([0, 1]))
    report = classification_report(
        y_true,
        y_pred,
        labels=["0", "1"],
        sample_weight=w,
        beta=beta,
        positive_class=pos,
        zero_division=zd,
    )
    p, r, f, _ = precision_recall_fscore_support(
        y_true,
        y_pred,
        labels=[0, 1],
        pos_label=pos,
        average="binary",
        beta=beta,
        sample_weight=w,
        zero_division=zd,
    )
    b = report.binary
    assert (b.label, b.precision, b.recall) == (str(pos), pytest.approx(p), pytest.approx(r))
    assert b.fbeta == pytest.approx(f)


def test_zero_division_is_explicit_and_listed():
    # class 2 is never predicted and never true; class 1 is never predicted.
    report = classification_report(np.array([0, 1, 0]), np.array([0, 0, 0]), n_classes=3)
    assert report.per_class[1].precision == 0.0
    assert report.per_class[2].fbeta == 0.0
    assert "precision of '1' (never predicted)" in report.undefined
    assert "recall of '2' (no true examples)" in report.undefined
    assert "fbeta of '2' (neither true nor predicted)" in report.undefined
    ones = classification_report(
        np.array([0, 1, 0]), np.array([0, 0, 0]), n_classes=3, zero_division=1
    )
    assert ones.per_class[1].precision == 1.0


def test_string_labels_are_encoded_over_the_union():
    report = classification_report(["cat", "dog", "cat"], ["cat", "cat", "bird"])
    assert report.labels == ["bird", "cat", "dog"]
    assert report.accuracy == pytest.approx(1 / 3)
    assert report.per_class[0].support == 0
    assert report.confusion == [[0, 0, 0], [1, 1, 0], [0, 1, 0]]


def test_report_is_json_with_schema_version_and_fractions():
    report = classification_report(np.array([0, 1, 1]), np.array([0, 1, 0]))
    data = report.model_dump()
    assert data["schema_version"] == 1
    assert 0 <= data["accuracy"] <= 1
    assert data["error"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta": 0}, "beta 0 is not a positive finite number"),
        ({"beta": float("inf")}, "beta inf"),
        ({"zero_division": 0.5}, "zero_division 0.5 is not accepted"),
        ({"positive_class": "7"}, "positive class '7' is not a class"),
        ({"labels": ["a"]}, "1 labels given for a 2-class"),
    ],
)
def test_bad_report_arguments(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        report_from_confusion(np.array([[1, 0], [0, 1]]), **kwargs)


def test_bad_confusion_shape():
    with pytest.raises(InvalidInputError, match="square"):
        report_from_confusion(np.zeros((2, 3)))
