"""Where does the model look? Attributions of misclassified dev examples.

The lecture asks the engineer to check whether a model looks at the object or at its
surroundings. An attribution gives each input value (a position of a signal, a pixel) a share
of the predicted class's logit. Two methods, both from Captum:

- ``integrated_gradients``: (x − x̄) · ∫₀¹ ∂f/∂x(x̄ + α(x − x̄)) dα, with the baseline x̄ the
  all-zero normalized input — the training mean of every feature or channel. Its attributions
  sum to f(x) − f(x̄) (completeness).
- ``input_x_gradient``: x · ∂f/∂x at the input alone (one backward pass; exact for a linear
  model, blind where a unit saturates).

**Deletion test** (which one to trust): remove the most attributed inputs first — set them to
the baseline — and follow the predicted class's probability (softmax of the logits); the method
whose curve falls fastest, with the smallest area under it over the deleted fraction 0 … 1,
names the inputs the prediction rests on. ``DEFAULT_ATTRIBUTION`` is the winner on a development
set: the batch-norm CNN of ``orthotune train builtin:mnist1d --arch cnn1d --batch-norm
--optimizer adam --lr 0.003 --epochs 10``, attributing the predicted class on its 1000 dev
examples (``python bench/attribution.py --seed S``, the CNN being ``--arch cnn1d``'s default,
the autopilot's first CNN): area 0.140 for integrated gradients against 0.157 for input ×
gradient (seed 0; a random ranking 0.367), 0.140 against 0.149 (seed 1; random 0.357). On the
misclassified dev examples alone — far fewer — the two were level or input × gradient's area
was the lower one: 0.101 against 0.102 (31 examples, seed 0), 0.195 against 0.173 (49, seed
1). The default follows the 1000-example figure; ``orthotune errors
--saliency`` runs the deletion test of both methods on the run's own mistakes and reports it
beside the drawings, so a user sees which one wins there.

``saliency_report`` attributes a run's misclassified examples (toward the class predicted),
runs the deletion test on them, and — given a mask of the object (``read_mask``: an ``.npz``
with an array ``mask`` of one example's shape, 1 on the object) — measures the share of the
absolute attribution that falls outside the object.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from orthotune._errors import InvalidInputError

__all__ = [
    "ATTRIBUTION_METHODS",
    "DEFAULT_ATTRIBUTION",
    "DeletionTest",
    "Saliency",
    "SaliencyReport",
    "attribute",
    "deletion_curves",
    "deletion_test",
    "read_mask",
    "run_saliency",
    "saliency_report",
]

SCHEMA_VERSION = 1
ATTRIBUTION_METHODS = ("integrated_gradients", "input_x_gradient")
DEFAULT_ATTRIBUTION = "integrated_gradients"  # the deletion test's winner (module doc)
IG_STEPS = 64  # Gauss–Legendre points of the path integral (completeness within 1e-3 here)
DELETION_STEPS = 20  # deleted fractions 0, 1/20, …, 1
MAX_SHOWN = 12  # misclassified examples drawn (most confident first)
MAX_ATTRIBUTED = 1000  # the most confident mistakes attributed (bounds the cost on big dev sets)


class DeletionTest(BaseModel):
    """Mean probability of the predicted class as the most attributed inputs are deleted."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="examples the curves average over")
    fractions: list[float]
    curves: dict[str, list[float]] = Field(description="per method: mean probability per step")
    area: dict[str, float] = Field(description="per method: area under its curve (lower wins)")
    winner: str


class Saliency(BaseModel):
    """One misclassified example: its input, its attribution and where that attribution lies."""

    model_config = ConfigDict(frozen=True)

    id: str
    true_label: str
    predicted_label: str
    confidence: float = Field(description="probability of the predicted class")
    values: list[float | None] = Field(
        description="the input as loaded, flattened (C order); None: a missing value"
    )
    attribution: list[float] = Field(description="toward the predicted class, same order")
    outside_share: float | None = Field(
        default=None, description="share of |attribution| outside the object (with a mask)"
    )


