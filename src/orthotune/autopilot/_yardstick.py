"""Two references for the network's dev error, measured the way the autopilot measures its
networks, in the first seconds: a floor for any data, and a yardstick for vector data.

The **floor** (``floor``) always predicts the most frequent training class (as scikit-learn's
``DummyClassifier(strategy="most_frequent")`` does): a model whose dev error is not below it has
learned nothing the label counts alone do not give. On hepatic_injury_qsar (281 rows, 376
features, 3 classes; a table outside the benchmark that a new-user sweep ran for 30 s) the chosen
network's out-of-fold error was 56.0 % against the floor's 48.4 %, and nothing said so.

The **yardstick** is scikit-learn's ``HistGradientBoostingClassifier`` with its defaults.

On a hold-out split it learns from the training part, the dev part serving as its early
stopping set (``fit(X_val=…, y_val=…)``, so its dev error is slightly flattered: dev chose its
number of trees); under k-fold it is cross-validated on the same pool (stratified folds of the
same count; out-of-fold error). It is a reference the network should beat, shown beside the
network's dev error in the log, the terminal and the report — never a model orthotune returns.
Images and signals get none (a tree ensemble on raw pixels is no fair reference).
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
from pydantic import BaseModel, ConfigDict

from orthotune.data import PreparedData

__all__ = ["Floor", "Yardstick", "floor", "yardstick"]

logger = logging.getLogger(__name__)

NAME = "HistGradientBoostingClassifier()"


class Yardstick(BaseModel):
    """The reference model's dev error (out of fold under k-fold) and what it cost."""

    model_config = ConfigDict(frozen=True)

    model: str = NAME
    dev_error: float
    seconds: float
    how: str  # "early stopping on the dev set" or "k-fold, out of fold"


class Floor(BaseModel):
    """The dev error of always predicting the most frequent training class, and that class."""

    model_config = ConfigDict(frozen=True)

    label: str
    dev_error: float


def floor(data: PreparedData, *, folds: int | None) -> Floor:
    """The floor of the module docstring, on the examples the networks' dev error counts: the
    dev part, or under k-fold all pooled examples (with the pooled examples' most frequent
    class: no fold can fail, as a class rarer than the folds makes stratified folds fail)."""
    y = data.train.y.numpy()
    top = int(np.bincount(y).argmax())
    truth = y if folds is not None else data.dev.y.numpy()
    label = data.dataset.class_names[top]
    return Floor(label=str(label), dev_error=float(np.mean(truth != top)))


def yardstick(data: PreparedData, *, folds: int | None, seed: int) -> Yardstick | None:
    """The yardstick of the module docstring; None for non-vector inputs or when it fails
    (it is a reference: its failure never stops the run)."""
    if len(data.dataset.input_shape) != 1:
        return None
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    t0 = time.perf_counter()
    x, y = data.train.x.numpy(), data.train.y.numpy()
    try:
        if folds is None:
            model = HistGradientBoostingClassifier(early_stopping=True, random_state=seed)
            model.fit(x, y, X_val=data.dev.x.numpy(), y_val=data.dev.y.numpy())
            wrong = model.predict(data.dev.x.numpy()) != data.dev.y.numpy()
            how = "early stopping on the dev set"
        else:
            cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
            with warnings.catch_warnings():  # a class rarer than the folds is expected here
                warnings.filterwarnings("ignore", "The least populated class", UserWarning)
                model = HistGradientBoostingClassifier(random_state=seed)
                pred = cross_val_predict(model, x, y, cv=cv)
            wrong = pred != y
            how = f"{folds}-fold, out of fold"
    except ValueError as err:  # e.g. a class with fewer examples than folds
        logger.warning("no gradient-boosting yardstick: %s", err)
        return None
    return Yardstick(dev_error=float(np.mean(wrong)), seconds=time.perf_counter() - t0, how=how)
