"""The fit-and-predict step the label-issue methods share.

Every method needs the same thing many times: train models on some examples and predict
probabilities (and the learned representation) for others. ``fit_predict_many`` trains all of
them — the K fold models of a cross-validation — at once with the population engine, each member
on its own rows (``fit_population(subsets=…)``; one after another where a population is slower on
this machine), with one recipe (``FitRecipe``: AdamW, one-cycle
learning rate, label smoothing, a circular shift for signals and images, a fixed number of
steps) so that one set of defaults serves every data set.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from orthotune.data import Normalizer
from orthotune.fit import fold_rows, label_issue_spec
from orthotune.models import ModelSpec
from orthotune.train import TrainConfig, batch_bounds, torch_threads

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitRecipe:
    """How each model behind a label-issue method is trained (one default for every data set).

    steps:       optimizer steps per model (mini-batches, not epochs: the cost is fixed)
    batch_size:  examples per step
    lr:          peak learning rate of the one-cycle schedule (Adam)
    weight_decay: decoupled weight decay (AdamW)
    label_smoothing: softens the targets so a model memorizes flipped labels less
    shift:       translation augmentation for signals and images (a random circular shift per
                 example along each spatial axis); vectors are never shifted
    threads:     torch CPU threads while fitting: these small models are dominated by per-op
                 overhead, and on a busy machine one thread is several times faster than two
    """

    steps: int = 800
    batch_size: int = 64
    lr: float = 2e-2
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    shift: bool = True
    threads: int = 1


@dataclass(frozen=True)
class FitJob:
    """One model to train: the rows it learns from and the rows it predicts."""

    train_index: np.ndarray
    predict_index: np.ndarray


@dataclass(frozen=True)
class FitOutput:
    """Predictions of one job: probabilities [n_predict, classes], representation [n_predict, d]."""

    proba: np.ndarray
    embedding: np.ndarray


def _standardize(x: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    """Per-feature z-score with statistics of ``rows`` (flat features) or one scalar per
    channel (signals and images). Features only: no label enters it. The gaps ``--impute
    auto`` leaves in a table's numeric columns are filled first, as ``tune`` fills them
    (``data.Normalizer``, fitted on ``rows``): unfilled, they made every fold model's loss NaN
    at its first step, and ``clean`` failed on any table with a missing value."""
    if x.dim() == 2 and bool(torch.isnan(x).any()):
        x = Normalizer.fit(x[torch.as_tensor(rows)]).apply(x)
    ref = x[torch.as_tensor(rows)]
    dims = (0,) if x.dim() == 2 else (0, *range(2, x.dim()))
    mean = ref.mean(dim=dims, keepdim=True)
    std = ref.std(dim=dims, keepdim=True).clamp_min(1e-6)
    return (x - mean) / std


def _embed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The learned representation: the input of the output layer."""
    return model.head(model.pool(model.features(x)))


def recipe_config(recipe: FitRecipe, *, num_examples: int, input_dims: int) -> TrainConfig:
    """The recipe as the ``TrainConfig`` of each model: AdamW (decoupled decay λ/m, so
    λ = weight_decay·m), a one-cycle schedule, label smoothing, and a circular shift of any
    offset for signals and images; ``steps`` becomes the epochs that cover them."""
    batch = min(recipe.batch_size, num_examples)
    steps_per_epoch = len(batch_bounds(num_examples, batch))
    return TrainConfig(
        optimizer="adamw",
        lr=recipe.lr,
        l2=recipe.weight_decay * num_examples,
        schedule="one_cycle",
        batch_size=batch,
        epochs=max(1, math.ceil(recipe.steps / steps_per_epoch)),
        label_smoothing=recipe.label_smoothing,
        augment="roll=1" if recipe.shift and input_dims > 1 else None,
    )


def fit_predict(
    x: torch.Tensor,
    y: torch.Tensor,
    job: FitJob,
    *,
    num_classes: int,
    recipe: FitRecipe | None = None,
    spec: ModelSpec | None = None,
    weights: torch.Tensor | None = None,
    seed: int = 0,
) -> FitOutput:
    """Train one model on ``job.train_index`` and predict ``job.predict_index``.

    x: [n, *input_shape] float32 · y: [n] int64 (labels of the predicted rows are not used).
    """
    return fit_predict_many(
        x, y, [job], num_classes=num_classes, recipe=recipe, spec=spec, weights=weights, seed=seed
    )[0]