class SaliencyReport(BaseModel):
    """Where the model looks on its misclassified examples (``orthotune errors --saliency``)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    source: str
    split: str
    method: str
    baseline: str = "the training mean (all-zero normalized input)"
    input_shape: list[int] = Field(description="one example's shape as loaded")
    n: int = Field(description="examples of the split")
    misclassified: int
    examples: list[Saliency] = Field(description="the most confident mistakes, drawn")
    deletion: DeletionTest | None = Field(
        default=None, description="the deletion test on the misclassified examples attributed"
    )
    mask: str | None = None
    mean_outside_share: float | None = Field(
        default=None, description="over the misclassified examples attributed (with a mask)"
    )
    message: str


# ----------------------------------------------------------------------------- attributions
def _check_method(method: str) -> str:
    if method not in ATTRIBUTION_METHODS:
        raise InvalidInputError(
            f"attribution method {method!r} is not accepted: accepted are "
            f"{', '.join(ATTRIBUTION_METHODS)}; e.g. {DEFAULT_ATTRIBUTION}"
        )
    return method


def attribute(
    model: torch.nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    *,
    method: str = DEFAULT_ATTRIBUTION,
    steps: int = IG_STEPS,
) -> torch.Tensor:
    """Attributions [n, …] of ``model``'s ``target`` logit to each value of ``x`` [n, …]
    (normalized model inputs; baseline: zeros)."""
    from captum.attr import InputXGradient, IntegratedGradients

    _check_method(method)
    model = model.eval()
    x = x.detach().float()
    target = torch.as_tensor(target, dtype=torch.long)
    if len(x) == 0:
        return torch.zeros_like(x)
    if method == "integrated_gradients":
        ig = IntegratedGradients(model)
        found = ig.attribute(
            x,
            baselines=torch.zeros_like(x),
            target=target,
            n_steps=steps,
            internal_batch_size=max(steps, 4096 // steps * steps),
        )
    else:
        found = InputXGradient(model).attribute(x.clone().requires_grad_(True), target=target)
    return found.detach()


@torch.no_grad()
def deletion_curves(
    model: torch.nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    attributions: torch.Tensor,
    *,
    steps: int = DELETION_STEPS,
) -> np.ndarray:
    """[n, steps + 1]: the probability of ``target`` after deleting (setting to the baseline,
    0) the k most attributed values of each example, k = round(f · d) for f = 0, 1/steps … 1."""
    model = model.eval()
    n = len(x)
    flat = x.reshape(n, -1).float()
    d = flat.shape[1]
    order = torch.argsort(attributions.reshape(n, -1), dim=1, descending=True)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(d).expand(n, d).contiguous())  # rank of each value
    target = torch.as_tensor(target, dtype=torch.long)
    out = np.empty((n, steps + 1))
    for j in range(steps + 1):
        k = round(j * d / steps)
        kept = flat * (rank >= k)  # values ranked among the top k become the baseline 0
        logits = model(kept.reshape(x.shape))
        out[:, j] = torch.softmax(logits.double(), dim=1)[torch.arange(n), target].numpy()
    return out


def deletion_test(
    model: torch.nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    attributions: Mapping[str, torch.Tensor],
    *,
    steps: int = DELETION_STEPS,
) -> DeletionTest:
    """The deletion curves of each method's ``attributions``, averaged over the examples, their
    areas (trapezoid over the fraction deleted) and the method with the smallest area."""
    if not attributions:
        raise InvalidInputError("no attributions to compare: give at least one method's")
    fractions = np.linspace(0.0, 1.0, steps + 1)
    curves, area = {}, {}
    for name, found in attributions.items():
        mean = deletion_curves(model, x, target, found, steps=steps).mean(axis=0)
        curves[name] = [float(v) for v in mean]
        area[name] = float(np.trapezoid(mean, fractions))
    return DeletionTest(
        n=len(x),
        fractions=[float(f) for f in fractions],
        curves=curves,
        area=area,
        winner=min(area, key=area.__getitem__),
    )


# ----------------------------------------------------------------------------- the mask
def read_mask(path: str | Path, input_shape: Sequence[int]) -> np.ndarray:
    """The object mask of ``path`` (an ``.npz`` with ``mask``), as a bool array of
    ``input_shape``; singleton axes may be left out (an 8×8 mask for 1×8×8 images), images'
    channels too (one 8×8 mask for every channel of 3×8×8 images), and a mask of images saved
    channels last (8×8×3) is turned as they are."""
    file = Path(path)
    shape = tuple(int(s) for s in input_shape)
    accepted = (
        f"accepted: an .npz file with an array 'mask' of one example's shape {shape}, 1 on the "
        "object and 0 around it (numpy.savez(FILE, mask=m))"
    )
    if not file.is_file():
        raise InvalidInputError(f"--mask {file} does not exist; {accepted}")
    try:
        archive = np.load(file, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a lone .npy array
            raise InvalidInputError(f"--mask {file} holds one array (.npy); {accepted}")
        with archive:
            names = list(archive.files)
            mask = np.asarray(archive["mask"]) if "mask" in names else None
    except (OSError, ValueError) as err:
        if isinstance(err, InvalidInputError):
            raise
        raise InvalidInputError(
            f"--mask {file} is not a readable .npz file ({type(err).__name__}); {accepted}"
        ) from None
    if mask is None:
        found = ", ".join(names) or "no arrays"
        raise InvalidInputError(f"--mask {file} holds {found} but no 'mask'; {accepted}")
    if len(shape) == 3 and mask.shape == shape[1:]:  # one mask for every channel
        mask = np.broadcast_to(mask, shape)
    elif len(shape) == 3 and mask.shape == (*shape[1:], shape[0]):  # channels last
        mask = np.moveaxis(mask, -1, 0)
    if mask.shape != shape and mask.squeeze().shape != tuple(s for s in shape if s != 1):
        raise InvalidInputError(f"--mask {file} has shape {mask.shape}, not {shape}; {accepted}")
    if mask.dtype.kind not in "biuf" or not np.isin(mask, (0, 1)).all():
        raise InvalidInputError(f"--mask {file} holds values other than 0 and 1; {accepted}")
    return mask.reshape(shape).astype(bool)


def _outside_share(attribution: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per example: Σ|a| outside the mask / Σ|a| (0 when the attribution is all zero)."""
    a = np.abs(attribution.reshape(len(attribution), mask.size))  # no mistake: 0 rows
    total = a.sum(axis=1)
    outside = (a * ~mask.reshape(1, -1)).sum(axis=1)
    return np.divide(outside, total, out=np.zeros_like(total), where=total > 0)


