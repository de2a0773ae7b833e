"""``Bins``: a piecewise-linear encoding of numeric features, fitted on the training vectors.

A feature vector's numeric feature z (already standardized) gets, beside itself, one component
per quantile bin of its training values, edges b₀ < b₁ < … < b_T:

    e_t(z) = clip((z − b_{t−1}) / (b_t − b_{t−1}), 0, 1),   t = 1 … T

(0 below the bin, 1 above it, linear inside), each component standardized with its training
mean and standard deviation. A threshold on the feature ("more than 3 service calls", "spent
anything at all") is then one weight of the first layer instead of a shape a ReLU network has to
find by training, which is where gradient-boosted trees beat a plain MLP on tables. Features
with at most two distinct training values (0/1 flags, one-hot columns, the "was missing"
indicators) get no bins: they are thresholds already.

With ``points`` a numeric feature with more distinct training values than bins also gets an
indicator per value that at least ``POINT_COUNT`` training examples share (its ``MAX_POINTS``
most shared), 1 where the example holds that value (within a float32 rounding), standardized
like the bins' components. Where a number is a code — salaries converted from each country's
currency, so the values one country's rows share name it — a ramp between two quantiles cannot
single one out, and the code is what tells the classes apart (modeldata's stackoverflow: the
starting MLP's out-of-fold accuracy 64.00 → 81.99 %, ``bench/encoding.py --points``); where the
values are quantities, the indicators only let it memorize (hpc_data 83.41 → 71.89 %), so the
autopilot tries them as an encoding of their own (``autopilot._loop._ENCODINGS``).

Fitted on the **training** examples only, like μ and σ² (``Normalizer``, which owns one when
asked and saves its state with the model); ``fold`` maps attributions of the encoded inputs back
onto the features (each feature's own plus its components').
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from orthotune._errors import InvalidInputError

_ROWS = 1 << 14  # rows per block in ``apply``
# training examples sharing one value that make it a point, and points per feature (the most
# shared): set before any measurement, chosen on no figure — 255 is the categories a text
# column keeps (``data._encoding.MAX_CATEGORIES`` − 1), the number HGB takes natively
POINT_COUNT = 5
MAX_POINTS = 255
POINT_TOLERANCE = 1e-6  # relative: a value read back in float32 is the same point


class Bins:
    """Quantile bins per feature (``edges[j]``: T_j + 1 increasing edges, or empty: no bins) and
    the values marked (``points[j]``, increasing, often empty)."""

    def __init__(
        self,
        edges: list[np.ndarray],
        mean: np.ndarray,
        scale: np.ndarray,
        points: list[np.ndarray] | None = None,
    ) -> None:
        self.edges = [np.asarray(e, dtype=np.float64) for e in edges]
        self.points = [
            np.asarray(p, dtype=np.float64)
            for p in (points if points is not None else [np.empty(0)] * len(self.edges))
        ]
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self._owner = np.concatenate(  # the feature each component belongs to
            [np.full(max(len(e) - 1, 0), j) for j, e in enumerate(self.edges)]
            + [np.full(len(p), j) for j, p in enumerate(self.points)]
        ).astype(np.int64)

    @property
    def width(self) -> int:
        """Components added (Σ T_j, and one per marked value)."""
        return len(self._owner)

    @classmethod
    def fit(cls, z: np.ndarray, count: int, *, points: bool = False) -> Bins:
        """``count`` quantile bins per feature of the standardized training vectors ``z``, and
        with ``points`` an indicator per value many of them share (module docstring)."""
        if count < 2:
            raise InvalidInputError(
                f"input bins = {count}: accepted is 0 (no bins) or at least 2; fix: pick 0 or 2+"
            )
        edges, marked = [], []
        for col in z.T:
            edge = np.unique(np.quantile(col, np.linspace(0.0, 1.0, count + 1)))
            few = len(np.unique(col)) <= 2 or len(edge) < 3
            edges.append(np.empty(0) if few else edge)
            marked.append(cls.shared_values(col, count) if points else np.empty(0))
        raw = cls(edges, np.zeros(0), np.ones(0), marked)._components(z)
        std = raw.std(axis=0)
        return cls(edges, raw.mean(axis=0), np.where(std > 0, std, 1.0), marked)

    @staticmethod
    def shared_values(col: np.ndarray, count: int) -> np.ndarray:
        """The values of one feature's training column ``col`` that ``points`` marks, in
        increasing order: with more distinct values than ``count`` bins (a ramp between two
        quantiles cannot single one out), the ``MAX_POINTS`` most shared of those at least
        ``POINT_COUNT`` examples share. The same values whether ``col`` is standardized or not
        (the autopilot counts them before it fits: ``autopilot._loop._binned``)."""
        values, counts = np.unique(col, return_counts=True)
        many = len(values) > count + 1
        frequent = np.flatnonzero(counts >= POINT_COUNT if many else 0)
        frequent = frequent[np.argsort(-counts[frequent], kind="stable")][:MAX_POINTS]
        return np.sort(values[frequent])

    def _components(self, z: np.ndarray) -> np.ndarray:
        parts = [
            np.clip((z[:, [j]] - e[:-1]) / (e[1:] - e[:-1]), 0.0, 1.0)
            for j, e in enumerate(self.edges)
            if len(e)
        ] + [
            (np.abs(z[:, [j]] - p) <= POINT_TOLERANCE * np.maximum(1.0, np.abs(p))).astype(
                np.float64
            )
            for j, p in enumerate(self.points)
            if len(p)
        ]
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(z), 0))

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """[n, d] standardized → [n, d + width]: the features, then their standardized bins
        (computed in float64 a block of rows at a time, so a large table's temporaries stay
        small)."""
        values = z.detach().cpu().to(torch.float64).numpy()
        out = torch.empty((len(values), self.width), dtype=z.dtype)
        for start in range(0, len(values), _ROWS):
            raw = self._components(values[start : start + _ROWS])
            out[start : start + _ROWS] = torch.as_tensor((raw - self.mean) / self.scale)
        return torch.cat([z, out.to(z.device)], dim=1)

    def fold(self, attribution: np.ndarray) -> np.ndarray:
        """[n, d + width] attributions of encoded inputs → [n, d]: each feature's own plus the
        sum over its components (their total is kept, so integrated gradients still add up)."""
        d = len(self.edges)
        out = np.array(attribution[:, :d], dtype=np.float64)
        np.add.at(out.T, self._owner, attribution[:, d:].T)
        return out

    def state_dict(self) -> dict:
        return {
            "edges": [e.tolist() for e in self.edges],
            "points": [p.tolist() for p in self.points],
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }

    @classmethod
    def from_state_dict(cls, state: Mapping, width: int) -> Bins:
        """The state ``state_dict`` wrote, for vectors of ``width`` features."""
        try:
            edges = [np.asarray(e, dtype=np.float64) for e in state["edges"]]
            points = [np.asarray(p, dtype=np.float64) for p in state.get("points", [[]] * width)]
            mean = np.asarray(state["mean"], dtype=np.float64)
            scale = np.asarray(state["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInputError(
                f"input bins state is incomplete ({err}): expected edges, mean and scale as "
                "written by Normalizer.state_dict(); use the state saved with the model"
            ) from None
        bins = cls(edges, mean, scale, points)
        ok = len(edges) == len(points) == width and all(
            e.ndim == 1 and (len(e) == 0 or (len(e) >= 3 and (np.diff(e) > 0).all())) for e in edges
        )
        ok = ok and all(p.ndim == 1 and (np.diff(p) > 0).all() for p in points)
        fits = mean.shape == scale.shape == (bins.width,) and bool((scale > 0).all())
        if not ok or not fits:
            raise InvalidInputError(
                f"input bins state does not fit {width} features: expected one increasing "
                "edge list and one increasing list of marked values per feature and one mean "
                "and scale per component; use the state saved with the model"
            )
        return bins
