import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from orthotune import InvalidInputError
from orthotune.metrics import confusion_matrix


@st.composite
def labelled(draw, weighted=False):
    k = draw(st.integers(1, 7))
    n = draw(st.integers(1, 60))
    y_true = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    w = None
    if weighted:
        w = draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=n, max_size=n))
    return k, np.array(y_true), np.array(y_pred), w


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=60, deadline=None)
@given(labelled(weighted=True))
def test_confusion_matrix_equals_sklearn(case):
    k, y_true, y_pred, w = case
    assume(sum(w) > 0)  # scikit-learn refuses all-zero weights
    expected = sk_confusion_matrix(y_true, y_pred, labels=list(range(k)), sample_weight=w)
    got = confusion_matrix(y_true, y_pred, n_classes=k, sample_weight=w)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


def test_counts_are_integers_and_rows_are_true_classes():
    cm = confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1])
    assert cm.dtype == np.int64
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]


def test_small_integer_dtypes_and_bool_are_accepted_without_overflow():
    y = np.array([0, 1, 1, 0], dtype=np.int8)
    cm = confusion_matrix(y, y.astype(bool), n_classes=2)
    assert cm.tolist() == [[2, 0], [0, 2]]
    big = np.full(5, 299, dtype=np.int16)
    assert confusion_matrix(big, big)[299, 299] == 5


def test_torch_tensors_are_counted_like_numpy():
    y_true = torch.tensor([0, 2, 1, 2, 2])
    y_pred = torch.tensor([0, 2, 2, 2, 1])
    w = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0])
    np.testing.assert_array_equal(
        confusion_matrix(y_true, y_pred, n_classes=4),
        confusion_matrix(y_true.numpy(), y_pred.numpy(), n_classes=4),
    )
    np.testing.assert_allclose(
        confusion_matrix(y_true, y_pred, sample_weight=w),
        confusion_matrix(y_true.numpy(), y_pred.numpy(), sample_weight=w.numpy()),
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "match"),
    [
        ([0, -1], [0, 1], {}, "y_true holds negative class codes"),
        ([0, 1], [0, 1, 1], {}, "y_true has 2 labels but y_pred has 3"),
        ([0.5, 1.0], [0, 1], {}, "dtype float64.*encode_labels"),
        ([0, 1], [0, 5], {"n_classes": 3}, "class code 5 but there are only 3 classes"),
        ([], [], {}, "empty"),
        ([[0, 1]], [[0, 1]], {}, "1-D"),
        ([0, 1], [0, 1], {"sample_weight": [1.0, -2.0]}, "sample_weight holds negative"),
        ([0, 1], [0, 1], {"sample_weight": [1.0]}, "sample_weight has shape"),
        ([0, 20_000], [0, 1], {}, "implies 20001 classes"),
    ],
)
def test_bad_codes_are_refused_in_one_line(y_true, y_pred, kwargs, match):
    t = np.array(y_true, dtype=int if y_true == [] else None)
    p = np.array(y_pred, dtype=int if y_pred == [] else None)
    with pytest.raises(InvalidInputError, match=match) as err:
        confusion_matrix(t, p, **kwargs)
    assert "\n" not in str(err.value)


def test_negative_torch_codes_are_refused():
    with pytest.raises(InvalidInputError, match="negative"):
        confusion_matrix(torch.tensor([0, -1]), torch.tensor([0, 1]))
    with pytest.raises(InvalidInputError, match="argmax"):
        confusion_matrix(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]))
