"""Two references for the network's dev error, measured the way the autopilot measures its
networks, in the first seconds: a floor for any data, and a yardstick for vector data.

The **floor** (``floor``) always predicts the most frequent training class (as scikit-learn's
``DummyClassifier(strategy="most_frequent")`` does): a model whose dev error is not below it has
learned nothing the label counts alone do not give. On hepatic_injury_qsar (281 rows, 376
features, 3 classes; a table outside the benchmark that a new-user sweep ran for 30 s) the chosen
network's out-of-fold error was 56.0 % against the floor's 48.4 %, and nothing said so.

The **yardstick** is scikit-learn's ``HistGradientBoostingClassifier`` with its defaults, on
the table as that model takes it (``_native``): a categorical column is one column of category
codes (its native categorical support, up to 255 categories; codes as numbers above), numbers
as the networks see them (filled, beside their "was missing" columns) — not the network's
one-hot inputs. On those (up to 1,525 columns) it
was given up on 7 of 13 real tables of 3,000-52,000 rows at a 90-s budget in a new-user sweep
(its 10-tree probe took 1.8-11.3 s), where scikit-learn fitted the same tables in 0.1-1.2 s; it
is also what the benchmark suite's HGB peer is given.

On a hold-out split it learns from the training part, the dev part serving as its early
stopping set (``fit(X_val=…, y_val=…)``, so its dev error is slightly flattered: dev chose its
number of trees); under k-fold it is cross-validated on the networks' own folds (``fit.fold_rows``
with the run's seed; out-of-fold error) — scikit-learn's ``StratifiedKFold`` refused a table
whose classes had fewer examples than folds (100 classes of 4), which the networks' folds deal
round-robin. It is a reference the network should beat, shown beside the
network's dev error in the log, the terminal and the report — never a model orthotune returns.
Images and signals get none (a tree ensemble on raw pixels is no fair reference).

Under a time budget it gets at most ``SHARE`` of it: the budget is the user's, for networks, and
what the yardstick takes is not spent training them. Its first ``PROBE`` trees are timed, and the
rest grow (scikit-learn's ``warm_start``: the same trees as one fit) only when that pace says
they fit in its share; otherwise the run goes on without a yardstick and says so — a model cut
short would be a weaker reference than the one named. A table of many rows or classes is
piloted first (``_probe_floor_s``: one round of trees on a sample of its rows), and the probe
is not started when even that round, scaled to the table, would end past the share: the
probe itself has no deadline.
The pace counts every tree, so one that early stopping would have ended sooner may be given up
(the cautious side). A 100-class table
of 3,000 rows (cross-validated: 5 folds × 100 trees × 100 classes) took 50 s of a 40-s budget
before this cap, and no network beyond step 0 trained. On the development sets the cap binds
at the default 5 minutes only where the probe's pace overstates the rest (once in the runs
``SHARE`` cites). Two ``fit`` calls, not one per few trees: each
call bins the data and scores the trees so far again, and growing them 10 at a time took about
twice the time of one fit on synthetic_large's 40,000 training rows.
"""

from __future__ import annotations

import logging
import time
import warnings

import numpy as np
from pydantic import BaseModel, ConfigDict

from orthotune.data import PreparedData, TableEncoding
from orthotune.fit import fold_rows

__all__ = ["Floor", "Yardstick", "floor", "yardstick"]

logger = logging.getLogger(__name__)

NAME = "HistGradientBoostingClassifier()"
# of a time budget, at most (module docstring). On the development group's vector sets (3 seeds
# each) the yardstick took at most 4.2 s, 1.4 % of the default 300 s (synthetic_large; every other
# set 1.6 s or less): ``python bench/yardstick_time.py --seeds 3`` (AVX-512 EPYC, 1 thread); on
# the two wide sets added later (300 and 500 columns) 7.5 and 5.9 s alone, 5.4-9.7 s in the
# autopilot's runs — and given up once (synthetic_wide_large, seed 0: its 10-tree probe took
# 1.73 s, and the pace counts the data's binning as if every tree paid it, ×10 > 15 s). With a
# table's categories as codes (``_native``), on the 15 development sets (seed 0) at most 4.45 s,
# 1.5 % (synthetic_wide_large; ames 3.65 s, 13.57 s before): ``--seeds 1``, 2026-12-06
SHARE = 0.05
# THREADS: its trees grow on one OpenMP thread. With scikit-learn's one per core they wait for
# each other at every tree, and one of them is off the CPU when another process runs:
# ``python bench/threads.py`` (2-core AMD EPYC, AVX2; a fit on 1,500 rows × 20, medians of 3):
# quiet 0.39 s with two threads, 0.33 s with one; beside a busy torch process 21.62 s (66.66 s
# once) with two, 0.66 s with one — a sweep's yardstick was given up after 77 s of its 15-s
# share. ``SHARE``'s figures were measured on one thread.
PROBE = 10  # trees timed before the rest are grown (scikit-learn's default is 100 in all)
# a table above these is piloted before the probe (``_probe_floor_s``)
PILOT_ROWS = 5_000
PILOT_CLASSES = 50
PILOT_MIN_ROWS = 1_000


