import numpy as np
import pytest

from orthotune import InvalidInputError
from orthotune.metrics import encode_labels


def test_classes_default_to_sorted_true_labels():
    enc = encode_labels(["dog", "cat", "dog"], ["cat", "cat", "dog"])
    assert enc.classes == ["cat", "dog"]
    assert enc.y_true.tolist() == [1, 0, 1]
    assert enc.y_pred.tolist() == [0, 0, 1]


def test_given_classes_fix_the_order_and_match_numbers_as_text():
    enc = encode_labels(np.array([2, 0, 1]), np.array([2.0, 0.0, 0.0]), classes=["2", "0", "1"])
    assert enc.classes == ["2", "0", "1"]
    assert enc.y_true.tolist() == [0, 1, 2]
    assert enc.y_pred.tolist() == [0, 1, 1]


def test_predicted_labels_never_seen_in_y_true_are_listed():
    with pytest.raises(InvalidInputError, match=r"never seen in the true labels: 'cow', 'emu'"):
        encode_labels(["cat", "dog"], ["cow", "emu"])


def test_true_labels_outside_the_classes_are_listed():
    with pytest.raises(InvalidInputError, match=r"y_true holds labels that are not classes: 'x'"):
        encode_labels(["a", "x"], ["a", "a"], classes=["a", "b"])


def test_missing_labels_are_refused():
    with pytest.raises(InvalidInputError, match="missing labels"):
        encode_labels(np.array([1.0, np.nan]))
