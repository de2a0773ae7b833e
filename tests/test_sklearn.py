"""``orthotune.sklearn.OrthoClassifier``: scikit-learn's estimator checks, Pipeline and
cross_val_score, pickling through safetensors bytes, a kept run folder with ``out``."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

from orthotune import InvalidInputError
from orthotune.sklearn import OrthoClassifier

# Every check of ``check_estimator`` passes with ``budget=1`` (54 passed, 1 skipped: array-API
# input needs SCIPY_ARRAY_API), measured with ``check_estimator(OrthoClassifier(budget=1,
# random_state=0), on_fail=None)``; that takes about a minute of CPU, more than this suite's
# share. The suite runs every check but these, which fit many models (seconds on a laptop):
LEFT_OUT = {
    "check_classifiers_train",  # 3 runs of 3 to 4 fits on 300 examples
    "check_classifiers_classes",  # a fit per label encoding
    "check_estimators_dtypes",  # a fit per dtype
    "check_classifier_data_not_an_array",  # fits on arrays, then on lists
    "check_fit_idempotent",  # fits twice
    "check_positive_only_tag_during_fit",  # a fit that repeats check_fit2d_*
    # scikit-learn skips it itself unless SCIPY_ARRAY_API=1 was set before scipy loaded; the
    # estimator takes numpy / pandas input (a CPU array) and says nothing about the array API
    "check_array_api_input",
}
# A weight of k is not k copies of the example here, as for scikit-learn's own SGD estimators
# (which list this check as an expected failure): ``fit`` splits the rows into train, dev and
# test, and k copies may fall into several parts where one weighted row falls into one; the
# weights scale the loss, the copies the batches' content. The test asserts it fails.
NOT_EQUIVALENT = "check_sample_weight_equivalence_on_dense_data"
CHECKS = [
    (estimator, check)
    for estimator, check in estimator_checks_generator(
        OrthoClassifier(budget=1, random_state=0), mark="skip"
    )
    if getattr(check, "func", check).__name__ not in LEFT_OUT
]


@pytest.mark.parametrize(
    ("estimator", "check"),
    CHECKS,
    ids=[getattr(c, "func", c).__name__ for _, c in CHECKS],
)
def test_scikit_learn_estimator_check(estimator, check):
    if getattr(check, "func", check).__name__ == NOT_EQUIVALENT:
        with pytest.raises(AssertionError, match="`sample_weight` is not equivalent"):
            check(estimator)
        return
    check(estimator)


class _NoTorch(pickle.Unpickler):
    """Refuses to rebuild any torch object: the weights must travel as safetensors bytes."""

    def find_class(self, module: str, name: str):
        assert not module.startswith("torch"), f"pickled torch object {module}.{name}"
        return super().find_class(module, name)


@pytest.mark.slow
def test_in_a_pipeline_with_cross_val_score_and_pickled_without_torch(tmp_path):
    x, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    pipe = make_pipeline(StandardScaler(), OrthoClassifier(budget=1, random_state=0))
    scores = cross_val_score(pipe, x, labels, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8  # iris: a small MLP gets ~0.95

    clf = OrthoClassifier(budget=1, random_state=0, out=tmp_path / "run").fit(x, labels)
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert set(clf.predict(x)) <= set(clf.classes_)
    assert clf.summary_.models_trained == 1
    # out= keeps each fit's run folder in it: its chosen model is the one in memory
    run = tmp_path / "run" / "fit-1"
    assert clf.summary_.run_dir == str(run)
    config = json.loads((run / "run.json").read_text())["config"]
    assert config["trials"] == 1 and config["budget_s"] is None  # a count, no time limit
    assert (run / "report.html").is_file()
    again = clone(clf).fit(x, labels)  # a clone (a CV fold, say) meets no run already there
    assert again.summary_.run_dir == str(tmp_path / "run" / "fit-2")
    restored = _NoTorch(io.BytesIO(pickle.dumps(clf))).load()
    assert np.array_equal(restored.predict_proba(x), clf.predict_proba(x))
    assert restored.get_params() == clf.get_params()


def test_budget_must_be_a_count_or_a_duration():
    x, y = load_iris(return_X_y=True)
    for bad in (0, 2.5, True):
        with pytest.raises(InvalidInputError, match=rf"budget={bad!r} is not accepted"):
            OrthoClassifier(budget=bad).fit(x, y)
    with pytest.raises(InvalidInputError, match="'5' does not parse"):
        OrthoClassifier(budget="5").fit(x, y)


def test_a_dataframe_with_text_and_gaps_is_read_as_a_table():
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 240
    x = pd.DataFrame({"age": rng.integers(18, 80, n).astype(float)})
    x["plan"] = rng.choice(["a", "b", None], n)
    x["spend"] = np.where(rng.random(n) < 0.1, np.nan, rng.normal(50, 10, n))
    y = np.where((x.age > 45) & (x.plan != "a"), "yes", "no")
    clf = OrthoClassifier(budget=1, random_state=0).fit(x, y)
    assert list(clf.classes_) == ["no", "yes"] and list(clf.feature_names_in_) == list(x.columns)
    assert clf.score(x, y) > 0.8  # the rule is in the two columns a plain array would refuse
    new = x.head(3).assign(plan=["zzz", None, "b"])  # an unseen category: a gap
    assert clf.predict_proba(new).shape == (3, 2)
    with pytest.raises(InvalidInputError, match=r"X is a ndarray, but the model was trained on"):
        clf.predict(x.to_numpy())
    restored = _NoTorch(io.BytesIO(pickle.dumps(clf))).load()
    assert np.array_equal(restored.predict_proba(x), clf.predict_proba(x))


def test_missing_values_in_arrays_are_filled_and_inf_refused():
    x, y = load_iris(return_X_y=True)
    x = x.copy()
    x[::5, 0] = np.nan
    clf = OrthoClassifier(budget=1, random_state=0).fit(x, y)
    assert np.isfinite(clf.predict_proba(x)).all()
    x[0, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        OrthoClassifier(budget=1).fit(x, y)


def test_a_missing_label_among_text_labels_is_named():
    x = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array(["a", "b", None, "a", "b", "a"], dtype=object)
    with pytest.raises(ValueError, match=r"y holds 1 missing label\(s\), the first at row 2"):
        OrthoClassifier(budget=1).fit(x, y)


def test_sample_weight_weighs_the_loss_on_arrays_and_tables():
    """A class whose examples weigh 0 is (almost) never predicted; a table's weights travel as
    a column of their own, as ``tune --weight`` reads them."""
    import pandas as pd

    x, y = load_iris(return_X_y=True)
    w = np.where(y == 2, 0.0, 1.0)
    plain = OrthoClassifier(budget=1, random_state=0).fit(x, y)
    weighted = OrthoClassifier(budget=1, random_state=0).fit(x, y, sample_weight=w)
    assert (plain.predict(x) == 2).sum() > 40 and (weighted.predict(x) == 2).sum() < 15
    table = pd.DataFrame(x, columns=["a", "b", "y", "y_0"]).assign(k=np.where(y > 0, "u", "v"))
    weighted = OrthoClassifier(budget=1, random_state=0).fit(table, y, sample_weight=list(w))
    assert (weighted.predict(table) == 2).sum() < 15  # "y" and "y_0" taken: its own names
    assert list(weighted.feature_names_in_) == list(table.columns)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        OrthoClassifier(budget=1).fit(x, y, sample_weight=-w)


def test_one_class_is_named_as_its_value_not_a_numpy_repr():
    x = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(InvalidInputError, match=r"got 1 class \(0\.0\): give examples"):
        OrthoClassifier(budget=1).fit(x, np.zeros(6))


def test_the_runs_messages_name_the_classes_by_their_labels(caplog):
    from orthotune.sklearn import _inner_labels

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = np.where(x[:, 0] > 0, "yes", "no").astype(object)
    y[5] = "maybe"
    with caplog.at_level("WARNING", logger="orthotune"):
        clf = OrthoClassifier(budget=1, random_state=0).fit(x, y)
    # was "1 class(es) with fewer than 3 examples ('0'; 1 examples)": the class's index
    assert "('maybe'; 1 examples)" in caplog.text
    assert clf.predict(x[:3]).tolist()[0] in ("maybe", "no", "yes")
    classes, index = np.unique(np.array(["007", "7", "8", "7"]), return_inverse=True)
    assert _inner_labels(classes, index).tolist() == [0, 1, 2, 1]  # "007", "7": indices
    classes, index = np.unique(np.array([10, 9, 10]), return_inverse=True)
    assert _inner_labels(classes, index).tolist() == ["10", "9", "10"]


def test_a_frame_of_numbers_and_dates_fits_and_predicts():
    import pandas as pd

    rng = np.random.default_rng(0)
    days = pd.to_timedelta(rng.integers(0, 1000, 120), unit="D")
    x = pd.DataFrame({"a": rng.normal(size=120), "when": pd.Timestamp("2020-01-01") + days})
    x["took"] = days  # was numpy's DTypePromotionError inside scikit-learn's check_array
    y = (x["a"] > 0).astype(int)
    clf = OrthoClassifier(budget=1, random_state=0).fit(x, y)
    assert clf.predict(x).shape == (120,) and clf.n_features_in_ == 3
