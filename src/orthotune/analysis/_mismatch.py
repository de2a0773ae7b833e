"""Data mismatch: per-source dev errors, the train-dev vs dev gap, a domain classifier, and
synthesis of training data toward the dev distribution.

The lecture: when the dev set mixes distributions the training set lacks, "dev error on the subsets
of dev sets will differ" (human < train < dev1 < dev < dev2), and the fix is to "artificially
synthesize new training data which will be more similar to real-world data": add noise, blur,
distortions. Here:
- ``mismatch_from_predictions``: train, train-dev and dev error (variance = train-dev − train,
  data mismatch = dev − train-dev) and the dev error of each source;
- ``domain_classifier``: a cross-validated gradient-boosting classifier telling train examples
  from dev examples. AUC near 0.5 means one distribution; for tabular data the features that
  separate them most (univariate AUC) are listed;
- ``synthesize_toward``: tries augmentation policies of the data layer (noise, blur, distortion)
  on the training examples and keeps the one that makes them hardest to tell from dev — the
  policy text is a ``TrainConfig.augment`` value, a knob the autopilot can turn;
- ``dev_likeness_weights``: example weights that make the training set count like the dev set
  (importance weights p(dev|x)/p(train|x) from the same kind of domain classifier) — the other
  data-mismatch knob, reweighting examples.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import BaseModel, Field

from orthotune._errors import InvalidInputError
from orthotune.analysis._predictions import Predictions

SCHEMA_VERSION = 1
SAME_DISTRIBUTION_AUC = 0.6  # below this AUC the domain classifier barely tells them apart


class SourceError(BaseModel):
    """Error of one source within a split (the lecture's dev1 / dev2)."""

    source: str
    n: int
    error_rate: float


class MismatchReport(BaseModel):
    """Error levels by split and source (persisted inside analysis/errors.json)."""

    schema_version: int = SCHEMA_VERSION
    train_error: float | None = None
    train_dev_error: float | None = None
    dev_error: float | None = None
    variance: float | None = Field(default=None, description="train-dev error − train error")
    data_mismatch: float | None = Field(default=None, description="dev error − train-dev error")
    dev_sources: list[SourceError] = Field(default_factory=list)
    worst_source: str | None = None


class FeatureShift(BaseModel):
    """One input feature and how well it alone tells train from dev (|AUC − 0.5| · 2)."""

    name: str
    separation: float


class DomainShift(BaseModel):
    """The domain classifier's verdict: can train be told from dev?"""

    schema_version: int = SCHEMA_VERSION
    auc: float = Field(description="cross-validated ROC AUC of train-vs-dev; 0.5 = same")
    n_train: int
    n_dev: int
    same_distribution: bool
    top_features: list[FeatureShift] = Field(default_factory=list)


class SynthesisCandidate(BaseModel):
    policy: str
    auc: float


class SynthesisChoice(BaseModel):
    """Which augmentation makes the training data look most like dev (lowest domain AUC)."""

    schema_version: int = SCHEMA_VERSION
    baseline_auc: float
    best_policy: str | None = Field(description="a TrainConfig.augment value; None = none helps")
    best_auc: float
    candidates: list[SynthesisCandidate]


def _error(preds: Predictions, mask: np.ndarray) -> float | None:
    return float((preds.y_true[mask] != preds.y_pred[mask]).mean()) if mask.any() else None


def mismatch_from_predictions(preds: Predictions) -> MismatchReport | None:
    """Error levels per split and per dev source; None when the file has no split column."""
    if preds.split is None:
        return None
    levels = {s: _error(preds, preds.split == s) for s in ("train", "train-dev", "dev")}
    report = MismatchReport(
        train_error=levels["train"],
        train_dev_error=levels["train-dev"],
        dev_error=levels["dev"],
    )
    if levels["train"] is not None and levels["train-dev"] is not None:
        report.variance = levels["train-dev"] - levels["train"]
    if levels["train-dev"] is not None and levels["dev"] is not None:
        report.data_mismatch = levels["dev"] - levels["train-dev"]
    if preds.source is not None:
        dev = preds.split == "dev"
        for s in sorted(set(preds.source[dev].tolist())):
            mask = dev & (preds.source == s)
            report.dev_sources.append(
                SourceError(source=s, n=int(mask.sum()), error_rate=_error(preds, mask) or 0.0)
            )
        if len(report.dev_sources) > 1:
            report.worst_source = max(report.dev_sources, key=lambda e: e.error_rate).source
    return report


def _as_table(x: torch.Tensor | np.ndarray) -> np.ndarray:
    """Flattened features plus, for signals and images, per-example level, spread and roughness
    (mean |difference| of neighbours: noise raises it, blur lowers it)."""
    arr = x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    arr = arr.astype(np.float64)
    flat = arr.reshape(len(arr), -1)
    if arr.ndim <= 2:
        return flat
    rough = np.abs(np.diff(arr, axis=-1)).reshape(len(arr), -1).mean(axis=1)
    stats = np.stack([flat.mean(axis=1), flat.std(axis=1), rough], axis=1)
    return np.concatenate([flat, stats], axis=1)


def _univariate_separation(features: np.ndarray, is_dev: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    n_dev = is_dev.sum()
    n_train = len(is_dev) - n_dev
    out = np.empty(features.shape[1])
    for j in range(features.shape[1]):
        ranks = rankdata(features[:, j])
        auc = (ranks[is_dev].sum() - n_dev * (n_dev + 1) / 2) / (n_dev * n_train)
        out[j] = abs(auc - 0.5) * 2
    return out


def domain_classifier(
    train_x: torch.Tensor | np.ndarray,
    dev_x: torch.Tensor | np.ndarray,
    *,
    feature_names: tuple[str, ...] | list[str] = (),
    folds: int = 5,
    max_examples: int = 4000,
    top: int = 5,
    seed: int = 0,
) -> DomainShift:
    """Cross-validated AUC of a classifier telling ``train_x`` from ``dev_x`` (same shapes).

    Each side is subsampled to ``max_examples`` and the sides are balanced; for tabular data the
    ``top`` features that separate them most are listed.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from threadpoolctl import threadpool_limits

    a, b = _as_table(train_x), _as_table(dev_x)
    if a.shape[1] != b.shape[1]:
        raise InvalidInputError(
            f"train examples have {a.shape[1]} features and dev examples {b.shape[1]}; the "
            "domain classifier needs the same features on both sides"
        )
    if len(a) < folds or len(b) < folds:
        raise InvalidInputError(
            f"the domain classifier needs at least {folds} train and {folds} dev examples, "
            f"got {len(a)} and {len(b)}"
        )
    rng = np.random.default_rng(seed)
    m = min(len(a), len(b), max_examples)
    a = a[rng.choice(len(a), m, replace=False)]
    b = b[rng.choice(len(b), m, replace=False)]
    features = np.concatenate([a, b])
    is_dev = np.r_[np.zeros(m, dtype=bool), np.ones(m, dtype=bool)]
    clf = HistGradientBoostingClassifier(max_iter=60, learning_rate=0.1, random_state=seed)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):  # small fits: threads only contend on a busy machine
        score = cross_val_predict(clf, features, is_dev, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(is_dev, score))
    shift = DomainShift(auc=auc, n_train=m, n_dev=m, same_distribution=auc < SAME_DISTRIBUTION_AUC)
    tabular = (
        np.asarray(train_x).ndim <= 2
        if not isinstance(train_x, torch.Tensor)
        else (train_x.dim() <= 2)
    )
    if tabular:
        sep = _univariate_separation(features, is_dev)
        names = list(feature_names) or [f"x{j}" for j in range(features.shape[1])]
        order = np.argsort(-sep, kind="stable")[:top]
        shift.top_features = [FeatureShift(name=names[j], separation=float(sep[j])) for j in order]
    return shift


def candidate_policies(input_dims: int) -> list[str]:
    """Augmentations to try (data layer's policy text): noise for every kind; blur and
    distortion (scale/shift, rotation for images) for signals and images."""
    noise = [f"noise={s}" for s in (0.05, 0.1, 0.2, 0.4)]
    if input_dims <= 1:
        return noise
    blur = [f"blur={s}" for s in (0.5, 1.0, 2.0)]
    distort = ["scale=0.1,shift=0.05", "scale=0.2,shift=0.1"]
    if input_dims == 3:
        distort.append("rotate=15")
    return noise + blur + distort


def synthesize_toward(
    train_x: torch.Tensor,
    dev_x: torch.Tensor,
    *,
    candidates: list[str] | None = None,
    seed: int = 0,
    max_examples: int = 2000,
    deadline: float | None = None,
) -> SynthesisChoice:
    """Augment the training examples with each candidate policy and keep the one whose output
    the domain classifier tells from dev least well (AUC closest to 0.5). With ``deadline``
    (``time.monotonic()``), a policy whose classifier would end past it, at the pace of the
    last one, is not tried (a 60-s tune spent 70 s on nine of them before any variant)."""
    import time

    from orthotune.data import Augmenter

    policies = candidates or candidate_policies(train_x.dim() - 1)
    t0 = time.monotonic()
    base = domain_classifier(train_x, dev_x, seed=seed, max_examples=max_examples)
    tried = []
    for text in policies:
        pace, t0 = time.monotonic() - t0, time.monotonic()
        if deadline is not None and t0 + pace > deadline:
            break
        gen = torch.Generator().manual_seed(seed)
        moved = Augmenter.from_policy(text)(train_x.float(), generator=gen)
        auc = domain_classifier(moved, dev_x, seed=seed, max_examples=max_examples).auc
        tried.append(SynthesisCandidate(policy=text, auc=auc))
    best = min(tried, key=lambda c: abs(c.auc - 0.5), default=None)
    helps = best is not None and abs(best.auc - 0.5) < abs(base.auc - 0.5)
    return SynthesisChoice(
        baseline_auc=base.auc,
        best_policy=best.policy if helps else None,
        best_auc=best.auc if helps else base.auc,
        candidates=tried,
    )


def dev_likeness_weights(
    train_x: torch.Tensor | np.ndarray,
    dev_x: torch.Tensor | np.ndarray,
    *,
    folds: int = 5,
    max_dev: int = 4000,
    clip: float = 10.0,
    seed: int = 0,
    deadline: float | None = None,
) -> np.ndarray | None:
    """One weight per training example, mean 1: p(dev | x) / p(train | x) from a domain
    classifier (gradient boosting, classes balanced) that never saw that example — each fold
    of the training examples is scored by a classifier fit on the other folds and the dev
    examples. Weights are clipped to [1/clip, clip] before normalizing, so a few examples that
    look like nothing in training cannot take the whole loss. None when ``deadline``
    (``time.monotonic()``) comes before the last fold would end, at the pace of the first."""
    import time

    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    a, b = _as_table(train_x), _as_table(dev_x)
    if a.shape[1] != b.shape[1]:
        raise InvalidInputError(
            f"train examples have {a.shape[1]} features and dev examples {b.shape[1]}; "
            "reweighting needs the same features on both sides"
        )
    if len(a) < folds or len(b) < 2:
        raise InvalidInputError(
            f"reweighting toward dev needs at least {folds} train and 2 dev examples, got "
            f"{len(a)} and {len(b)}"
        )
    rng = np.random.default_rng(seed)
    if len(b) > max_dev:
        b = b[rng.choice(len(b), max_dev, replace=False)]
    fold_of = rng.permutation(len(a)) % folds
    p_dev = np.empty(len(a))
    started = time.monotonic()
    with threadpool_limits(limits=1):
        for k in range(folds):
            pace = (time.monotonic() - started) / max(k, 1)
            if deadline is not None and k and time.monotonic() + pace * (folds - k) > deadline:
                return None
            held = fold_of == k
            x = np.concatenate([a[~held], b])
            is_dev = np.r_[np.zeros(int((~held).sum()), dtype=int), np.ones(len(b), dtype=int)]
            clf = HistGradientBoostingClassifier(
                max_iter=60, learning_rate=0.1, class_weight="balanced", random_state=seed
            )
            clf.fit(x, is_dev)
            p_dev[held] = clf.predict_proba(a[held])[:, 1]
    p_dev = np.clip(p_dev, 1e-6, 1 - 1e-6)
    weights = np.clip(p_dev / (1.0 - p_dev), 1.0 / clip, clip)
    return weights / weights.mean()
