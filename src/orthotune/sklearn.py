"""``OrthoClassifier``: the orthogonal autopilot as a scikit-learn classifier.

``fit(X, y)`` runs ``orthotune.tune`` (the autopilot) on the arrays — baseline, diagnosis,
one knob at a time — and keeps the chosen network in memory; ``predict`` /
``predict_proba`` use it; ``fit(X, y, sample_weight=w)`` weighs each example's loss (``tune
--weight``). It works inside ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``::

    from orthotune.sklearn import OrthoClassifier
    clf = OrthoClassifier(budget=4, random_state=0).fit(X_train, y_train)
    clf.predict_proba(X_test)

``budget`` is a count of models (an ``int``: reproducible on any machine) or a wall-clock
duration (``"30s"``, ``"5m"``). Without ``out`` the run folder is a temporary one, removed
when ``fit`` returns; with ``out`` it stays, as ``out/fit-K`` (run.json, study.db,
decisions.json, the chosen checkpoint, report.html). A pickled classifier holds its network as
safetensors bytes and its manifest as JSON (``orthotune._model.Model``), never as a torch
pickle.

X is numeric, ``[n, features]`` (or ``[n, channels, length]`` / ``[n, channels, h, w]`` for
signals and images), or a pandas DataFrame. Missing values (NaN) are filled as ``tune``'s
default ``--impute auto`` fills them, as ``HistGradientBoostingClassifier`` accepts them; inf
is refused. A DataFrame with a column that is not numbers (text, categories, dates) is read as
``orthotune.tune`` reads it, as a table (categories one-hot, gaps filled, names and row numbers
left out, with a warning), and ``predict`` then takes a DataFrame with those columns: an unseen
category is read as a missing value.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from orthotune._api import free_column, tune
from orthotune._errors import InvalidInputError
from orthotune._model import Model

__all__ = ["OrthoClassifier"]


def _table(X: Any) -> Any:
    """X as a table to read like ``tune`` reads a DataFrame, or None: a pandas DataFrame with a
    column that is not numbers or booleans."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return None
    from pandas.api import types

    numeric = all(types.is_bool_dtype(t) or types.is_numeric_dtype(t) for t in dtypes)
    return None if numeric else X


def _checked_as_objects(table: Any) -> Any:
    """``table`` for scikit-learn's shape and column-name checks (``validate_data`` with
    ``dtype=None``): its date and duration columns as objects, since numpy finds no common
    type for them and numbers (``DTypePromotionError``); ``tune`` reads the table itself."""
    from pandas.api import types

    if not hasattr(table, "columns"):  # an array, for the check to refuse
        return table
    dated = [
        c
        for c, t in table.dtypes.items()
        if types.is_datetime64_any_dtype(t) or types.is_timedelta64_dtype(t)
    ]
    return table.astype(dict.fromkeys(dated, object)) if dated else table


def _inner_labels(classes: np.ndarray, y_index: np.ndarray) -> np.ndarray:
    """The labels ``tune`` learns from: the classes' own names when ``tune`` reads them as
    these classes in this order (so that its warnings, summary and report name them), else
    their indices in ``classes_`` (``"007"`` and ``"7"``, which it would read as one number)."""
    from orthotune.data import label_names

    names = np.array([str(c) for c in classes], dtype=object)
    inner, _ = label_names(names)
    return names[y_index] if np.array_equal(inner, np.arange(len(names))) else y_index


def _next_fit_folder(out: str | Path) -> Path:
    """``out/fit-K`` for the first K ≥ 1 that is not there yet."""
    from orthotune._rundir import as_folder

    parent = as_folder(out)
    k = 1
    while (parent / f"fit-{k}").exists():
        k += 1
    return parent / f"fit-{k}"


