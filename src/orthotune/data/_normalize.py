"""``Normalizer`` (lecture: "Normalizing Training Sets").

μ = (1/m) Σ x(i) and σ² = (1/m) Σ (x(i) − μ)² are fitted on the TRAINING examples only, then
x := (x − μ) / σ is applied to train, train-dev, dev, test and at prediction time with those same
μ and σ² (the lecture: "we must not forget to scale testing (dev) data using the same μ and σ²").

Vectors ``[n, d]`` get one μ, σ² per feature; signals ``[n, c, length]`` and images
``[n, c, h, w]`` one per channel (a convolution shares its weights across positions). A constant
feature (σ² = 0) is only centred. The state is plain lists (``state_dict``), saved with a model.

Missing values (NaN, which ``--impute auto`` leaves in numeric table columns beside a 0/1 "was
missing" feature) are filled with the **training** median of their feature before μ and σ² are
fitted, and with that same median wherever they appear later (dev, test, prediction): a learned
statistic, fitted on train like μ and σ². A feature with no value at all in train is filled with 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from orthotune._errors import InvalidInputError

NORMALIZER_SCHEMA_VERSION = 1


class Normalizer:
    """Per-feature (vectors) or per-channel (signals, images) standardization."""

    def __init__(
        self,
        mean: np.ndarray,
        var: np.ndarray,
        input_shape: tuple[int, ...],
        fill: np.ndarray | None = None,
    ) -> None:
        self.mean = np.asarray(mean, dtype=np.float64)
        self.var = np.asarray(var, dtype=np.float64)
        self.fill = None if fill is None else np.asarray(fill, dtype=np.float64)
        self.input_shape = tuple(int(s) for s in input_shape)
        std = np.sqrt(self.var)
        self._scale = np.where(std > 0, std, 1.0)

    @property
    def per_channel(self) -> bool:
        return len(self.input_shape) >= 2

    @classmethod
    def fit(cls, x_train: torch.Tensor | np.ndarray) -> Normalizer:
        """μ and σ² of the training examples ``x_train`` (``[m, …]``); nothing else."""
        x = torch.as_tensor(x_train).detach().to(torch.float64)
        if x.ndim < 2 or x.shape[0] == 0:
            raise InvalidInputError(
                f"cannot fit a normalizer on data of shape {tuple(x.shape)}: give at least one "
                "training example shaped [m, features] (or [m, channels, …])"
            )
        fill = None
        if x.ndim == 2:  # the train median of each feature, for missing values now or later
            with np.errstate(all="ignore"):  # numpy's median averages the two middle values
                median = np.nanmedian(x.numpy(), axis=0)
            fill = torch.from_numpy(np.nan_to_num(median, nan=0.0))
            if torch.isnan(x).any():
                x = torch.where(torch.isnan(x), fill, x)
        dims = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
        mean = x.mean(dim=dims)
        var = ((x - _expand(mean, x.ndim)) ** 2).mean(dim=dims)  # 1/m, the lecture's σ²
        return cls(
            mean.numpy(), var.numpy(), tuple(x.shape[1:]), None if fill is None else fill.numpy()
        )

    def apply(self, x: torch.Tensor) -> torch.Tensor:
        """(x − μ) / σ, in x's dtype and on x's device."""
        shape = tuple(x.shape[1:])
        if shape != self.input_shape:
            raise InvalidInputError(
                f"data has examples of shape {shape} but the normalizer was fitted on "
                f"{self.input_shape}: give data shaped like the training data"
            )
        mean = torch.as_tensor(self.mean, dtype=x.dtype, device=x.device)
        scale = torch.as_tensor(self._scale, dtype=x.dtype, device=x.device)
        if x.ndim == 2 and x.is_floating_point() and torch.isnan(x).any():
            fill = self.fill if self.fill is not None else self.mean  # a state saved before fill
            x = torch.where(torch.isnan(x), torch.as_tensor(fill, dtype=x.dtype), x)
        return (x - _expand(mean, x.ndim)) / _expand(scale, x.ndim)

    __call__ = apply

    def state_dict(self) -> dict:
        """Plain, JSON-able state: ``{"schema_version", "input_shape", "mean", "var"}`` and, for
        vectors, ``"fill"`` (the train medians that replace missing values)."""
        state = {
            "schema_version": NORMALIZER_SCHEMA_VERSION,
            "input_shape": list(self.input_shape),
            "mean": self.mean.tolist(),
            "var": self.var.tolist(),
        }
        if self.fill is not None:
            state["fill"] = self.fill.tolist()
        return state

    @classmethod
    def from_state_dict(cls, state: Mapping) -> Normalizer:
        try:
            shape = tuple(int(s) for s in state["input_shape"])
            mean = np.asarray(state["mean"], dtype=np.float64)
            var = np.asarray(state["var"], dtype=np.float64)
            fill = None if state.get("fill") is None else np.asarray(state["fill"], np.float64)
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInputError(
                f"normalizer state is incomplete ({err}): expected input_shape, mean and var "
                "as written by Normalizer.state_dict()"
            ) from None
        width = shape[0]
        if mean.shape != (width,) or var.shape != (width,) or (var < 0).any():
            raise InvalidInputError(
                f"normalizer state does not fit input shape {shape}: expected {width} means and "
                "non-negative variances; use the state saved with the model"
            )
        if fill is not None and fill.shape != (width,):
            raise InvalidInputError(
                f"normalizer state does not fit input shape {shape}: expected {width} fill "
                "values; use the state saved with the model"
            )
        return cls(mean, var, shape, fill)


def _expand(v: torch.Tensor, ndim: int) -> torch.Tensor:
    """[d] → [1, d] for vectors, [c] → [1, c, 1, …] for signals and images."""
    return v.reshape(1, -1, *([1] * (ndim - 2)))
