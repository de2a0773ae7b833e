"""The small fit-and-predict engine the label-issue methods share.

Every method needs the same thing many times: train a model on some examples and predict
probabilities (and the learned representation) for others. ``fit_predict`` does that with a plain
torch loop — Adam, one-cycle learning rate, a fixed number of steps — so that one set of defaults
(``FitRecipe``) serves every data set. ``fit_predict_many`` trains several such models (the K fold
models of a cross-validation) and returns their predictions in one call: the single place where
the population engine plugs in to train them at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from orthotune.models import ConvBlock, ModelSpec, build_model

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


def default_spec(input_shape: tuple[int, ...], num_classes: int) -> ModelSpec:
    """The model behind the label-issue methods: a batch-norm CNN for signals and images, an MLP
    with batch norm for feature vectors."""
    if len(input_shape) == 2:  # [C, L] signals
        conv = (
            ConvBlock(channels=32, kernel=5, pool="max"),
            ConvBlock(channels=64, kernel=3, pool="max"),
            ConvBlock(channels=128, kernel=3, pool="max"),
            ConvBlock(channels=128, kernel=3),
        )
        return ModelSpec(
            kind="cnn1d",
            input_shape=input_shape,
            num_classes=num_classes,
            conv=conv,
            hidden=(64,),
            batch_norm=True,
        )
    if len(input_shape) == 3:  # [C, H, W] images
        conv = (
            ConvBlock(channels=32, kernel=3),
            ConvBlock(channels=64, kernel=3, pool="max"),
            ConvBlock(channels=64, kernel=3),
        )
        return ModelSpec(
            kind="cnn2d",
            input_shape=input_shape,
            num_classes=num_classes,
            conv=conv,
            hidden=(64,),
            batch_norm=True,
        )
    return ModelSpec(
        kind="mlp",
        input_shape=input_shape,
        num_classes=num_classes,
        hidden=(128, 64),
        batch_norm=True,
    )


def _standardize(x: torch.Tensor, train_index: np.ndarray) -> torch.Tensor:
    """Per-feature z-score with statistics of the training rows only (flat features) or one
    scalar per channel (signals and images)."""
    ref = x[torch.as_tensor(train_index)]
    dims = (0,) if x.dim() == 2 else (0, *range(2, x.dim()))
    mean = ref.mean(dim=dims, keepdim=True)
    std = ref.std(dim=dims, keepdim=True).clamp_min(1e-6)
    return (x - mean) / std


def _random_shift(xb: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Roll each example by its own random offset along every spatial axis."""
    out = xb
    for axis in range(2, xb.dim()):
        size = xb.shape[axis]
        offsets = torch.randint(0, size, (xb.shape[0],), generator=gen)  # [B]
        pos = (torch.arange(size)[None, :] - offsets[:, None]) % size  # [B, size]
        shape = [xb.shape[0]] + [1] * (xb.dim() - 1)
        shape[axis] = size
        index = pos.reshape(shape).expand_as(out)
        out = torch.gather(out, axis, index)
    return out


def _embed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The learned representation: the input of the output layer."""
    return model.head(model.pool(model.features(x)))


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
    recipe = recipe or FitRecipe()
    with _threads(recipe.threads):
        return _fit_predict(
            x, y, job, num_classes=num_classes, recipe=recipe, spec=spec, weights=weights, seed=seed
        )


@contextmanager
def _threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit_predict(
    x: torch.Tensor,
    y: torch.Tensor,
    job: FitJob,
    *,
    num_classes: int,
    recipe: FitRecipe,
    spec: ModelSpec | None,
    weights: torch.Tensor | None,
    seed: int,
) -> FitOutput:
    spec = spec or default_spec(tuple(x.shape[1:]), num_classes)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    xs = _standardize(x.float(), job.train_index)
    train_idx = torch.as_tensor(job.train_index, dtype=torch.long)
    model = build_model(spec)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe.lr, total_steps=recipe.steps)
    loss_fn = nn.CrossEntropyLoss(reduction="none", label_smoothing=recipe.label_smoothing)
    m = len(train_idx)
    batch = min(recipe.batch_size, m)
    model.train()
    perm = train_idx[torch.randperm(m, generator=gen)]
    cursor = 0
    for _ in range(recipe.steps):
        if cursor + batch > m:  # a new epoch: reshuffle
            perm = train_idx[torch.randperm(m, generator=gen)]
            cursor = 0
        rows = perm[cursor : cursor + batch]
        cursor += batch
        xb = xs[rows]
        if recipe.shift and xb.dim() > 2:
            xb = _random_shift(xb, gen)
        per_example = loss_fn(model(xb), y[rows])  # [B]
        if weights is None:
            loss = per_example.mean()
        else:  # Σ s(i)·L(i) / Σ s(i) over the batch (DESIGN.md)
            s = weights[rows]
            loss = (s * per_example).sum() / s.sum().clamp_min(1e-12)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    pred_idx = torch.as_tensor(job.predict_index, dtype=torch.long)
    with torch.no_grad():
        xp = xs[pred_idx]
        proba = torch.softmax(model(xp), dim=1).numpy().astype(np.float64)
        embedding = _embed(model, xp).numpy()
    return FitOutput(proba=proba, embedding=embedding)


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
    """Train one model per job (e.g. the K fold models) and return their predictions in order.

    Members get seeds ``seed, seed+1, …``. The models are independent, so this is where several
    are trained at once; today they run one after another through ``fit_predict``.
    """
    outputs = []
    for k, job in enumerate(jobs):
        log.debug("fitting model %d/%d on %d examples", k + 1, len(jobs), len(job.train_index))
        outputs.append(
            fit_predict(
                x,
                y,
                job,
                num_classes=num_classes,
                recipe=recipe,
                spec=spec,
                weights=weights,
                seed=seed + k,
            )
        )
    return outputs


def fold_jobs(
    y: np.ndarray,
    *,
    folds: int,
    seed: int,
    exclude: np.ndarray | None = None,
) -> list[FitJob]:
    """Stratified K-fold jobs: each fold is predicted by a model trained on the other folds,
    leaving out of training the rows flagged in ``exclude`` (a boolean mask)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    fold_of = np.empty(n, dtype=np.int64)
    for c in np.unique(y):  # deal each class's rows round-robin after a shuffle
        rows = np.flatnonzero(y == c)
        rng.shuffle(rows)
        fold_of[rows] = (np.arange(len(rows)) + rng.integers(folds)) % folds
    keep = np.ones(n, dtype=bool) if exclude is None else ~exclude
    return [
        FitJob(
            train_index=np.flatnonzero((fold_of != k) & keep),
            predict_index=np.flatnonzero(fold_of == k),
        )
        for k in range(folds)
    ]


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
