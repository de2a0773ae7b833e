"""``Model``: a saved orthotune model in memory, with ``predict`` and ``predict_proba``.

``orthotune.load(RUN_DIR | MODEL_DIR)`` returns one; ``OrthoClassifier`` keeps one after
``fit``. Pickling it stores the weights as safetensors bytes and the manifest as JSON — never
a torch pickle — and unpickling rebuilds the network from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from orthotune.metrics import label_keys, plain_integer

__all__ = ["Model"]


def dense(x: Any) -> Any:
    """``x`` as a network reads it: a SciPy sparse matrix densified (a DataFrame, whose sparse
    columns the table reader densifies, and anything else as given)."""
    return x.toarray() if hasattr(x, "toarray") and not hasattr(x, "columns") else x


def labels_for(y: Any, n: int | None) -> np.ndarray:
    """``y`` as one label for each of the ``n`` examples of X; one line when it is not."""
    from orthotune._errors import InvalidInputError

    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n:
        held = f"{len(labels)} labels" if labels.ndim == 1 else f"shape {labels.shape}"
        raise InvalidInputError(
            f"y has {held} for the {n} examples of X: give one label per example (a 1-D array "
            "as long as X)"
        )
    return labels


class Model:
    """A trained network and its manifest (classes, normalization, data encoding, temperature).

    ``predict_proba(X)`` gives the calibrated probabilities ``softmax(logits / T)``, one column
    per class in ``classes_`` order; ``predict(X)`` the most probable class (a label of
    ``classes_``). ``X`` is an array shaped like the training examples, a pandas DataFrame (a
    model trained on a table: its columns), or DATA — a file or ``builtin:NAME`` — read as
    ``orthotune predict`` reads it. ``score(X, y)`` is the accuracy on labels ``y``.
    """

    def __init__(self, predictor: Any) -> None:
        self._predictor = predictor  # orthotune.train.Predictor

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """``RUN_DIR`` (its chosen model) or ``MODEL_DIR``, hash verified."""
        from orthotune.train import load_predictor

        return cls(load_predictor(path))

    @property
    def manifest(self) -> Any:
        """The checkpoint's ``orthotune.train.Manifest``."""
        return self._predictor.manifest

    @property
    def network(self) -> Any:
        """The ``torch.nn.Module`` (eval mode, on CPU)."""
        return self._predictor.model

    @property
    def classes_(self) -> np.ndarray:
        """Class labels in the order of ``predict_proba``'s columns: the names (text) when the
        labels were given as text (``y`` of strings ``"0"``/``"1"``, a text column, folder
        names); else integers when every class name is one written plainly (``"0"``, ``"12"``,
        ``"-1"``: labels 0/1 in a DataFrame or a file), booleans when they are ``True`` and
        ``False``, so that ``predict(X) == y`` compares like with like; else the names."""
        names = list(self.manifest.class_names)
        if self.manifest.text_labels:
            return np.asarray(names, dtype=object)
        if all(plain_integer(n) for n in names):
            return np.asarray([int(n) for n in names], dtype=np.int64)
        if set(names) <= {"False", "True"}:  # boolean labels come back as booleans
            return np.asarray([n == "True" for n in names], dtype=bool)
        return np.asarray(names, dtype=object)

    def _inputs(self, x: Any) -> Any:
        from orthotune.train import encode_inputs, prepare_inputs

        if isinstance(x, str | Path):
            return prepare_inputs(self._predictor, str(x)).x
        return encode_inputs(self.manifest, dense(x))

    def predict_proba(self, x: Any) -> np.ndarray:
        """Probabilities [n, classes] (rows sum to 1), calibrated by the checkpoint's T."""
        from orthotune.train import probabilities

        return probabilities(self._predictor, self._inputs(x))

    def predict(self, x: Any) -> np.ndarray:
        """The most probable class of each example (a label of ``classes_``)."""
        p = self.predict_proba(x)
        return self.classes_[p.argmax(axis=1)] if len(p) else self.classes_[:0]

    def score(self, x: Any, y: Any) -> float:
        """The accuracy of ``predict(x)`` on the labels ``y`` (scikit-learn's ``score``); a label
        matches its class whether written as text or as a number (``"1"``, ``1`` and ``1.0``)."""
        import pandas as pd

        from orthotune._errors import InvalidInputError

        pred = self.predict(x)
        truth = labels_for(y, len(pred))
        text = pd.Series(truth, dtype=object).astype(str).str.strip()
        gaps = np.flatnonzero(pd.isna(pd.Series(truth, dtype=object)).to_numpy() | (text == ""))
        if len(gaps):  # they counted as mistakes: 0.73 where the labelled rows scored 0.81
            raise InvalidInputError(
                f"y holds {len(gaps)} missing label(s), the first at row {gaps[0]}: score needs "
                "a label for every example (as scikit-learn's does); drop those rows"
            )
        hits = [a == b for a, b in zip(label_keys(pred), label_keys(truth), strict=True)]
        return float(np.mean(hits)) if hits else 0.0

    def __repr__(self) -> str:
        m = self.manifest
        return f"Model({m.name!r}, {m.spec.kind}, classes={list(m.class_names)!r})"

    # pickling: safetensors bytes + the manifest's JSON, never a torch pickle
    def __getstate__(self) -> dict[str, Any]:
        from orthotune.train import weights_to_bytes

        p = self._predictor
        return {
            "manifest": p.manifest.model_dump_json(),
            "weights": weights_to_bytes(p.model),
            "model_dir": str(p.model_dir),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        from orthotune.train import Manifest, Predictor, model_from_bytes

        manifest = Manifest.model_validate_json(state["manifest"])
        model = model_from_bytes(state["weights"], manifest.spec, where="pickled weights")
        self._predictor = Predictor(
            model=model, manifest=manifest, model_dir=Path(state["model_dir"])
        )