def fit_predict_many(
    x: torch.Tensor,
    y: torch.Tensor,
    jobs: list[FitJob],
    *,
    num_classes: int,
    recipe: FitRecipe | None = None,
    spec: ModelSpec | None = None,
    weights: torch.Tensor | None = None,
    seed: int = 0,
) -> list[FitOutput]:
    """Train one model per job (e.g. the K fold models) — at once, as one ``Population`` whose
    member k learns from job k's rows only, where that is faster on this machine
    (``fit.population_pays``), else one ``Trainer`` after another — and return their
    predictions in order.

    Models get seeds ``seed, seed+1, …`` and each draws its own mini-batches. In a population,
    jobs whose training sets differ in size by a few rows train on the smallest size per epoch
    (a larger one skips different rows each epoch); one after another, each model's recipe is
    fitted to its own rows.
    """
    from orthotune.fit import Candidate, population_pays
    from orthotune.train import resolve_device

    recipe = recipe or FitRecipe()
    spec = spec or label_issue_spec(tuple(x.shape[1:]), num_classes)
    used = np.unique(np.concatenate([job.train_index for job in jobs]))
    xs = _standardize(x.float(), used)
    m = min(len(job.train_index) for job in jobs)
    config = recipe_config(recipe, num_examples=m, input_dims=x.dim() - 1)
    device = resolve_device("auto")
    models = [Candidate(f"job {k}", spec, config, seed=seed + k) for k in range(len(jobs))]
    with torch_threads(recipe.threads):
        if population_pays(models, xs, y, device):
            log.debug("fitting %d models at once on %d+ examples each", len(jobs), m)
            trained = _together(models, jobs, xs, y, weights, m=m, device=device)
        else:  # where a population is slower on this machine (fit.population_pays)
            log.debug("fitting %d models one after another on %d+ examples each", len(jobs), m)
            trained = [
                _alone(c, job, xs, y, weights, recipe=recipe, device=device)
                for c, job in zip(models, jobs, strict=True)
            ]
        outputs = []
        for model, job in zip(trained, jobs, strict=True):
            xp = xs[torch.as_tensor(job.predict_index, dtype=torch.long)].to(device)
            with torch.no_grad():
                proba = torch.softmax(model(xp), dim=1).cpu().numpy().astype(np.float64)
                embedding = _embed(model, xp).cpu().numpy()
            outputs.append(FitOutput(proba=proba, embedding=embedding))
    return outputs


def _together(models, jobs, xs, y, weights, *, m: int, device) -> list[nn.Module]:
    """The jobs' models as one ``Population``, member k on job k's rows (``m``: the smallest
    job's rows, the examples of each epoch)."""
    from orthotune.population import Population, fit_population

    pop = Population(
        models[0].spec,
        [c.config for c in models],
        num_examples=m,
        seeds=[c.seed for c in models],
        device=device,
    )
    fit_population(
        pop, (xs, y, weights), subsets=[job.train_index for job in jobs], shared_batches=False
    )
    return [pop.export(k) for k in range(len(jobs))]


def _alone(cand, job: FitJob, xs, y, weights, *, recipe: FitRecipe, device) -> nn.Module:
    """One job's model with a ``Trainer`` (``fit.train_alone``: Ctrl-C stops every job, as it
    stops a population), the recipe fitted to its own rows."""
    import dataclasses

    from orthotune.fit import train_alone

    rows = torch.as_tensor(job.train_index, dtype=torch.long)
    config = recipe_config(recipe, num_examples=len(rows), input_dims=xs.dim() - 1)
    part = (xs[rows], y[rows], None if weights is None else weights[rows])
    own = dataclasses.replace(cand, config=config)
    return train_alone(own, part, device=device)[0]


def fold_jobs(
    y: np.ndarray,
    *,
    folds: int,
    seed: int,
    exclude: np.ndarray | None = None,
) -> list[FitJob]:
    """Stratified K-fold jobs: each fold is predicted by a model trained on the other folds,
    leaving out of training the rows flagged in ``exclude`` (a boolean mask)."""
    _, rows = fold_rows(y, folds=folds, seed=seed, exclude=exclude)
    return [FitJob(train_index=r, predict_index=p) for r, p in rows]


def out_of_fold(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    num_classes: int,
    folds: int = 5,
    recipe: FitRecipe | None = None,
    spec: ModelSpec | None = None,
    exclude: np.ndarray | None = None,
    weights: torch.Tensor | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities [n, classes] and representation [n, d]: every example is
    predicted by a model that never saw it."""
    jobs = fold_jobs(y.numpy(), folds=folds, seed=seed, exclude=exclude)
    outputs = fit_predict_many(
        x, y, jobs, num_classes=num_classes, recipe=recipe, spec=spec, weights=weights, seed=seed
    )
    n = len(y)
    proba = np.zeros((n, num_classes))
    embedding = np.zeros((n, outputs[0].embedding.shape[1]), dtype=np.float32)
    for job, out in zip(jobs, outputs, strict=True):
        proba[job.predict_index] = out.proba
        embedding[job.predict_index] = out.embedding
    return proba, embedding
