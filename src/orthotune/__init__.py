"""orthotune — measure a classifier's error against human-level error and turn one orthogonal
knob at a time (the lecture "Performance of DNN", made into a tool).

The Python API (the CLI is a thin layer over it; ``orthotune._api`` documents each call)::

    import orthotune
    result = orthotune.tune("builtin:digits", trials=4, seed=0)   # TuneSummary; .to_json()
    model = orthotune.load(result.run_dir)                        # predict / predict_proba
    orthotune.train(DATA, out=RUN_DIR, model={"hidden": [64]}, training={"epochs": 20})
    orthotune.evaluate("predictions.csv", human_error="4.2%")
    orthotune.diagnose(human_error="0.7%", train_error="3.5%", dev_error="7.8%")
    orthotune.compare("classifiers.csv", constraints=["latency_ms<100"])
    orthotune.errors(RUN_DIR)                    # ErrorReport: which classes, confusions, tags
    orthotune.clean(DATA, out=DIR)               # CleaningOutcome: suspect labels, audit log
    orthotune.learning_curve(DATA)               # LearningCurve: would more data help?

and ``orthotune.sklearn.OrthoClassifier``, a scikit-learn estimator.

Importing the package is cheap: heavy dependencies (torch, optuna, matplotlib) are imported by
the subpackages that need them, when a call needs them.

``orthotune.train`` and ``orthotune.diagnose`` are also the names of subpackages. Importing
one of them makes that subpackage the attribute, so the package turns it into a callable
module that runs the API function of the same name: ``orthotune.diagnose(...)`` is the
function and ``orthotune.diagnose.Diagnosis`` the class, in whatever order they are used.
"""

import sys
import types

from orthotune._api import (
    clean,
    compare,
    diagnose,
    errors,
    evaluate,
    learning_curve,
    load,
    train,
    tune,
)
from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate

__version__ = "0.1.0"
__all__ = [
    "InvalidInputError",
    "__version__",
    "clean",
    "compare",
    "diagnose",
    "errors",
    "evaluate",
    "learning_curve",
    "load",
    "parse_rate",
    "train",
    "tune",
]

_SHARED_NAMES = {"train": train, "diagnose": diagnose}


class _CallablePackage(types.ModuleType):
    """A subpackage that is also the API function of its name (``orthotune.train(...)``)."""

    def __call__(self, *args, **kwargs):
        return _SHARED_NAMES[self.__name__.rpartition(".")[2]](*args, **kwargs)


class _Package(types.ModuleType):
    """``orthotune`` itself: a subpackage set as an attribute of a shared name stays callable."""

    def __setattr__(self, name, value):
        if name in _SHARED_NAMES and isinstance(value, types.ModuleType):
            value.__class__ = _CallablePackage
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
for _name in _SHARED_NAMES:  # a subpackage imported already (none is, today) becomes callable
    if f"{__name__}.{_name}" in sys.modules:
        setattr(sys.modules[__name__], _name, sys.modules[f"{__name__}.{_name}"])
del _name

# subpackages a user reaches as attributes (orthotune.data.dataset_from_arrays,
# orthotune.sklearn.OrthoClassifier), imported on first use so that the package stays cheap
_ON_FIRST_USE = ("data", "sklearn")


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
