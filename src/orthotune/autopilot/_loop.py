"""The orthogonal loop: diagnose → pick the problem → turn that problem's knob only → verify.

1. Train the baseline (``fit.baseline``) and measure train, train-dev (when present)
   and dev error. On feature vectors the same model is also trained on binned inputs (each
   numeric feature beside ``input_bins`` quantile-bin components, ``data.Bins``) and, where a
   feature has values many examples share, on those binned inputs with each such value marked
   (``_ENCODINGS``); step 0 keeps the input encoding with the lowest dev error (``INPUT_BINS``
   and ``_ENCODINGS`` say why). Under a time
   budget the default baseline trains the epochs that fit (``_fitted``).
2. Diagnose against human-level (and Bayes) error (``orthotune.diagnose``): the problem is the
   avoidable bias while it is high (above tolerance and outside the noise), then the largest
   remaining high gap (the lecture: "first focus on bias"). When no gap is high — well-trained,
   or past human level where the avoidable bias is unknown — keep lowering the dev error.
3. Take that problem's next knob (``KNOB_MENU``) and train its variants together (other settings
   held) through the executor.
4. Keep the best variant only if it lowers the problem's *targeted error* beyond the noise —
   a paired 95 % interval on the same examples (``_compare``) entirely below zero — and no other
   gap grows by more than the tolerance:

   ============== ======================== ==========================================
   problem        targeted error           must not grow beyond tolerance
   ============== ======================== ==========================================
   avoidable bias train                    variance
   variance       train-dev (else dev)     avoidable bias (train error)
   data mismatch  dev                      variance (train-dev − train)
   dev error      dev                      —
   ============== ======================== ==========================================

   The targeted error stands for the gap: lowering the gap by making the other side worse
   (train error up) is not progress, and the guard column rules it out. One exception: a bias
   variant that lowers the dev error too, beyond the noise (Holm over the step's variants), is
   kept though the variance grew — the bias fix reached what the user measures, and the
   variance is the next step's problem. On a 50,000-row synthetic table (dev data) a 2× wider
   network lowered train error 12.2 → 8.9 % and dev error 15.6 → 14.7 % on 10,000 dev rows,
   and was refused for the variance it added. A guarded gap that grew but stays within the
   tolerance refuses nothing (early stopping that raised a model that had learned noisy labels
   back toward human level was refused as "avoidable bias grew by 8.3 %"), and a bias variant
   whose variance grew only as its train error fell — its train-dev (or dev) error not higher
   — is kept: variance = train-dev − train grows by whatever a bias fix takes off the train
   error (a variant that halved it, train-dev unchanged, was refused). On the development sets
   with bias steps (seed 0, 300 s): on synthetic the rule kept a 2× longer training at step 3
   (train error lower beyond the noise, dev error 22.17 → 21.75 %); on synthetic_large it did
   not act (every refused bias variant raised the dev error).
5. Log the step; when every knob of a problem has failed for the current model, that problem is
   exhausted and the next one is taken; a kept variant makes every knob worth trying again —
   except a knob the guard refused, which waits until a kept step lowers the gap that refused
   it (``_Tried``).
6. Stop at the goal, at the end of the budget, or when no knob helps; then measure the test error
   once, for the chosen model, and diagnose dev-set overfitting (test − dev). Under a time
   budget, with the refit on and no k-fold, the loop's end of the budget comes early by the
   refit's estimated cost (``_refit_reserve``): where one model costs a good part of the budget
   the loop would otherwise spend all of it, and the refit — which beat the chosen model on
   dev in 6 of 6 runs (``AutopilotSettings.refit``) — never ran: on MNIST-1D (about 30 s a
   model, 300 s) and on a 50,000-row synthetic table it was cut at the deadline every time.
   A variant that would not finish before the loop's end (``_variant_costs``) is not started —
   cut short, it would be lost; a step none of whose variants fits is skipped, and the next
   knob is tried, unless not even a model as dear as the current one fits: the loop ends.
   A refit is started only when the time left covers ``REFIT_START`` of its estimate (the log
   says so when it is not).
7. When no knob helps (or the budget is spent), the learning curve measures whether more data
   would help the loop's choice, if it fits in the time left before the refit's share; the
   polish (``autopilot._polish``) then spends what is left up to that share, and the refit
   ends the run.

Small data (fewer than ``small_data`` training examples, one source): a dev set of a few dozen
examples cannot tell two models apart, so train and dev are pooled and every model is
cross-validated on the pool (``folds`` fold models and a full one, trained at once): the dev
error is the out-of-fold error over all pooled examples, the model kept is the full one, and
the test set still judges it once at the end. Early stopping, which watches a dev set, is not
tried then.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune._records import CUT_SHORT, DecisionLog, Step, StopReason, VariantScore
from orthotune.analysis import (
    DEFAULT_FRACTIONS,
    LearningCurve,
    learning_curve,
    minimum_train_examples,
)
from orthotune.autopilot._compare import ALPHA, PairedChange, adjust, describe, paired_change
from orthotune.autopilot._fitted import about, apart, fitted_baseline
from orthotune.autopilot._polish import GROWN, INTERRUPTED, Contender, polish
from orthotune.autopilot._refit import RefitCost, grow_refitted, refit
from orthotune.autopilot._variants import (
    KNOB_MENU,
    beyond_tuning,
    offered,
    variants,
)
from orthotune.autopilot._yardstick import SHARE as YARDSTICK_SHARE
from orthotune.autopilot._yardstick import floor, yardstick
from orthotune.data import PreparedData
from orthotune.diagnose import Diagnosis, ErrorLevels, diagnose
from orthotune.fit import (
    Candidate,
    EpochHook,
    Trained,
    baseline,
    error_levels,
    error_rate,
    score_parts,
    train_candidates,
)
from orthotune.models import ModelSpec, build_model, flops_per_example
from orthotune.train import TrainConfig, WarmStart

__all__ = [
    "AutopilotResult",
    "AutopilotSettings",
    "FirstChoice",
    "first_choices",
    "levels_of",
    "run_autopilot",
]

logger = logging.getLogger(__name__)

_TARGET = {
    "avoidable_bias": ("train", "train error"),
    "variance": ("train-dev", "train-dev error"),  # dev when the split has no train-dev
    "data_mismatch": ("dev", "dev error"),
    "dev_error": ("dev", "dev error"),
}
_GUARD = {"avoidable_bias": "variance", "variance": "avoidable_bias", "data_mismatch": "variance"}


@dataclass
class _Tried:
    """The knobs tried for the current model, as (problem, knob).

    A kept variant makes every knob worth trying again, except one the guard refused (a variant
    lowered its problem's error beyond the noise but grew the guarded gap beyond tolerance):
    that one waits until a kept step lowers the gap that refused it — the problem of that name.
    A step that changed something else leaves the reason it was refused where it was. On a
    50,000-row synthetic table (``builtin:synthetic?n=50000&classes=5&features=20&noise=0.05``,
    dev data, 300 s) a learning-rate change kept at 2:49 made the loop try a bigger network and
    longer training again (both refused again for the variance they added) and the other bias
    knobs, until 4:59: the 10-point variance got one second."""

    knobs: set[tuple[str, str]] = field(default_factory=set)
    refused: dict[tuple[str, str], str] = field(default_factory=dict)  # → the gap that refused

    def next(self, problem: str, menu: tuple[str, ...]) -> str | None:
        """The first knob of ``menu`` not tried for ``problem``, or None."""
        return next((k for k in menu if (problem, k) not in self.knobs), None)

    def add(self, problem: str, knob: str, refused_by: str | None = None) -> None:
        self.knobs.add((problem, knob))
        if refused_by is not None:
            self.refused[(problem, knob)] = refused_by

    def kept(self, problem: str) -> None:
        """A variant was kept for ``problem``: every knob is worth trying again but those the
        guard refused for another gap than ``problem``."""
        self.refused = {k: gap for k, gap in self.refused.items() if gap != problem}
        self.knobs = set(self.refused)


# Quantile bins per numeric feature for step 0's second input encoding (0: standardized only).
# Chosen on dev data only (``python bench/encoding.py``: the default MLP, 3 seeds, 5-fold out of
# fold over train + dev, the test sets never scored; median accuracy, standardized → 32 bins).
# Binned inputs won where gradient-boosted trees beat the plain MLP: AER CreditCard 92.99 →
# 96.97 % (HGB 96.97 %), modeldata hpc_data 78.18 → 83.41 % (HGB 84.16 %), breast_cancer_nan
# 95.39 → 96.49 %, attrition 85.03 → 85.63 % (wine 97.89 → 98.59 %, one example); they lost
# where the MLP already beat the trees: synthetic 74.46 → 71.38 % (HGB 72.54 %), ISLR OJ 80.37 →
# 79.79 % (breast_cancer: a tie at 97.15 %). Neither encoding suits every table, so step 0 trains
# both (the same model, seed and folds) and keeps the one with the lower dev error. The count:
# 8, 16, 32 and 64 bins averaged 88.37, 88.25, 88.68 and 88.56 % over the 8 tables; 32 gave the
# best average, and hpc_data, where the trees lead most, gained most from finer bins (82.48,
# 83.23, 83.41, 83.49 %). (8 had been chosen on 4, 8 and 16 only.)
INPUT_BINS = 32
# step 0's other input encodings, each tried after the standardized baseline: (candidate name,
# words added to its label, whether the values many training examples share are marked —
# ``data.Bins``; tried only where a feature has such values, kept by dev error like the bins).
# The third on dev data only (``python bench/encoding.py --points --bins 32``, 3 seeds, 5-fold
# out of fold over train + dev): on modeldata's stackoverflow, whose salaries were converted
# from each country's currency (the values one country's rows share name it), standardized /
# 32 bins / 32 bins and marked values 63.64 / 64.00 / 81.99 % against HGB's 76.04 %; it lost
# on the six other development tables with shared values (hpc_data 83.41 → 71.89 %, attrition
# 85.63 → 84.35 %, oj 79.91 → 78.86 %, ames 96.76 → 96.37 %, breast_cancer 97.15 → 96.71 %,
# wine 98.59 → 97.89 %), where step 0 keeps another encoding: so it is a third candidate, not a
# change of the bins. The better of two encodings averaged −0.66 points against HGB over those
# ten tables, the better of three +1.13.
_ENCODINGS = (
    ("baseline-bins", "", False),
    ("baseline-points", " and its shared values marked", True),
)
# wider vectors (pixels or samples flattened, not a table's columns) are not binned: T + 1 times
# their width would cost memory and first-layer weights for little (the tables above have 9–30).
# Counted are the features that get bins (more than two values): a table's one-hot columns get
# none, and counting them left ames (34 numeric columns beside 276 one-hot ones; 32 bins out of
# fold 96.59 → 96.76 %, ``bench/encoding.py``) and a new-user sweep's openintro birds (6
# numeric columns, hundreds of one-hot ones; HGB 5.4 points ahead on its thresholds) without
# the encoding that gives thresholds
INPUT_BINS_MAX_FEATURES = 256
# nor are tables whose binned copy would exceed this many numbers (2²⁸ float32: 1 GiB in memory)
INPUT_BINS_MAX_CELLS = 1 << 28

# the time kept for the refit, relative to its estimated cost (``refit_cost``: the chosen
# model's seconds scaled by train + dev examples over train). A refit cut at the deadline is
# all lost: on MNIST-1D (300 s, dev data) the estimate was 37 s and the refit, started with
# 36.7 s left, was cut in 2 seeds of 3; where it ran it took 35.5 s of an estimated 42 s
REFIT_MARGIN = 1.25
# a refit is started only when the time left covers this share of its estimated cost: the
# lowest ratio of a refit's seconds to its estimate seen on dev data (0.85 on MNIST-1D, 35.5 s of
# 42; 0.87–1.05 on synthetic_large, 300 s runs; README). Cut at the deadline a refit is lost: on
# a 50,000-row synthetic table one started with 8 s left of an estimated 31 s ran past the
# budget, and on MNIST-1D (seed 1, 300 s, 2026-12-05) the refit of a kept ensemble of 3 seeds,
# estimated at 31 s, was started with 20 s left (the rule was then half the estimate) and cut
REFIT_START = 0.85


@dataclass(frozen=True)
class AutopilotSettings:
    """Knobs of the autopilot itself."""

    budget_s: float = 300.0  # math.inf: no wall-clock limit (a count budget, ``trials``)
    # a count budget: stop after this many models (trials; the baseline is the first), so a
    # seeded run is reproducible whatever the machine's speed
    trials: int | None = None
    human_error: float | None = None
    bayes_error: float | None = None
    tolerance: float = 0.01
    goal: float | None = None  # dev accuracy at which to stop
    executor: str = "population"
    device: str = "auto"
    # float32 unless asked (train/_precision.py), on dev data (2-core EPYC with AVX512-BF16, 1
    # thread, 2026-12-03). bfloat16 trains MNIST-1D's default CNN faster at the same median dev
    # accuracy, 14.6 s a model against 19.8 s, 97.40 % both (``bench/defaults.py --sets
    # builtin:mnist1d``, 3 seeds), but the autopilot in bfloat16 kept no variant in any of 3
    # seeds: its models' dev error 2.5 / 2.0 / 1.8 % after 13–14 models, against 1.8 / 1.6 /
    # 1.4 % in float32 after 7–11 (a 2× wider network, twice the epochs, twice the epochs;
    # ``bench/suite.py --sets mnist1d --methods autopilot --seeds 3``, with
    # ``--autopilot-precision auto`` for bfloat16; the decision logs)
    precision: str = "fp32"
    seed: int = 0
    max_steps: int = 50
    start: tuple[ModelSpec, TrainConfig] | None = None  # default: baseline() of the data shape
    folds: int = 5  # k of the cross-validation on small data
    small_data: int = 2000  # fewer training examples than this (one source): cross-validate
    # when no knob helps and the budget left fits it, measure whether more data would
    # (``analysis.learning_curve`` on the hold-out split, the chosen configuration)
    learning_curve: bool = True
    # spend the budget left when no knob helps on the polish phase (``_polish``)
    polish: bool = True
    # train the chosen configuration again on train + dev at the end (``_refit``). On by
    # default: on the suite's development sets (bench/refit.py: an outer split judges, the
    # autopilot runs on an inner split of train with a count budget of 12 models) the refit
    # model's outer dev accuracy beat the chosen model's in 6 of 6 runs — MNIST-1D +0.10 /
    # +0.10 / +0.50 points, synthetic +0.33 / +1.25 / +3.08 (seeds 0–2); under a time budget
    # it costs about one more training of the chosen model, kept aside from the polish
    refit: bool = True
    # vector data: a gradient-boosting model's dev error beside the network's (``_yardstick``)
    yardstick: bool = True
    # transfer learning (tune --init-from): the checkpoint the transfer_learning knob starts from
    warm_start: WarmStart | None = None
    # feature vectors: step 0 also tries this many quantile bins per numeric feature (0: never)
    input_bins: int = INPUT_BINS
    # under a time budget the default baseline trains the epochs that fit (``_fitted``);
    # False: its own, cut at the deadline wherever the schedule stands (``bench/short_budget.py``)
    fit_baseline: bool = True


def _validation(data: PreparedData, settings: AutopilotSettings, config: TrainConfig):
    """(data to train on, folds or None, config, how errors are estimated — in words).

    Cross-validation (train + dev pooled, as both the train and the dev part) unless there are
    enough training examples, or a train-dev part (dev from another source, where pooling would
    hide the data mismatch)."""
    if data.train_dev is not None or len(data.train) >= settings.small_data:
        return data, None, config, f"hold-out dev set of {len(data.dev)} examples"
    pool = data.train.join(data.dev)
    words = (
        f"{settings.folds}-fold cross-validation over the {len(pool)} train + dev "
        f"examples ({len(data.train)} training examples, fewer than {settings.small_data}): "
        "the dev error is out of fold, the model kept is trained on all of them"
    )
    if config.patience is not None:  # no dev set to watch
        config = config.model_copy(update={"patience": None})
    return dataclasses.replace(data, train=pool, dev=pool), settings.folds, config, words


@dataclass
class AutopilotResult:
    """The chosen model, its final diagnosis (with test error) and the decision log."""

    chosen: Trained
    diagnosis: Diagnosis
    log: DecisionLog
    test_wrong: object = None  # the diagnosed model's mistakes on test (before a refit), if any
    trained: list[Trained] = field(default_factory=list)
    learning_curve: LearningCurve | None = None  # would more data help? (when measured)
    data: PreparedData | None = None  # the parts as the chosen model reads them (step 0's choice)
    # the example ids of ``chosen.dev_logits``' rows, when it has them: logits of models that had
    # not learned from those examples (k-fold's out of fold, or the configuration's before its
    # refit), so that error analysis reads honest dev mistakes of a model that learned from dev
    held_out_ids: np.ndarray | None = None


def levels_of(
    trained: Trained,
    data: PreparedData,
    settings: AutopilotSettings,
    *,
    test_error: float | None = None,
) -> ErrorLevels:
    """Error levels of a trained candidate against the settings' human-level / Bayes error."""
    return error_levels(
        trained,
        data,
        human_error=settings.human_error,
        bayes_error=settings.bayes_error,
        test_error=test_error,
    )


def _menu(problem: str, settings: AutopilotSettings, spec: ModelSpec) -> tuple[str, ...]:
    """The knobs of ``problem`` in order; transfer learning only with the user's checkpoint,
    the input knobs only where ``spec``'s inputs give them something to turn (``offered``)."""
    return tuple(
        k
        for k in KNOB_MENU[problem]
        if (k != "transfer_learning" or settings.warm_start is not None) and offered(k, spec)
    )


def _find_gap(diag: Diagnosis, name: str):
    return next((g for g in diag.decomposition.gaps() if g.name.value == name), None)


def _gap(diag: Diagnosis, name: str) -> float | None:
    found = _find_gap(diag, name)
    return None if found is None else found.value


def _choose_problem(diag: Diagnosis, exhausted: set[str]) -> str | None:
    first = diag.problem.value
    if first in KNOB_MENU and KNOB_MENU[first] and first not in exhausted:
        return first
    high = sorted(
        (
            (_gap(diag, name) or 0.0, name)
            for name, is_high in diag.is_high.items()
            if is_high and name in ("variance", "data_mismatch") and name not in exhausted
        ),
        reverse=True,
    )
    if high:
        return high[0][1]
    return None if "dev_error" in exhausted else "dev_error"


def _judge(
    problem: str,
    cand: Trained,
    change: PairedChange,
    cur_diag: Diagnosis,
    new_diag: Diagnosis,
    target_part: str,
    tolerance: float,
    dev_change: PairedChange | None = None,
) -> tuple[bool, str]:
    """Is ``cand`` kept? ``change``: its targeted error against the current model's, with the
    p-value Holm-adjusted over the step's variants (``_compare``); ``dev_change``: its dev
    error's, likewise (bias steps: a variant that lowers it beyond the noise passes the
    guard)."""
    if not cand.complete:
        return False, f"{CUT_SHORT}: not comparable"
    if not change.better_beyond_noise:
        said = f"{target_part} error {describe(change)} does not beat the noise"
        if change.high < 0 and change.p_adjusted is not None:  # its interval, shown alone, lies
            # below zero (a sweep read the two as a contradiction): the step picked the best of
            # several
            said += (
                f" once Holm's adjustment counts the step's other variants (adjusted p "
                f"{change.p_adjusted:.3g} ≥ {ALPHA:g})"
            )
        return False, said
    guard = _GUARD.get(problem)
    if guard is not None:
        before, after = _gap(cur_diag, guard), _gap(new_diag, guard)
        if before is not None and after is not None and after - before > tolerance:
            grew = f"{guard.replace('_', ' ')} grew by {after - before:.2%}"
            if problem == "avoidable_bias" and dev_change and dev_change.better_beyond_noise:
                return True, (
                    f"{target_part} error {describe(change)}; {grew}, but the dev error fell "
                    f"too: {describe(dev_change)}"
                )
            if after <= tolerance:  # grew, and is no problem: a variance fix that raised a
                # model that had learned label noise (train error below human level) back
                # toward human level was refused as "avoidable bias grew by 8.3 %"
                return True, (
                    f"{target_part} error {describe(change)}; {grew}, to {after:.2%}: within "
                    "the tolerance"
                )
            upper = _upper_error(cur_diag, guard), _upper_error(new_diag, guard)
            if problem == "avoidable_bias" and None not in upper and upper[1] <= upper[0]:
                # variance = train-dev − train: a bias fix grows it by what it takes off the
                # train error; refused only when the train-dev (or dev) error rose too (a
                # variant that halved the train error, train-dev unchanged, was refused)
                level = _find_gap(new_diag, guard).upper
                return True, (
                    f"{target_part} error {describe(change)}; {grew} only as the train error "
                    f"fell: the {level} error did not rise ({upper[0]:.2%} → {upper[1]:.2%})"
                )
            return False, f"{grew} (> tolerance)"
    return True, f"{target_part} error {describe(change)}"


def _upper_error(diag: Diagnosis, name: str) -> float | None:
    """The error of the level gap ``name`` is measured down from (variance: train-dev, or dev
    without a train-dev set)."""
    gap = _find_gap(diag, name)
    level = None if gap is None else diag.decomposition.level(gap.upper)
    return None if level is None else level.error


def _key(v, init) -> tuple:
    """What makes two variants the same training: model, config, — for reweighting — the
    weights they train with (named by their label) and the weights they start from."""
    return (v.spec, v.config, v.label if v.weights is not None else None, init)


def _init_of(v, current: Trained):
    """The weights a variant starts from: its own (transfer learning), else the current
    model's while the architecture still fits them (a bigger network starts afresh)."""
    if v.init is not None:
        return v.init
    init = current.candidate.init
    return init if init is not None and init.spec.shape_key() == v.spec.shape_key() else None


# reweighting is not tried where this share of the training examples sits at the weights' floor
# (``_dev_weights``): no number from a development set, the no-op it guards is exact — carData's
# Arrests trained on one group and judged on another (a new-user sweep) had every example at
# the floor, and a Gaussian judged against itself shifted by 50 has 299 of 300 there
ALIKE_FLOOR = 0.99
# a mismatch knob not tried for want of time (the loop's stop names it: ``short``), not because
# its domain classifier found no use
CLASSIFIER_TOO_SLOW = "its domain classifier (5 folds) does not fit in the time left"
NO_TIME_FOR_CLASSIFIER = "its domain classifier and one model do not fit in the time left"


def _dev_weights(data: PreparedData, seed: int, deadline: float):
    """Each training example's dev-likeness weight (``dev_likeness_weights``), as a tensor, and
    None; or None and why there is none: its domain classifier would end past ``deadline``, or
    it tells (almost) every training example from dev (``ALIKE_FLOOR`` of them clipped to the
    floor alike: the variants would train the current model again, bit for bit, or on a few
    examples weighed 100 times — Arrests, "did not beat the noise" twice)."""
    import torch

    from orthotune.analysis import dev_likeness_weights

    w = dev_likeness_weights(data.train.x, data.dev.x, seed=seed, deadline=deadline)
    if w is None:
        return None, CLASSIFIER_TOO_SLOW
    if np.mean(w <= w.min() * (1 + 1e-9)) >= ALIKE_FLOOR:
        return None, (
            "a domain classifier tells (almost) every training example from the dev examples, "
            "so no weight can make the training data count like dev: collect training data "
            "like dev"
        )
    if data.train.weights is not None:  # on top of the data's own weights
        w = w * data.train.weights.numpy()
    return torch.as_tensor(w, dtype=torch.float32), None


def _synthesis(data: PreparedData, seed: int, deadline: float) -> str | None:
    """The augmentation that makes training inputs hardest to tell from dev inputs (a domain
    classifier's AUC closest to 0.5), when one gets closer than the raw training data — of the
    policies whose classifier ends before ``deadline``."""
    from orthotune.analysis import synthesize_toward

    choice = synthesize_toward(data.train.x, data.dev.x, seed=seed, deadline=deadline)
    logger.info("data synthesis toward dev: %s", choice)
    return choice.best_policy


@dataclass(frozen=True)
class FirstChoice:
    """What the autopilot would do first after training the start model with one seed."""

    seed: int
    problem: str
    knob: str
    diagnosis: Diagnosis


def first_choices(
    data: PreparedData, settings: AutopilotSettings, *, seeds: int = 5
) -> list[FirstChoice]:
    """Train the start model with ``seeds`` seeds at once and return each seed's first problem
    and knob — the ground-truth scenarios check that the seeds agree on the right one."""
    ds = data.dataset
    spec, config = settings.start or baseline(ds.input_shape, ds.num_classes)
    data, folds, config, _ = _validation(data, settings, config)
    cands = [Candidate(f"seed{s}", spec, config, settings.seed + s) for s in range(seeds)]
    out = []
    for trained in train_candidates(
        cands,
        data,
        executor=settings.executor,
        device=settings.device,
        precision=settings.precision,
        folds=folds,
        fold_seed=settings.seed,
    ):
        diag = diagnose(levels_of(trained, data, settings), tolerance=settings.tolerance)
        problem = _choose_problem(diag, set())
        knob = _menu(problem, settings, spec)[0] if problem else "none"
        out.append(FirstChoice(trained.candidate.seed, problem or "none", knob, diag))
    return out


def run_autopilot(
    data: PreparedData,
    settings: AutopilotSettings,
    *,
    on_step: Callable[[Step], None] | None = None,
    on_trained: Callable[[Trained, Step | None, str], None] | None = None,
    on_epoch: EpochHook | None = None,
    on_inputs: Callable[[PreparedData], None] | None = None,
    started: float | None = None,
) -> AutopilotResult:
    """Run the loop of the module docstring within ``settings.budget_s`` seconds.

    ``on_inputs`` hears, before any model is recorded, of the parts the models read when step 0
    keeps binned inputs (their normalizer is the one to save with a model).

    The budget's clock starts at ``started`` (a ``time.monotonic()`` reading; default: now):
    the job passes its own start, so that loading and preparing the data count, and only the
    scoring and saving of the chosen model come after the budget.

    ``on_epoch`` sees every epoch of every model (live progress: return None). Ctrl-C
    (KeyboardInterrupt) while models train ends the loop with ``StopReason.INTERRUPTED`` and
    the model kept so far, or is raised again while the baseline trains (nothing to keep)."""
    started = time.monotonic() if started is None else started
    deadline = started + settings.budget_s
    recorded = [0.0, 0]  # seconds ``on_trained`` took, models it recorded (the polish's estimate)
    if on_trained is not None:
        hook = on_trained

        def on_trained(r: Trained, step: Step | None, problem: str) -> None:
            t = time.monotonic()
            hook(r, step, problem)
            recorded[0] += time.monotonic() - t
            recorded[1] += 1

    ds = data.dataset
    spec, config = settings.start or baseline(ds.input_shape, ds.num_classes)
    log = DecisionLog()
    all_trained: list[Trained] = []
    held = data  # the hold-out split, even when the decisions cross-validate
    data, folds, config, log.validation = _validation(data, settings, config)
    start = Candidate("baseline", spec, config, settings.seed, label=f"{spec.kind} baseline")
    if settings.fit_baseline and settings.start is None and math.isfinite(deadline):
        # less the yardstick's share, which comes first (kept aside on every data shape: at
        # most 5 % of the budget, where the yardstick fits vectors only)
        left = deadline - time.monotonic() - (_yardstick_s(settings) or 0.0)
        start, holding = fitted_baseline(
            start,
            data,
            folds,
            held,
            left,
            budget_s=settings.budget_s,
            device=settings.device,
            precision=settings.precision,
        )
        if holding is not None:  # the folds' models would leave it fewer epochs
            settings = dataclasses.replace(settings, small_data=0)
            data, folds, _, log.validation = _validation(held, settings, start.config)
            log.validation += f" ({holding})"
        config = start.config

    def train(
        cands: list[Candidate], until: float = deadline, on: PreparedData | None = None
    ) -> list[Trained] | None:
        try:
            out = train_candidates(
                cands,
                on or data,
                executor=settings.executor,
                device=settings.device,
                precision=settings.precision,
                deadline=until,
                folds=folds,
                fold_seed=settings.seed,
                on_epoch=on_epoch,
            )
        except KeyboardInterrupt:  # Ctrl-C: None, and the loop stops with what it kept
            return None
        all_trained.extend(out)
        return out

    def refit_train(
        cands: list[Candidate], pooled: PreparedData, hook: EpochHook | None = None
    ) -> list[Trained]:
        """Trained as the refit trains them (its timing too: ``RefitCost``), none a model
        of the loop's."""
        return train_candidates(
            cands,
            pooled,
            executor=settings.executor,
            device=settings.device,
            precision=settings.precision,
            deadline=deadline,
            on_epoch=hook,
        )

    refit_cost = RefitCost(refit_train, timed=math.isfinite(deadline))
    log.floor = floor(data, folds=folds).model_dump(mode="json")
    stick = (
        yardstick(data, folds=folds, seed=settings.seed, seconds=_yardstick_s(settings))
        if settings.yardstick
        else None
    )
    if stick is not None:
        log.yardstick = stick.model_dump(mode="json")
    if stick is not None and stick.dev_error is not None:
        logger.info("yardstick: %s dev error %.2f%%", stick.model, 100 * stick.dev_error)
    t0 = time.monotonic()
    # the baseline always gets its turn (a second at least), even when loading the data spent
    # the budget: the run returns a model (perhaps cut short) rather than none
    first = train([start], max(deadline, time.monotonic() + 1.0))
    if first is None:  # interrupted before any model was trained: nothing to keep
        raise KeyboardInterrupt
    current = first[0]
    if current.failed:
        raise InvalidInputError(f"the baseline model could not be trained: {current.failed}")
    if current.model is None:  # its turn came after the deadline: no model to go on from
        raise InvalidInputError(
            "the baseline model was not trained: the time budget ran out before its turn "
            "(setting up took it): give a larger --budget, or --trials N"
        )
    baselines = [current]
    interrupted = False  # Ctrl-C while the binned baseline trained
    chosen = None  # the other input encoding kept: its hold-out parts
    for name, words, points in _ENCODINGS:
        # another encoding only while it and one more model fit before the refit's share: on
        # 52,000 rows at 90 s, three encodings took 57 s and left the refit no time (a sweep)
        aside = _refit_share(current, data, refit_cost, settings, folds)
        ahead = deadline - aside - time.monotonic()
        if interrupted or ahead < 2 * current.seconds:
            break
        binned = _binned(held, settings, len(all_trained), points)
        if binned is None:
            continue
        b_data = _validation(binned, settings, config)[0]
        b_spec = spec.model_copy(update={"input_shape": tuple(b_data.train.x.shape[1:])})
        label = f"{spec.kind} baseline, {settings.input_bins} bins per feature{words}"
        alt = train([Candidate(name, b_spec, config, settings.seed, label=label)], on=b_data)
        interrupted = alt is None  # the best baseline so far stays, and the loop stops
        if not interrupted:
            baselines.append(alt[0])
        if not interrupted and _better_inputs(alt[0], current):
            data, chosen, spec, current = b_data, binned, b_spec, alt[0]
    if chosen is not None:
        held = chosen
        if on_inputs is not None:
            on_inputs(held)
    diag = diagnose(levels_of(current, data, settings), tolerance=settings.tolerance)
    base_step = Step(
        index=0,
        problem="baseline",
        knob="baseline",
        target="",
        before=diag.model_dump(mode="json"),
        variants=[
            VariantScore(
                name=b.candidate.name,
                label=b.candidate.label,
                errors=b.errors,
                accepted=b is current,
                failed=b.failed,
                why=_inputs_why(b, baselines),
                seconds=b.seconds,
            )
            for b in baselines
        ],
        kept=current.candidate.name,
        why=diag.verdict.headline,
        seconds=time.monotonic() - t0,
        elapsed=time.monotonic() - started,
    )
    log.steps.append(base_step)
    exhausted: set[str] = set()
    # knobs whose models (some or all) did not fit in the time left, since the last kept model:
    # the stop names them (a new user's run said "no tunable knob lowered any remaining error"
    # where "train longer" had not been tried for want of 2 s)
    short: dict[str, None] = {}
    contenders: list[Contender] = []
    tried = _Tried()
    seen = {(spec, config, None, None)}
    counter = 0
    stop: tuple[StopReason, str] | None = None
    kept_at = time.monotonic()  # when ``current`` was kept: its refit must fit in what was left
    if interrupted:
        stop = (StopReason.INTERRUPTED, "interrupted by the user (Ctrl-C) in step 0")
    # Ctrl-C between two trainings (in a hook, a diagnosis, a step's bookkeeping) stops the
    # loop as one during training does: the kept model stays (``train`` catches its own)
    try:
        if on_trained:
            for b in baselines:
                on_trained(b, base_step, "baseline")
        if on_step:
            on_step(base_step)

        while stop is None:
            dev_acc = 1.0 - (current.error("dev") or 0.0)
            if settings.goal is not None and dev_acc >= settings.goal:
                stop = (
                    StopReason.GOAL_REACHED,
                    f"dev accuracy {dev_acc:.2%} reached the goal {settings.goal:.2%}",
                )
                break
            until = deadline - _refit_reserve(
                current, data, refit_cost, settings, folds, deadline - kept_at
            )
            if time.monotonic() >= until:
                spent = f"the {settings.budget_s:.0f} s budget is spent"
                if until < deadline:
                    spent += f", but for the {deadline - until:.0f} s kept for the refit"
                stop = (StopReason.BUDGET_SPENT, spent)
                break
            if settings.trials is not None and len(all_trained) >= settings.trials:
                stop = (StopReason.BUDGET_SPENT, f"the budget of {settings.trials} models is spent")
                break
            if len(log.steps) > settings.max_steps:
                stop = (StopReason.MAX_STEPS, f"{settings.max_steps} steps taken")
                break
            problem = _choose_problem(diag, exhausted)
            if problem is None:
                words = "no tunable knob lowered any remaining error beyond the noise"
                if short:
                    words = (
                        "no tunable knob that fitted in the time left lowered any remaining "
                        f"error beyond the noise (not tried in full for want of time: "
                        f"{', '.join(short)})"
                    )
                stop = (StopReason.NO_KNOB_HELPS, words)
                break
            knob = tried.next(problem, _menu(problem, settings, current.candidate.spec))
            if knob is None:
                exhausted.add(problem)
                continue
            tried.add(problem, knob)
            untried = dict(log=log, on_step=on_step, problem=problem, knob=knob, diag=diag)
            # the mismatch knobs' domain classifiers leave the time of one model for a variant
            # (a 60-s run spent 70 s on them, then trained nothing and skipped its refit)
            synthesis = dev_weights = unfit_why = None
            ahead = until - current.seconds
            if knob in ("data_synthesis", "reweighting") and time.monotonic() >= ahead:
                unfit_why = NO_TIME_FOR_CLASSIFIER
            elif knob == "data_synthesis":
                synthesis = _synthesis(data, settings.seed, ahead)
            elif knob == "reweighting":
                dev_weights, unfit_why = _dev_weights(data, settings.seed, ahead)
            if unfit_why is not None:
                if unfit_why in (CLASSIFIER_TOO_SLOW, NO_TIME_FOR_CLASSIFIER):
                    short[knob.replace("_", " ")] = None
                _not_tried(**untried, target=_TARGET[problem][1], why=unfit_why, started=started)
                continue
            # a variant trained before (same model, same training, same seed) would only repeat
            # its result: try the new ones
            options = [
                v
                for v in variants(
                    knob,
                    current.candidate.spec,
                    current.candidate.config,
                    synthesis=synthesis,
                    dev_weights=dev_weights,
                    warm_start=settings.warm_start,
                )
                if _key(v, _init_of(v, current)) not in seen
                and (folds is None or v.config.patience is None)  # no dev set to watch under k-fold
            ]
            if settings.trials is not None:  # the count budget: no more models than it has left
                options = options[: settings.trials - len(all_trained)]
            if not options:
                continue
            target_part, target_words = _TARGET[problem]
            if target_part not in current.wrong:
                target_part, target_words = "dev", "dev error"
            # a variant that would not finish is not started (cut short, it would be lost)
            costs, left = _variant_costs(options, current), until - time.monotonic()
            fit = _fitting(costs, left)
            if not fit:  # the next knob may fit
                short[knob.replace("_", " ")] = None
                need, have = apart(min(costs), left)
                why = f"its cheapest variant needs about {need} s, and {have} s are left"
                _not_tried(**untried, target=target_words, why=why, started=started)
                if left < current.seconds:  # not even the current model fits: the loop ends
                    share = (
                        f" (the refit keeps {deadline - until:.0f} s)" if until < deadline else ""
                    )
                    words = f"the {about(left)} s left cannot fit one more model{share}"
                    stop = (StopReason.BUDGET_SPENT, words)
                    break
                continue
            unfit = len(options) - len(fit)
            if unfit:
                short[knob.replace("_", " ")] = None
            options = [options[i] for i in fit]
            seen.update(_key(v, _init_of(v, current)) for v in options)
            t0 = time.monotonic()
            before = diag.model_dump(mode="json")
            cands = []
            for v in options:
                counter += 1
                # every other setting held: a kept reweighting stays with the later variants
                weights = current.candidate.weights if v.weights is None else v.weights
                init = _init_of(v, current)
                cands.append(
                    Candidate(
                        f"v{counter}", v.spec, v.config, settings.seed, weights, init, v.label
                    )
                )
            results = train(cands, until)
            if results is None:
                stop = (
                    StopReason.INTERRUPTED,
                    f"interrupted by the user (Ctrl-C) in step {len(log.steps)}",
                )
                break
            scores: list[VariantScore] = []
            best: tuple[float, Trained, Diagnosis] | None = None
            guard_refused = 0  # variants that beat the noise but grew the guarded gap
            trained = [r for r in results if not (r.failed or r.model is None)]
            changes = iter(_step_changes(current, trained, target_part))
            dev_changes = iter(
                _step_changes(current, trained, "dev")
                if problem == "avoidable_bias" and "dev" in current.wrong
                else [None] * len(trained)
            )
            for v, r in zip(options, results, strict=True):
                if r.failed or r.model is None:  # failed, or its turn came after the deadline
                    scores.append(
                        VariantScore(
                            name=r.candidate.name,
                            label=v.label,
                            failed=r.failed,
                            why=f"failed: {r.failed}" if r.failed else r.stop_message,
                            seconds=r.seconds,
                        )
                    )
                    continue
                new_diag = diagnose(levels_of(r, data, settings), tolerance=settings.tolerance)
                change, dev_change = next(changes), next(dev_changes)
                ok, why = _judge(
                    problem, r, change, diag, new_diag, target_part, settings.tolerance, dev_change
                )
                guard_refused += not ok and r.complete and change.better_beyond_noise
                if (
                    r.complete and change.change < 0
                ):  # helped in its point estimate: polish material
                    contenders.append(Contender(v.label, r, current.candidate))
                others = {
                    g.name.value: g.value - (_gap(diag, g.name.value) or 0.0)
                    for g in new_diag.decomposition.gaps()
                    if _gap(diag, g.name.value) is not None
                }
                scores.append(
                    VariantScore(
                        name=r.candidate.name,
                        label=v.label,
                        errors=r.errors,
                        target_change=change.change,
                        target_low=change.low,
                        target_high=change.high,
                        p_value=change.p,
                        p_adjusted=change.p_adjusted,
                        other_changes=others,
                        accepted=ok,
                        why=why,
                        seconds=r.seconds,
                    )
                )
                if ok and (
                    best is None
                    or (change.change, r.error("dev")) < (best[0], best[1].error("dev"))
                ):
                    best = (change.change, r, new_diag)
            kept = None
            after = {}
            if best is not None:
                _, current, diag = best
                kept = current.candidate.name
                after = diag.model_dump(mode="json")
                tried.kept(problem)
                exhausted.clear()
                short.clear()
                kept_at = time.monotonic()
                why = f"kept {kept}: it lowered the {target_words} beyond the noise"
            else:
                words = knob.replace("_", " ")
                why = f"no variant of {words} lowered the {target_words} beyond the noise"
                if guard_refused:  # some did: the guard refused them (their rows say which gap)
                    why = (
                        f"{guard_refused} variant(s) of {words} lowered the {target_words} beyond "
                        "the noise but grew another gap beyond the tolerance: none kept"
                    )
                if all(r.failed or not r.complete for r in results) and not all(
                    r.failed for r in results
                ):
                    why = f"the time budget cut every variant of {words} short: none compared"
                    short[words] = None
                if guard_refused:
                    tried.add(problem, knob, refused_by=_GUARD.get(problem))
            if unfit:
                why += f" ({unfit} more variant{'s' * (unfit > 1)} would not have finished)"
            step = Step(
                index=len(log.steps),
                problem=problem,
                knob=knob,
                target=target_words,
                before=before,
                after=after,
                variants=[s.model_copy(update={"accepted": s.name == kept}) for s in scores],
                kept=kept,
                why=why,
                seconds=time.monotonic() - t0,
                elapsed=time.monotonic() - started,
            )
            log.steps.append(step)
            if on_trained:
                for r in results:
                    on_trained(r, step, problem)
            if on_step:
                on_step(step)
    except KeyboardInterrupt:
        stop = (
            StopReason.INTERRUPTED,
            f"interrupted by the user (Ctrl-C) in step {len(log.steps)}",
        )

    log.stop_reason, log.stop_message = stop
    from orthotune.train import resolve_device

    device = resolve_device(settings.device)
    refit_share = _refit_share(current, data, refit_cost, settings, folds)
    # would more data help? Measured on the loop's choice before the polish, which then spends
    # what the curve left, up to the refit's share. MNIST-1D seed 1 (dev data, 300 s) when the
    # curve came last: its share, kept from an estimate, left the run 0.897 of its budget in
    # training; measured first, it leaves no estimate between the polish and the deadline
    curve = no_curve = None
    if stop[0] in (StopReason.NO_KNOB_HELPS, StopReason.BUDGET_SPENT):
        t0 = time.monotonic()
        try:
            curve, no_curve = _more_data(
                held, current, settings, deadline - refit_share, trained=len(all_trained)
            )
        except KeyboardInterrupt:
            log.stop_reason = StopReason.INTERRUPTED
            log.stop_message = "interrupted by the user (Ctrl-C) in the learning curve"
        log.curve_seconds = time.monotonic() - t0  # a curve the budget cut short counts too
    if curve is not None and folds:
        # two "dev errors" differed unsaid (a sweep's BEPS: the curve's 35.7 % on the 305 dev
        # rows, the run's 33.4 % out of fold): the curve's models learn from the train part
        pooled = len(held.train) + len(held.dev)
        said = f"measured on the dev split alone; the run's errors are out of fold over {pooled}"
        sentence = f"{curve.sentence} — {said} train + dev examples"
        curve = curve.model_copy(update={"sentence": sentence})
    curve_models = len(DEFAULT_FRACTIONS) if curve is not None else 0
    curve_of = current  # the model whose configuration the curve measured
    if settings.polish and log.stop_reason in (StopReason.NO_KNOB_HELPS, StopReason.MAX_STEPS):
        polish_deadline = deadline - refit_share  # the refit's share is kept aside

        def polish_train(cands: list[Candidate]) -> list[Trained]:
            out = train(cands, polish_deadline)
            if out is None:  # Ctrl-C: the polish keeps what it has
                raise KeyboardInterrupt
            return out

        current, log.polish = polish(
            current,
            contenders,
            train=polish_train,
            data=data,
            deadline=polish_deadline,
            started=started,
            device=device,
            seed=settings.seed,
            steps=log.steps,
            goal=lambda t: (
                settings.goal is not None and 1.0 - (t.error("dev") or 0.0) >= settings.goal
            ),
            on_step=on_step,
            on_trained=on_trained,
            models_left=(
                None
                if settings.trials is None
                else settings.trials - len(all_trained) - curve_models
            ),
            record_s=recorded[0] / max(recorded[1], 1),
            refit_s=refit_share,
        )
        if log.polish == INTERRUPTED:
            log.stop_reason = StopReason.INTERRUPTED
            log.stop_message = f"interrupted by the user (Ctrl-C) in step {len(log.steps)}"
    asked_to_stop = log.stop_reason == StopReason.INTERRUPTED
    refit_s = 0.0 if asked_to_stop else _refit_share(current, data, refit_cost, settings, folds)
    refit_s, left = refit_s / REFIT_MARGIN, max(deadline - time.monotonic(), 0.0)
    configured = None  # the chosen configuration as trained on train, when it was refitted
    if asked_to_stop:
        pass  # no refit: the user asked to stop
    elif settings.refit and folds is not None:
        log.refit = "nothing to refit: under k-fold the chosen model learned from train + dev"
    elif settings.refit and not _refit_fits(refit_s, left):
        need, have = apart(refit_s, left)
        log.refit = (
            f"the refit was not started: it needs about {need} s, and {have} s "
            "are left: the chosen model stays"
        )
    elif settings.refit:
        t0 = time.monotonic()

        def refit_epoch(candidate: Candidate, epoch: int, dev_error: float | None) -> bool:
            # live progress only, never a pruning (a new user's 128-s refit was unsaid)
            said = f"refit on train + dev: {candidate.label or candidate.name}"
            on_epoch(dataclasses.replace(candidate, label=said), epoch, dev_error)
            return False

        heard = functools.partial(refit_train, hook=None if on_epoch is None else refit_epoch)
        refitted, log.refit = refit(current, data, heard)
        took = time.monotonic() - t0
        if refitted is not None:
            configured = current
            current, added, left = refitted, 0, deadline - time.monotonic()
            try:
                current, added = grow_refitted(
                    refitted, data, heard, left_s=left, refit_s=took, cap=GROWN
                )
            except KeyboardInterrupt:  # Ctrl-C: the refitted model stays, without more members
                log.stop_reason = StopReason.INTERRUPTED
                log.stop_message = "interrupted by the user (Ctrl-C) while the ensemble grew"
            if added:
                log.grown = added
                log.refit += (
                    f"; the {left:.0f} s it left trained {added} more member"
                    f"{'s' * (added > 1)} on them (the ensemble's size, no new choice: "
                    f"{len(current.model.members)} members, at most {GROWN})"
                )
        log.refit_seconds = time.monotonic() - t0
    log.chosen = current.candidate.name
    test_wrong = None
    test_error = None
    # the ladder is one model's: a refitted model's train, train-dev and dev errors are its
    # configuration's before the refit (it learned from dev), so its test error is too —
    # test − dev across the two gave a confident "dev overfitting" of −9.4 % that was the
    # refit's gain (the test scores, once, are the refitted model's: ``Job.finish``)
    judged = current if configured is None else configured
    if data.test is not None:
        test_wrong = score_parts(judged.model, {"test": data.test}, device=device)["test"]
        test_error = error_rate(test_wrong)
    final = diagnose(
        levels_of(judged, data, settings, test_error=test_error), tolerance=settings.tolerance
    )
    remaining = final.problem.value
    log.remaining_problem = None if remaining == "none" else remaining
    if log.stop_reason in (StopReason.NO_KNOB_HELPS, StopReason.BUDGET_SPENT):
        spatial = len(data.dataset.input_shape) > 1
        curve = _curve_of(curve, curve_of.candidate.name, log)
        log.beyond_tuning = beyond_tuning(
            log.remaining_problem, spatial=spatial, curve=curve, no_curve=no_curve
        )
    if final.is_high.get("dev_overfitting"):
        log.beyond_tuning.insert(
            0,
            "get a bigger dev set: the test error is well above the dev error "
            "(dev-set overfitting)",
        )
    return AutopilotResult(
        chosen=current,
        diagnosis=final,
        log=log,
        test_wrong=test_wrong,
        trained=all_trained,
        learning_curve=curve,
        data=held,
        held_out_ids=None if current.dev_logits is None else data.dev.ids,
    )


def _not_tried(*, log, on_step, problem, knob, diag, target, why, started) -> None:
    """Log (and tell ``on_step`` of) a step whose knob was not turned, and why."""
    step = Step(
        index=len(log.steps),
        problem=problem,
        knob=knob,
        target=target,
        before=diag.model_dump(mode="json"),
        why=f"{knob.replace('_', ' ')} not tried: {why}",
        elapsed=time.monotonic() - started,
    )
    log.steps.append(step)
    if on_step:
        on_step(step)


def _binned(
    held: PreparedData, settings: AutopilotSettings, trained: int, points: bool = False
) -> PreparedData | None:
    """The hold-out parts with binned inputs (with ``points``, and the values many training
    examples share marked: ``data.Bins``), when step 0 should try them: feature vectors (at
    most ``INPUT_BINS_MAX_FEATURES`` of them to bin, a binned copy of at most
    ``INPUT_BINS_MAX_CELLS`` numbers) with a numeric feature to bin (with ``points``, a shared
    value to mark), the default start (no ``start``, no ``--init-from``, whose input width is
    fixed) and a count budget, if any, with a model left for it."""
    ds = held.dataset
    if (
        settings.input_bins == 0
        or len(ds.input_shape) != 1
        or settings.start is not None
        or settings.warm_start is not None
        or (settings.trials is not None and settings.trials - trained < 1)
    ):
        return None
    from orthotune.data import Bins, prepare

    x = ds.x[held.split.train]
    binnable = _binnable(x)
    marked = 0
    if points:  # counted before any fit: the bins' statistics are taken over every component
        marked = sum(len(Bins.shared_values(c, settings.input_bins)) for c in x.numpy().T)
        if not marked:
            return None
    cells = len(ds) * (ds.input_shape[0] + binnable * settings.input_bins + marked)
    if binnable > INPUT_BINS_MAX_FEATURES or cells > INPUT_BINS_MAX_CELLS:
        return None
    binned = prepare(ds, held.split, bins=settings.input_bins, points=points)
    return binned if binned.normalizer.bins.width else None


def _binnable(x) -> int:
    """How many columns of the feature vectors ``x`` (a tensor) get bins: those with more than
    two values (a one-hot or 0/1 column is a threshold already, ``data.Bins``; a missing value
    is none)."""
    count = 0
    for start in range(0, x.shape[1], 64):  # a block of columns at a time: a small mask
        v = x[:, start : start + 64].numpy()
        low = np.nanmin(v, axis=0, initial=np.inf)
        high = np.nanmax(v, axis=0, initial=-np.inf)
        count += int((~((v == low) | (v == high) | np.isnan(v)).all(axis=0)).sum())
    return count


def _better_inputs(binned: Trained, plain: Trained) -> bool:
    """Keep the binned inputs? Only a complete model with a lower dev error (a tie keeps the
    standardized inputs): two encodings of the same model, seed and folds, neither the
    incumbent of the other, so the point estimate decides."""
    if binned.failed or not binned.complete or binned.model is None:
        return False
    return (binned.error("dev") or 0.0) < (plain.error("dev") or 0.0)


def _inputs_why(b: Trained, baselines: list[Trained]) -> str:
    """Step 0's words for one input encoding, when there were several."""
    if len(baselines) < 2:
        return ""
    if b.failed or not b.complete:
        return f"failed: {b.failed}" if b.failed else CUT_SHORT
    mine = b.error("dev") or 0.0
    others = [o for o in baselines if o is not b and o.complete and not o.failed]
    if not others:
        return f"dev error {mine:.2%}; no other input encoding finished"
    best = min(others, key=lambda o: o.error("dev") or 0.0)
    which = "the other input encoding" if len(baselines) == 2 else "the best other encoding"
    return f"dev error {mine:.2%} against {best.error('dev') or 0.0:.2%} with {which}"


def _variant_costs(options: list, current: Trained) -> list[float]:
    """Seconds each variant of a step is estimated to take: the current model's seconds × its
    forward FLOPs per example over the current model's × its epochs over the current model's.
    On MNIST-1D's CNN (dev data, 300 s, seed 0) the bigger-network variants, 3.99 and 1.57
    times the baseline's FLOPs, took 87 s and 35 s where the baseline took 30.5 s (estimates
    122 s and 48 s). Started with about 100 s left before the refit's share, at least one of
    them was cut short or never started in each of 4 runs, its time lost."""
    spec, config = current.candidate.spec, current.candidate.config
    base = flops_per_example(build_model(spec), spec.input_shape)
    costs = []
    for v in options:
        flops = (
            base if v.spec == spec else flops_per_example(build_model(v.spec), v.spec.input_shape)
        )
        costs.append(current.seconds * flops / max(base, 1) * v.config.epochs / config.epochs)
    return costs


def _fitting(costs: list[float], left: float) -> list[int]:
    """The variants (positions, in the menu's order) that the loop starts with ``left``
    seconds: each that still fits after those before it, the rest not started."""
    chosen, spent = [], 0.0
    for i, c in enumerate(costs):
        if spent + c <= left:
            chosen.append(i)
            spent += c
    return chosen


def _step_changes(current: Trained, trained: list[Trained], part: str) -> list[PairedChange]:
    """Each trained variant's change of the ``part`` error against ``current`` (paired, same
    examples), Holm-adjusted over the variants that trained to the end: one the budget cut
    short is not comparable, so it is no hypothesis of the family (its p-value stays
    unadjusted, and ``_judge`` refuses it)."""
    raw = [paired_change(current.wrong[part], r.wrong[part]) for r in trained]
    adjusted = iter(adjust([c for c, r in zip(raw, trained, strict=True) if r.complete]))
    return [next(adjusted) if r.complete else c for c, r in zip(raw, trained, strict=True)]


def _yardstick_s(settings: AutopilotSettings) -> float | None:
    """The yardstick's seconds at most: its share of a time budget (none under a count one)."""
    return None if math.isinf(settings.budget_s) else YARDSTICK_SHARE * settings.budget_s


def _refit_share(
    current: Trained,
    data: PreparedData,
    cost: RefitCost,
    settings: AutopilotSettings,
    folds: int | None,
) -> float:
    """Seconds kept for the refit of ``current`` (0 when the refit is off, or under k-fold:
    nothing to refit): ``REFIT_MARGIN`` × its estimated cost (``cost``, a ``RefitCost``)."""
    if not settings.refit or folds is not None:
        return 0.0
    return REFIT_MARGIN * cost(current, data)


def _curve_of(curve: LearningCurve | None, name: str, log: DecisionLog) -> LearningCurve | None:
    """The learning curve, its sentence naming the model ``name`` it measured where the polish
    then chose another: a sweep's CollegeDistance read "would lower the dev error … from 26.2%
    to about 24.7%" of the loop's choice, where the chosen model had 24.37 %."""
    if curve is None or name == log.chosen:
        return curve
    named = name + (f" ({log.label(name)})" if log.label(name) else "")
    sentence = f"{curve.sentence} — measured on the loop's choice, {named}, before the polish "
    return curve.model_copy(update={"sentence": f"{sentence}chose {log.chosen}"})


def _refit_fits(cost: float, left: float) -> bool:
    """Whether a refit estimated at ``cost`` seconds is started with ``left`` seconds left
    (``REFIT_START``)."""
    return REFIT_START * cost <= left


def _refit_reserve(
    current: Trained,
    data: PreparedData,
    cost: RefitCost,
    settings: AutopilotSettings,
    folds: int | None,
    left: float,
) -> float:
    """Seconds before the deadline the loop leaves to the refit of ``current``: its share
    (``_refit_share``) when that fits in the ``left`` seconds the budget had when ``current``
    was kept; 0 otherwise (the loop spends what is left; a refit that cannot finish then is
    not started, and the model stays as it is)."""
    share = _refit_share(current, data, cost, settings, folds)
    return share if share <= left else 0.0


def _more_data(
    data: PreparedData,
    current: Trained,
    settings: AutopilotSettings,
    deadline: float,
    *,
    trained: int = 0,
) -> tuple[LearningCurve | None, str | None]:
    """The learning curve of ``current``'s configuration on the hold-out split (train
    fractions, dev), when it is asked for, the data is big enough and the time left before
    ``deadline`` fits it: one model per fraction, each estimated at ``current``'s training time
    (each takes as many steps as ``current`` took; under a count budget: one model per
    fraction, out of the ``trained`` models spent). Without it, why (said beside "more data"
    in what tuning cannot do: a curve skipped for lack of time was logged at INFO alone, and
    the advice read the same as where it was never asked for); neither when not asked for."""
    later = "; orthotune learning-curve DATA --from RUN_DIR measures it after the run"
    if not settings.learning_curve:
        return None, None
    fractions = len(DEFAULT_FRACTIONS)
    need = minimum_train_examples(data.dataset.num_classes)
    if len(data.train) < need:
        return None, f"{len(data.train)} training examples, it needs at least {need}"  # as does
        # ``orthotune learning-curve`` with its default fractions
    if settings.trials is not None and settings.trials - trained < fractions:
        left_models = max(settings.trials - trained, 0)
        return None, f"it trains {fractions} models, {left_models} of the budget's were left{later}"
    needed, left = fractions * current.seconds, deadline - time.monotonic()
    if left < needed:
        logger.info("no learning curve: %.0f s left, about %.0f s needed", left, needed)
        return None, f"it needs about {needed:.0f} s, {max(left, 0):.0f} s were left{later}"
    try:
        curve = learning_curve(
            data.train,
            data.dev,
            current.candidate.spec,
            current.candidate.config,
            seed=settings.seed,
            device=settings.device,
            time_budget_s=left,
        )
    except InvalidInputError as err:  # a fraction failed to train: say nothing measured
        logger.warning("no learning curve: %s", err)
        return None, str(err)
    if not curve.complete:
        return None, f"the budget ran out before its last fraction{later}"
    return curve, None