class OrthoClassifier(ClassifierMixin, BaseEstimator):
    """The orthotune autopilot behind scikit-learn's classifier interface.

    Parameters
    ----------
    budget : int or str, default=4
        Models the autopilot may train (an int ≥ 1; the first is the data shape's baseline),
        or a wall-clock duration such as ``"30s"``. A count makes a seeded fit reproducible.
        The default 4 is the baseline and up to three variants of the first knob it turns: a
        small, reproducible fit, not a figure tuned on data (raise it for better models).
    human_error, bayes_error : float or str, default=None
        Human-level and Bayes error (``0.05`` or ``"5%"``), for the bias / variance diagnosis.
    tolerance : float or str, default="1%"
        A gap above this (and outside the noise) is high.
    executor : {"population", "sequential"}, default="population"
    device : {"auto", "cpu", "cuda"}, default="auto"
    out : str or path, default=None
        Keep each fit's run folder in this folder: ``out/fit-1``, ``out/fit-2``, … (the next
        free one), so that a second fit, a clone or ``cross_val_score``'s folds never meet a
        run already there; ``summary_.run_dir`` names it. None: a temporary one, removed.
    random_state : int, RandomState or None, default=None
        Seed of the split, initialization and batches (``np.random`` when None).

    Attributes
    ----------
    classes_ : ndarray of the labels, sorted
    n_features_in_ : int
    model_ : orthotune's ``Model`` (the chosen network and its manifest)
    summary_ : the autopilot's ``TuneSummary`` (errors, diagnosis, decisions)
    """

    def __init__(
        self,
        budget: int | str = 4,
        *,
        human_error: float | str | None = None,
        bayes_error: float | str | None = None,
        tolerance: float | str = "1%",
        executor: str = "population",
        device: str = "auto",
        out: str | Path | None = None,
        random_state: Any = None,
    ) -> None:
        self.budget = budget
        self.human_error = human_error
        self.bayes_error = bayes_error
        self.tolerance = tolerance
        self.executor = executor
        self.device = device
        self.out = out
        self.random_state = random_state

    def _budget(self) -> dict[str, Any]:
        """``budget`` as ``tune``'s ``trials`` (a count) or ``budget`` (a duration)."""
        b = self.budget
        if isinstance(b, int | np.integer) and not isinstance(b, bool) and b >= 1:
            return {"trials": int(b)}
        if isinstance(b, str):
            return {"budget": b}
        raise InvalidInputError(
            f"OrthoClassifier budget={b!r} is not accepted: give a count of models (an int "
            "≥ 1, e.g. 4) or a duration string such as '30s'"
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # filled, as --impute auto fills a gap
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> OrthoClassifier:
        """Run the autopilot on (X, y) and keep the chosen model. ``sample_weight`` (≥ 0, some
        positive) weighs each example's loss, as ``tune --weight COL`` does."""
        from sklearn.utils.validation import _check_sample_weight

        from orthotune.data import dataset_from_arrays
        from orthotune.search import MEMORY_STORAGE

        budget = self._budget()
        table = _table(X)
        if table is not None:  # the DataFrame itself is the data; its columns are checked
            _, y = validate_data(
                self, _checked_as_objects(X), y, dtype=None, ensure_all_finite=False
            )
        else:
            X, y = validate_data(self, X, y, allow_nd=True, ensure_all_finite="allow-nan")
        gaps = [i for i, v in enumerate(y) if v is None or (isinstance(v, float) and v != v)]
        if gaps:  # scikit-learn's own check cannot even sort them among text labels
            raise ValueError(
                f"y holds {len(gaps)} missing label(s), the first at row {gaps[0]}: give every "
                "example its class (or leave those rows out)"
            )
        check_classification_targets(y)
        if sample_weight is not None:  # its length, finite, ≥ 0, not all 0: scikit-learn's own
            # check and words (private, what its estimators call; this signature since 1.6)
            sample_weight = _check_sample_weight(
                sample_weight, np.empty((len(y), 0)), dtype=np.float64, ensure_non_negative=True
            )
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InvalidInputError(
                f"OrthoClassifier needs at least 2 classes in y, got 1 class "
                f"({self.classes_[0].item()!r}): give examples of every class"
            )
        rs = self.random_state
        seed = (
            int(rs)
            if isinstance(rs, int | np.integer)
            else int(check_random_state(rs).randint(np.iinfo(np.int32).max))
        )
        labels = _inner_labels(self.classes_, y_index)
        weight = None
        if table is not None:  # the labels (and weights) as columns the table does not have
            target = free_column(table)
            data = table.assign(**{target: labels})
            if sample_weight is not None:
                weight = free_column(data)
                data[weight] = sample_weight
        else:
            target = None
            data = dataset_from_arrays(
                X,
                labels,
                weights=sample_weight,
                name="OrthoClassifier.fit(X, y)",
                impute="auto",
            )
        with tempfile.TemporaryDirectory(prefix="orthotune-fit-") as tmp:
            summary = tune(
                data,
                out=Path(tmp) / "run" if self.out is None else _next_fit_folder(self.out),
                seed=seed,
                human_error=self.human_error,
                bayes_error=self.bayes_error,
                tolerance=self.tolerance,
                executor=self.executor,
                device=self.device,
                write_report=self.out is not None,
                storage=None if self.out is not None else MEMORY_STORAGE,  # no study.db to make
                target=target,
                weight=weight,
                **budget,
            )
            self.model_ = Model.load(summary.chosen_model_dir)  # read before tmp goes
        self.summary_ = summary
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities [n, classes] in ``classes_`` order (temperature-calibrated)."""
        check_is_fitted(self, "model_")
        if (self.model_.manifest.encoding or {}).get("kind") == "table":  # columns by name
            validate_data(
                self, _checked_as_objects(X), reset=False, dtype=None, ensure_all_finite=False
            )
        else:
            X = validate_data(self, X, reset=False, allow_nd=True, ensure_all_finite="allow-nan")
        return self.model_.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each row of X."""
        proba = self.predict_proba(X)  # first: an unfitted classifier has no classes_
        return self.classes_[proba.argmax(axis=1)]
