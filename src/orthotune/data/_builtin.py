"""Built-in data sets, all offline: ``builtin:mnist1d``, ``digits``, ``breast-cancer`` and
``synthetic``. Each carries its reference levels (``ReferenceLevels``), used when the user
gives none.

- ``mnist1d``: the ``mnist1d`` package's ``make_dataset()`` with its default arguments — 5000
  signals of length 40 as ``[n, 1, 40]``, 10 classes; the canonical last 1000 are the test set
  (``preset_split = "test"``), dev comes out of the first 4000. Human expert accuracy 95.8 %
  (human-level error 4.2 %). Generated once and cached as ``.npz`` under the user cache dir
  (``ORTHOTUNE_CACHE_DIR`` overrides it).
- ``digits``: scikit-learn's bundled 8×8 digits as images ``[n, 1, 8, 8]`` (values 0–16).
- ``breast-cancer``: scikit-learn's bundled Wisconsin diagnostic data, 30 features, 2 classes.
- ``synthetic``: see ``make_synthetic``; options as a query string,
  ``builtin:synthetic?n=2000&classes=3&features=20&noise=0.1&shift=0.5&seed=0``.
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from urllib.parse import parse_qsl

import numpy as np
import torch

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate
from orthotune.data._dataset import Dataset, ReferenceLevels

log = logging.getLogger(__name__)

BUILTINS: tuple[str, ...] = ("mnist1d", "digits", "breast-cancer", "synthetic")
MNIST1D_HUMAN_ERROR = 0.042

SYNTHETIC_DEFAULTS: dict[str, float | int] = {
    "n": 2000,
    "classes": 3,
    "features": 20,
    "informative": 0,
    "hidden": 32,
    "noise": 0.1,
    "shift": 0.0,
    "shifted": 0.25,
    "seed": 0,
}
_INT_OPTIONS = ("n", "classes", "features", "informative", "hidden", "seed")


def cache_dir() -> Path:
    """Where generated built-ins are cached: ``$ORTHOTUNE_CACHE_DIR`` or the user cache dir."""
    override = os.environ.get("ORTHOTUNE_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("orthotune"))


def _ids(n: int) -> np.ndarray:
    return np.array([str(i) for i in range(n)], dtype=object)


def _digit_names() -> tuple[str, ...]:
    return tuple(str(d) for d in range(10))


# --- mnist1d -----------------------------------------------------------------------------------


def _generate_mnist1d() -> dict[str, np.ndarray]:
    """Run ``mnist1d.data.make_dataset()`` with its default arguments, leaving the global
    random state (which it reseeds) as it found it."""
    from mnist1d.data import make_dataset

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset()
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {
        "x": np.asarray(data["x"], dtype=np.float32),
        "y": np.asarray(data["y"], dtype=np.int64),
        "x_test": np.asarray(data["x_test"], dtype=np.float32),
        "y_test": np.asarray(data["y_test"], dtype=np.int64),
    }


def _valid_mnist1d(arrays: dict[str, np.ndarray]) -> bool:
    return (
        arrays.get("x") is not None
        and arrays["x"].shape == (4000, 40)
        and arrays["y"].shape == (4000,)
        and arrays["x_test"].shape == (1000, 40)
        and arrays["y_test"].shape == (1000,)
    )


def mnist1d_arrays() -> dict[str, np.ndarray]:
    """The MNIST-1D arrays (x, y, x_test, y_test), from the cache or generated and cached."""
    version = metadata.version("mnist1d")
    path = cache_dir() / f"mnist1d-{version}-default.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in ("x", "y", "x_test", "y_test")}
            if _valid_mnist1d(arrays):
                return arrays
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            pass
        log.warning("cached MNIST-1D at %s is unreadable; generating it again", path)
    arrays = _generate_mnist1d()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".mnist1d-", suffix=".npz")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except OSError as err:  # a read-only home still gets the data, just not cached
        log.warning("could not cache MNIST-1D at %s: %s", path, err)
    return arrays


def load_mnist1d() -> Dataset:
    a = mnist1d_arrays()
    x = np.concatenate([a["x"], a["x_test"]])[:, None, :]  # [5000, 1, 40]
    y = np.concatenate([a["y"], a["y_test"]])
    n_train = len(a["y"])
    preset = np.array([""] * n_train + ["test"] * len(a["y_test"]), dtype=object)
    return Dataset(
        x=torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        y=torch.from_numpy(y.astype(np.int64)),
        class_names=_digit_names(),
        ids=_ids(len(y)),
        preset_split=preset,
        name="builtin:mnist1d",
        reference=ReferenceLevels(
            human_error=MNIST1D_HUMAN_ERROR,
            note="MNIST-1D paper: human expert test accuracy 95.8 %",
        ),
    )


# --- scikit-learn's bundled sets ---------------------------------------------------------------


def load_digits() -> Dataset:
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    x = np.asarray(bunch.images, dtype=np.float32)[:, None, :, :]  # [1797, 1, 8, 8]
    y = np.asarray(bunch.target, dtype=np.int64)
    return Dataset(
        x=torch.from_numpy(np.ascontiguousarray(x)),
        y=torch.from_numpy(y),
        class_names=_digit_names(),
        ids=_ids(len(y)),
        name="builtin:digits",
        reference=ReferenceLevels(note="scikit-learn's 8×8 digits; no published human level"),
    )


def load_breast_cancer() -> Dataset:
    from sklearn.datasets import load_breast_cancer as sk_breast_cancer

    bunch = sk_breast_cancer()
    x = np.asarray(bunch.data, dtype=np.float32)  # [569, 30]
    y = np.asarray(bunch.target, dtype=np.int64)
    return Dataset(
        x=torch.from_numpy(np.ascontiguousarray(x)),
        y=torch.from_numpy(y),
        class_names=tuple(str(c) for c in bunch.target_names),
        ids=_ids(len(y)),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        name="builtin:breast-cancer",
        reference=ReferenceLevels(note="Wisconsin diagnostic breast cancer; no human level"),
    )


# --- synthetic ---------------------------------------------------------------------------------


class _Teacher:
    """A fixed random 2-layer tanh MLP; its argmax is the clean label.

    The output biases are tuned on a reference sample so that the classes are roughly balanced.
    """

    def __init__(self, rng: np.random.Generator, *, features: int, hidden: int, classes: int):
        self.w1 = rng.normal(0.0, 1.0 / np.sqrt(features), size=(features, hidden))
        self.b1 = rng.normal(0.0, 0.5, size=hidden)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(hidden), size=(hidden, classes))
        self.b2 = np.zeros(classes)
        self.direction = rng.normal(size=features)
        self.direction /= np.linalg.norm(self.direction)
        reference = rng.normal(size=(8192, features))
        logits = self.logits(reference)
        step = logits.std()
        for _ in range(300):  # nudge each class's bias towards a 1/K share
            freq = np.bincount((logits + self.b2).argmax(1), minlength=classes) / len(reference)
            if np.abs(freq - 1.0 / classes).max() < 0.01:
                break
            self.b2 += 0.5 * step * (1.0 / classes - freq)

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x @ self.w1 + self.b1) @ self.w2

    def label(self, x: np.ndarray) -> np.ndarray:
        return (self.logits(x) + self.b2).argmax(1)


def _synthetic_options(query: str) -> dict[str, float | int]:
    options = dict(SYNTHETIC_DEFAULTS)
    accepted = ", ".join(SYNTHETIC_DEFAULTS)
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise InvalidInputError(
            f"builtin:synthetic?{query}: cannot read the options; write them as "
            "builtin:synthetic?n=2000&classes=3&noise=0.1"
        ) from None
    for key, raw in pairs:
        if key not in SYNTHETIC_DEFAULTS:
            raise InvalidInputError(
                f"builtin:synthetic option {key!r} is unknown; accepted: {accepted}"
            )
        try:
            if key == "noise":
                options[key] = parse_rate(raw, name="builtin:synthetic noise")
            elif key in _INT_OPTIONS:
                options[key] = int(raw)
            else:
                options[key] = float(raw)
        except ValueError as err:
            if isinstance(err, InvalidInputError):
                raise
            kind = "an integer" if key in _INT_OPTIONS else "a number"
            raise InvalidInputError(
                f"builtin:synthetic option {key}={raw!r} is not {kind}: give e.g. "
                f"{key}={SYNTHETIC_DEFAULTS[key]}"
            ) from None
    return options


def make_synthetic(
    *,
    n: int = 2000,
    classes: int = 3,
    features: int = 20,
    informative: int = 0,
    hidden: int = 32,
    noise: float = 0.1,
    shift: float = 0.0,
    shifted: float = 0.25,
    seed: int = 0,
) -> Dataset:
    """Data whose Bayes error is known exactly.

    Inputs x ~ N(0, I) in ``features`` dimensions; the clean label is the argmax of a fixed random
    teacher (a 2-layer tanh MLP drawn from ``seed``); with probability r = ``noise`` the label is
    replaced by one of the other ``classes − 1`` classes, uniformly. The Bayes error is then
    exactly r — because the clean labelling is a deterministic function of x (ties have
    probability 0), P(y = teacher(x) | x) = 1 − r for every x, and 1 − r ≥ r/(K − 1) whenever
    r ≤ (K − 1)/K, so predicting teacher(x) is Bayes-optimal and errs with probability r. (A
    finite sample's observed flip rate scatters binomially around r.)

    ``shift > 0`` makes a fraction ``shifted`` of the examples a second source ``"shifted"``:
    the same kind of scenes, labelled by the same teacher, but *observed* moved by ``shift``
    along a fixed unit vector (a sensor offset — the lecture's "car noise" on the dev
    distribution). A model trained on the base source misreads shifted inputs: a real data
    mismatch, which training on dev-like data (or synthesizing it) removes. Within each source
    the label is still a deterministic function of the observed input flipped at rate r, so the
    Bayes error stays r; the rest are source ``"base"``.

    ``informative = k`` (0 < k < ``features``): the teacher reads the first k features only; the
    others are noise the label does not depend on (a wide table of few useful columns). 0: all.
    """
    where = "builtin:synthetic"
    if n < 10:
        raise InvalidInputError(f"{where} n={n} is too small: give n ≥ 10")
    if classes < 2:
        raise InvalidInputError(f"{where} classes={classes}: give classes ≥ 2")
    if features < 1 or hidden < 1:
        raise InvalidInputError(f"{where} features and hidden must be ≥ 1")
    if not 0 <= informative <= features:
        raise InvalidInputError(
            f"{where} informative={informative} must be in [0, features={features}] (0: every "
            "feature): give fewer informative features or more features"
        )
    read = informative or features
    limit = (classes - 1) / classes
    if not 0.0 <= noise < limit:
        raise InvalidInputError(
            f"{where} noise={noise} must be in [0, {limit:.3g}) for {classes} classes (above it "
            "the teacher's label is no longer the most likely one): give a smaller noise"
        )
    if shift < 0 or not np.isfinite(shift):
        raise InvalidInputError(f"{where} shift={shift} must be a finite number ≥ 0")
    if shift > 0 and not 0.0 < shifted < 1.0:
        raise InvalidInputError(f"{where} shifted={shifted} must be a fraction in (0, 1)")
    teacher = _Teacher(
        np.random.default_rng([seed, 1]), features=read, hidden=hidden, classes=classes
    )
    rng = np.random.default_rng([seed, 2])
    x = rng.normal(size=(n, features))
    y = teacher.label(x[:, :read])  # labels of the scene itself …
    source = None
    if shift > 0:  # … observed through a shifted sensor in the second source
        n_shifted = max(1, round(shifted * n))
        x[n - n_shifted :, :read] += shift * teacher.direction
        source = np.array(["base"] * (n - n_shifted) + ["shifted"] * n_shifted, dtype=object)
    flip = rng.random(n) < noise
    y[flip] = (y[flip] + rng.integers(1, classes, size=int(flip.sum()))) % classes
    spec = f"builtin:synthetic?n={n}&classes={classes}&features={features}&noise={noise:g}"
    if read < features:
        spec += f"&informative={read}"
    if shift > 0:
        spec += f"&shift={shift:g}&shifted={shifted:g}"
    spec += f"&seed={seed}"
    return Dataset(
        x=torch.from_numpy(x.astype(np.float32)),
        y=torch.from_numpy(y.astype(np.int64)),
        class_names=tuple(str(c) for c in range(classes)),
        ids=_ids(n),
        feature_names=tuple(f"x{j}" for j in range(features)),
        source=source,
        name=spec,
        reference=ReferenceLevels(
            bayes_error=float(noise),
            note=f"labels of a fixed random teacher flipped at rate {noise:g}: Bayes error exact",
        ),
    )


def load_builtin(name: str) -> Dataset:
    """``name`` is what follows ``builtin:`` (``mnist1d``, ``synthetic?n=500`` …)."""
    base, _, query = name.partition("?")
    if base not in BUILTINS:
        raise InvalidInputError(
            f"builtin:{base} is not a built-in data set; accepted: "
            f"{', '.join('builtin:' + b for b in BUILTINS)}"
        )
    if base == "synthetic":
        return make_synthetic(**_synthetic_options(query))
    if query:
        raise InvalidInputError(
            f"builtin:{base} takes no options (got ?{query}); only builtin:synthetic does"
        )
    return {"mnist1d": load_mnist1d, "digits": load_digits, "breast-cancer": load_breast_cancer}[
        base
    ]()