# ----------------------------------------------------------------------------- the report
def saliency_report(
    model: torch.nn.Module,
    x: torch.Tensor,
    raw: torch.Tensor,
    y_true: np.ndarray,
    ids: np.ndarray,
    class_names: Sequence[str],
    *,
    source: str,
    split: str = "dev",
    method: str = DEFAULT_ATTRIBUTION,
    mask: np.ndarray | None = None,
    mask_name: str | None = None,
    temperature: float = 1.0,
    max_shown: int = MAX_SHOWN,
    fold: Callable[[np.ndarray], np.ndarray] | None = None,
    held_out: np.ndarray | None = None,
) -> SaliencyReport:
    """Attributions of the misclassified examples among ``x`` (model inputs) / ``raw`` (as
    loaded), toward the class predicted; the deletion test of both methods on them. ``fold``
    maps attributions of model inputs onto the features as loaded where the two differ (binned
    inputs: ``Normalizer.fold``). ``held_out`` ``[n, classes]``: probabilities from models that
    had not learned from these examples, which then say which are misclassified (the model
    learned from them: a refit on train + dev, or k-fold; its own mistakes there are training
    mistakes); a row of NaN falls back to the model's own."""
    from orthotune.train import predict_logits

    _check_method(method)
    logits = predict_logits(model, x).double()
    proba = torch.softmax(logits / temperature, dim=1).numpy()
    if held_out is not None:
        known = ~np.isnan(held_out).any(axis=1)
        proba[known] = held_out[known]
    pred = proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != np.asarray(y_true))
    wrong = wrong[np.argsort(-proba[wrong, pred[wrong]], kind="stable")]  # most confident first
    misclassified = len(wrong)
    wrong = wrong[:MAX_ATTRIBUTED]
    shape = [int(s) for s in raw.shape[1:]]
    target = torch.as_tensor(pred[wrong])
    found = {m: attribute(model, x[wrong], target, method=m) for m in ATTRIBUTION_METHODS}
    deletion = deletion_test(model, x[wrong], target, found) if len(wrong) else None
    chosen = found[method].reshape(len(wrong), math.prod(x.shape[1:])).numpy()  # 0 rows too
    if fold is not None:
        chosen = fold(chosen)
    shares = None if mask is None else _outside_share(chosen, mask)
    names = list(class_names)
    examples = [
        Saliency(
            id=str(ids[i]),
            true_label=names[int(y_true[i])],
            predicted_label=names[int(pred[i])],
            confidence=float(proba[i, pred[i]]),
            values=[None if math.isnan(v) else v for v in raw[i].reshape(-1).double().tolist()],
            attribution=chosen[r].tolist(),
            outside_share=None if shares is None else float(shares[r]),
        )
        for r, i in enumerate(wrong[:max_shown])
    ]
    words = [f"{misclassified} of {len(x)} {split} examples misclassified"]
    if held_out is not None:
        words[-1] += " by models that had not learned from them"
    if misclassified > len(wrong):
        words.append(f"the {len(wrong)} most confident attributed")
    words[-1] += f"; attributions by {method}"
    if deletion is not None:
        areas = ", ".join(f"{m} {a:.3f}" for m, a in deletion.area.items())
        words.append(f"deletion test on them: area {areas} (lower wins: {deletion.winner})")
    mean_share = None if shares is None or not len(shares) else float(shares.mean())
    if mean_share is not None:
        words.append(f"{100 * mean_share:.1f} % of the attribution lies outside the object")
    return SaliencyReport(
        source=source,
        split=split,
        method=method,
        input_shape=shape,
        n=len(x),
        misclassified=misclassified,
        examples=examples,
        deletion=deletion,
        mask=mask_name,
        mean_outside_share=mean_share,
        message="; ".join(words),
    )


