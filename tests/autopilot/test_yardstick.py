"""The gradient-boosting yardstick: the same figure scikit-learn gives on the same split."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from orthotune.autopilot._yardstick import yardstick
from orthotune.data import load_dataset, make_split, prepare


def _data(spec):
    ds = load_dataset(spec)
    return prepare(ds, make_split(ds, seed=0))


def test_hold_out_yardstick_is_hgb_early_stopped_on_dev():
    data = _data("builtin:synthetic?n=800&classes=3&features=5&seed=3")
    got = yardstick(data, folds=None, seed=0)
    ref = HistGradientBoostingClassifier(early_stopping=True, random_state=0)
    ref.fit(
        data.train.x.numpy(),
        data.train.y.numpy(),
        X_val=data.dev.x.numpy(),
        y_val=data.dev.y.numpy(),
    )
    expected = float(np.mean(ref.predict(data.dev.x.numpy()) != data.dev.y.numpy()))
    assert got is not None and got.dev_error == expected
    assert got.how == "early stopping on the dev set"


def test_k_fold_yardstick_is_out_of_fold_and_signals_get_none():
    data = _data("builtin:synthetic?n=300&classes=2&features=4&seed=5")
    got = yardstick(data, folds=3, seed=1)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    x, y = data.train.x.numpy(), data.train.y.numpy()
    pred = cross_val_predict(HistGradientBoostingClassifier(random_state=1), x, y, cv=cv)
    assert got is not None and got.dev_error == float(np.mean(pred != y))
    assert yardstick(_data("builtin:digits"), folds=None, seed=0) is None


def test_the_floor_is_the_most_frequent_training_class_on_dev_or_on_the_pool():
    from sklearn.dummy import DummyClassifier

    from orthotune.autopilot._yardstick import floor

    data = _data("builtin:breast-cancer")  # 2 classes, 63 % benign
    got = floor(data, folds=None)
    x, y = data.train.x.numpy(), data.train.y.numpy()
    ref = DummyClassifier(strategy="most_frequent").fit(x, y)
    expected = float(np.mean(ref.predict(data.dev.x.numpy()) != data.dev.y.numpy()))
    assert got.dev_error == expected and 0.3 < got.dev_error < 0.45  # the minority's share
    assert got.label == data.dataset.class_names[int(ref.predict(x[:1])[0])]
    pooled = floor(data, folds=5)  # under k-fold the pool is the train part
    assert pooled.dev_error == float(np.mean(ref.predict(x) != y))
    assert floor(_data("builtin:digits"), folds=None).dev_error > 0.85  # images too