class _OutOfTime(Exception):
    pass


def _stops(model) -> bool:
    """Whether early stopping ends ``model`` at its last tree: a probe that ended where one fit
    would have stopped must not grow one more (scikit-learn's rule, from its public scores)."""
    scores = getattr(model, "validation_score_", ())  # empty without early stopping
    k = model.n_iter_no_change + 1
    return len(scores) >= k and not any(s > scores[-k] + model.tol for s in scores[-k + 1 :])


def _grown(x, y, seed: int, deadline: float | None, categorical, val=None):
    """``HistGradientBoostingClassifier()`` fitted on (x, y) — ``categorical``: its
    ``categorical_features``; ``val``: (X_val, y_val) for its early stopping; under a
    ``deadline``, ``PROBE`` trees first, and ``_OutOfTime`` when their pace says the rest
    would end past it."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    options = {} if val is None else {"early_stopping": True}
    kwargs = {} if val is None else {"X_val": val[0], "y_val": val[1]}
    model = HistGradientBoostingClassifier(
        random_state=seed, categorical_features=categorical, **options
    )
    if deadline is None:
        return model.fit(x, y, **kwargs)
    last = model.max_iter
    pilot = _probe_floor_s(x, y, seed, categorical)
    if time.perf_counter() + pilot > deadline:  # even the probe would end past it: not started
        raise _OutOfTime(
            f"its first {PROBE} trees alone would end past it (a round of trees on a sample of "
            "its rows, scaled to the table)"
            if pilot
            else "no time was left for its first trees"
        )
    model.set_params(warm_start=True, max_iter=min(PROBE, last))
    t0 = time.perf_counter()
    model.fit(x, y, **kwargs)
    if model.n_iter_ < model.max_iter or model.max_iter >= last or _stops(model):
        return model  # stopped early, or done
    now = time.perf_counter()
    if now + (now - t0) * (last - model.max_iter) / model.max_iter > deadline:
        sooner = " (early stopping may have ended them sooner)" if val is not None else ""
        raise _OutOfTime(
            f"its first {model.max_iter} trees took {now - t0:.1f} s, a pace at which its "
            f"{last} would end past it{sooner}"
        )
    return model.set_params(max_iter=last).fit(x, y, **kwargs)


def _probe_floor_s(x, y, seed: int, categorical) -> float:
    """Seconds the probe will take at least on (x, y): one round of trees (one per class, and
    the binning of every row) fitted on ``PILOT_ROWS`` of its rows, scaled to all its rows and
    classes — the probe bins them all and grows ``PROBE`` rounds. 0 for a table too small to
    need a pilot (the probe is cheap there). A 1,000-class table of 100,000 rows took 65 s of a
    60-s budget in its probe, and one of 1,000,000 rows 20 s where its share was 3 s, before
    this was asked first."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    classes = len(np.unique(y))
    if len(y) <= PILOT_ROWS and classes <= PILOT_CLASSES:
        return 0.0
    # fewer rows for many classes: a round is one tree per class
    rows = min(len(y), max(PILOT_MIN_ROWS, PILOT_ROWS * PILOT_CLASSES // classes))
    pick = np.random.default_rng(seed).permutation(len(y))[:rows]
    model = HistGradientBoostingClassifier(
        max_iter=1, early_stopping=False, random_state=seed, categorical_features=categorical
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # a sample of many classes has few rows of each
        warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
        model.fit(x[pick], y[pick])
    seconds = time.perf_counter() - t0
    return seconds * (len(y) / rows) * (classes / max(len(np.unique(y[pick])), 1))


def _native(data: PreparedData) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | str]:
    """The yardstick's training and dev inputs, and which columns are categorical (the
    ``categorical_features`` argument): a table's features with each one-hot block folded back
    into one column of category codes, other vectors as the networks see them. The features
    are the normalized ones (a tree does not see an increasing map of a column): in a one-hot
    block the set category is the one positive value, as 0 maps to zero or below and 1 above
    it; a row with none set (or only a category every training row has) gets NaN."""
    train = data.train.x.numpy()
    dev = None if data.dev is None else data.dev.x.numpy()
    encoding = data.dataset.encoding
    columns = getattr(encoding, "columns", ())
    if (
        not isinstance(encoding, TableEncoding)
        or sum(len(c.feature_names()) for c in columns) != train.shape[1]
    ):
        return train, dev, "from_dtype"

    def fold(x: np.ndarray) -> np.ndarray:
        out, at = [], 0
        for column in columns:
            block = x[:, at : at + len(column.feature_names())]
            at += block.shape[1]
            if column.kind != "categorical":
                out.extend(block.T)
                continue
            codes = block.argmax(axis=1).astype(np.float32)
            codes[block.max(axis=1) <= 0] = np.nan
            out.append(codes)
        return np.stack(out, axis=1)

    categorical = np.array(
        [
            flag
            for c in columns
            for flag in (
                [len(c.categories) <= 255]  # scikit-learn's limit (max_bins)
                if c.kind == "categorical"
                else [False] * len(c.feature_names())
            )
        ]
    )
    return fold(train), None if dev is None else fold(dev), categorical


class Yardstick(BaseModel):
    """The reference model's dev error (out of fold under k-fold) and what it cost; or, when
    it was not measured, why (``skipped``: the log, the terminal and the report say so)."""

    model_config = ConfigDict(frozen=True)

    model: str = NAME
    dev_error: float | None  # None: not measured (``skipped``)
    seconds: float
    how: str  # "early stopping on the dev set" or "k-fold, out of fold"
    skipped: str | None = None


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


def yardstick(
    data: PreparedData, *, folds: int | None, seed: int, seconds: float | None = None
) -> Yardstick | None:
    """The yardstick of the module docstring; None for non-vector inputs. When it fails (it
    is a reference: its failure never stops the run) or does not finish within ``seconds``
    (None: no limit), a warning, and a record without a dev error that says why."""
    if len(data.dataset.input_shape) != 1:
        return None
    # loaded before its clock starts: the import took 1.0 s, all of a 25-s budget's 1.2-s
    # share, and the line read "its first 10 trees took 0.0 s, a pace at which its 100 would
    # end past it" (a sweep); it is the run's cost, once, not the yardstick's fit
    import sklearn.ensemble  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # THREADS
        return _measured(data, folds=folds, seed=seed, seconds=seconds)


def _measured(data: PreparedData, *, folds: int | None, seed: int, seconds: float | None):
    t0 = time.perf_counter()
    deadline = None if seconds is None else t0 + seconds
    x, dev_x, categorical = _native(data)
    y = data.train.y.numpy()
    how = "early stopping on the dev set" if folds is None else f"{folds}-fold, out of fold"
    try:
        if folds is None:
            dev_y = data.dev.y.numpy()
            # a class no training example has stays out of early stopping (scikit-learn refused
            # it: "y contains previously unseen labels"); its dev examples count as errors, as
            # they do for the networks
            seen = np.isin(dev_y, y)
            model = _grown(x, y, seed, deadline, categorical, val=(dev_x[seen], dev_y[seen]))
            wrong = model.predict(dev_x) != dev_y
        else:
            pred = np.empty_like(y)
            with warnings.catch_warnings():  # many classes of few examples are expected here
                warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
                for i, (fit_rows, out_rows) in enumerate(fold_rows(y, folds=folds, seed=seed)[1]):
                    try:
                        model = _grown(x[fit_rows], y[fit_rows], seed, deadline, categorical)
                    except _OutOfTime as err:
                        if not i:
                            raise
                        # the folds before took the share: said ("its first 10 trees took
                        # 0.0 s, a pace at which its 100 would end past it" read as a
                        # contradiction on a 25-s budget's 1.2 s)
                        raise _OutOfTime(
                            f"fold {i + 1} of {folds}, after {time.perf_counter() - t0:.1f} s on "
                            f"the folds before: {err}"
                        ) from None
                    pred[out_rows] = model.predict(x[out_rows])
            wrong = pred != y
    except ValueError as err:  # e.g. a class with fewer examples than folds
        why = f"it failed: {err}"
    except _OutOfTime as err:
        why = (
            f"given up after {time.perf_counter() - t0:.1f} s of its {seconds:.1f} s "
            f"({100 * SHARE:.0f} % of the budget): {err}; the networks get the time"
        )
    else:
        return Yardstick(dev_error=float(np.mean(wrong)), seconds=time.perf_counter() - t0, how=how)
    logger.warning("no gradient-boosting yardstick: %s", why)
    return Yardstick(dev_error=None, seconds=time.perf_counter() - t0, how=how, skipped=why)