def run_saliency(
    run_dir: str | Path,
    *,
    mask_path: str | Path | None = None,
    split: str = "dev",
    method: str = DEFAULT_ATTRIBUTION,
) -> SaliencyReport:
    """``saliency_report`` of a run folder's chosen model on its own data's ``split``."""
    from orthotune._rundir import RunDir
    from orthotune.analysis._predictions import run_data
    from orthotune.data import Normalizer
    from orthotune.train import load_predictor, prepare_inputs

    _check_method(method)
    run = RunDir.open(run_dir)
    record = run.read_run()
    if not record.data:
        raise InvalidInputError(
            f"{run_dir}/run.json names no data set, so its examples cannot be attributed; "
            "give a run folder written by orthotune train or tune"
        )
    # as errors and predict find it: from any folder, after the run folder moved
    data = run_data(run.path, record.model_dump())
    predictor = load_predictor(run.path)
    norm = predictor.manifest.normalization
    inputs = prepare_inputs(predictor, data)
    mask = None if mask_path is None else read_mask(mask_path, tuple(inputs.raw.shape[1:]))
    if inputs.split is None or inputs.y_true is None:
        raise InvalidInputError(
            f"{run_dir}: the {split} examples of {data} cannot be found (no split.json for "
            "this data, or no labels); give a run folder of orthotune train or tune"
        )
    rows = np.flatnonzero(inputs.split == split)
    if len(rows) == 0:
        present = sorted(set(inputs.split.tolist()) - {""})
        raise InvalidInputError(
            f"--split {split!r} has no examples in {run_dir}; accepted: {', '.join(present)}"
        )
    classes = list(predictor.manifest.class_names)
    index = {name: k for k, name in enumerate(classes)}
    y = np.array([index.get(str(v), -1) for v in inputs.y_true[rows]])
    rows, y = rows[y >= 0], y[y >= 0]  # rows whose label is a class of the model
    return saliency_report(
        predictor.model,
        inputs.x[rows],
        inputs.raw[rows],
        y,
        inputs.ids[rows],
        classes,
        source=str(run_dir),
        split=split,
        method=method,
        mask=mask,
        mask_name=None if mask_path is None else str(mask_path),
        temperature=predictor.manifest.temperature,
        fold=None if not norm else Normalizer.from_state_dict(norm).fold,
        held_out=_held_out(run.path, inputs.ids[rows], classes),
    )


def _held_out(run_dir: Path, ids: np.ndarray, classes: list[str]) -> np.ndarray | None:
    """The probabilities ``tune`` wrote for ``ids`` when its chosen model learned from the dev
    examples (``write_held_out_predictions``: its rows marked ``held_out``; NaN rows for the
    others), else None."""
    import pandas as pd

    from orthotune.analysis._predictions import HELD_OUT_COLUMN

    path = run_dir / "analysis" / "predictions.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={"id": str})
    columns = [f"p_{c}" for c in classes]
    if HELD_OUT_COLUMN not in frame.columns or not set(columns) <= set(frame.columns):
        return None  # the model's own predictions
    frame = frame[frame[HELD_OUT_COLUMN].astype(bool)]
    at = {i: k for k, i in enumerate(frame["id"])}
    rows = np.array([at.get(str(i), -1) for i in ids], dtype=np.int64)
    out = np.full((len(ids), len(classes)), np.nan)
    out[rows >= 0] = frame[columns].to_numpy(dtype=np.float64)[rows[rows >= 0]]
    return out if (rows >= 0).any() else None
