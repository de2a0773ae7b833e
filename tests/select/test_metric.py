import numpy as np
import pytest

from orthotune import InvalidInputError
from orthotune.metrics import classification_report
from orthotune.select import Direction, direction_of, is_rate, metric_value, resolve_metric


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("dev_error", Direction.MINIMIZE),
        ("val_loss", Direction.MINIMIZE),
        ("latency_ms", Direction.MINIMIZE),
        ("params", Direction.MINIMIZE),
        ("Classification Time", Direction.MINIMIZE),
        ("Latency (s)", Direction.MINIMIZE),
        ("Size [MB]", Direction.MINIMIZE),
        ("accuracy", Direction.MAXIMIZE),
        ("f1_score", Direction.MAXIMIZE),
        ("Class A", Direction.MAXIMIZE),
        ("Error rate", Direction.MINIMIZE),  # were maximized: the classifier erring most won
        ("Error (%)", Direction.MINIMIZE),
        ("misclassification_rate", Direction.MINIMIZE),
        ("false positive rate", Direction.MINIMIZE),
        ("Accuracy (%)", Direction.MAXIMIZE),
        ("hit_rate", Direction.MAXIMIZE),
    ],
)
def test_names_say_direction(name, direction):
    assert direction_of(name) == direction


def test_rates_versus_plain_quantities():
    assert is_rate("recall") and is_rate("dev_error") and is_rate("Class A")
    assert not is_rate("latency_ms") and not is_rate("params") and not is_rate("val_loss")


def test_metric_value_reads_the_report():
    report = classification_report(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    assert metric_value(report, "accuracy") == 0.75
    assert metric_value(report, "error") == 0.25
    assert metric_value(report, "Macro F1") == report.macro.fbeta
    assert metric_value(report, "balanced_accuracy") == report.macro.recall
    assert metric_value(report, "harmonic_recall") == report.harmonic.recall


def test_f1_is_refused_for_a_report_with_another_beta():
    report = classification_report(np.array([0, 1]), np.array([0, 1]), beta=2)
    with pytest.raises(InvalidInputError, match="use macro_fbeta"):
        metric_value(report, "macro_f1")


def test_unknown_metric_lists_the_accepted_names():
    report = classification_report(np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(InvalidInputError, match=r"unknown metric 'acuracy': accepted are accuracy"):
        metric_value(report, "acuracy")
    with pytest.raises(InvalidInputError, match="accepted are a, b"):
        resolve_metric("c", ["a", "b"])
