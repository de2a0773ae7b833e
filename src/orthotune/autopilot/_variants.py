"""Variants of ONE knob at a time (orthogonalization: a drone's separate controls).

``KNOB_MENU`` lists, per problem, the knobs the autopilot can turn by itself, in the order it
tries them; ``variants(knob, spec, config)`` returns a few (label, ModelSpec, TrainConfig)
versions of the current model that differ from it in that knob only — every other setting is
held. Knob ids are the diagnosis's ids (``orthotune.diagnose.KNOBS``) where the lecture names
the knob, plus ``architecture_family`` and ``batch_norm`` (the issue's bias knobs) and
``hard_examples`` (the focal loss; the lecture names it under error analysis).

``transfer_learning`` is turned only when the user hands over a checkpoint (``tune
--init-from``): its variants start from those weights. Knobs that tuning cannot turn (more or
cleaner data, new attributes …) are not here: the final report names them when the tunable
ones are exhausted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from orthotune.models import ModelSpec
from orthotune.train import TrainConfig, WarmStart

#: problem → knobs the autopilot tries, in order (the lecture's guideline table, tunable ones).
KNOB_MENU: dict[str, tuple[str, ...]] = {
    "avoidable_bias": (
        "transfer_learning",  # only when the user gives a checkpoint (tune --init-from)
        "more_inputs",  # only for a model that reads chosen features (input_selection)
        "bigger_network",
        "train_longer",
        "better_optimizer",
        "batch_norm",
        "architecture_family",
        "xavier_init",
        "hard_examples",
    ),
    "variance": (
        "transfer_learning",
        "regularization",
        "input_selection",  # vectors of many features only (INPUT_SELECTION_FROM)
        "data_augmentation",
        "bigger_network",  # past human level a wider model often lowers dev error too
        "early_stopping",
        "smaller_network",
    ),
    "data_mismatch": (
        "data_synthesis",  # the augmentation a domain classifier finds most dev-like
        "reweighting",  # training examples weighted by how dev-like they look
        "noise_augmentation",
        "blur_augmentation",
        "distortion_augmentation",
    ),
    "dev_overfitting": (),
    # nothing high (well-trained, or past human level where avoidable bias is unknown):
    # keep lowering the dev error with the knobs that most often do so
    "dev_error": (
        "bigger_network",
        "data_augmentation",
        "regularization",
        "train_longer",
        "better_optimizer",
    ),
}

#: What tuning cannot do, in the lecture's words (said when the tunable knobs are exhausted);
#: ``beyond_tuning`` orders it for the problem that remains. (Weighting hard examples higher is
#: the ``hard_examples`` knob, which the loop turns itself.)
MORE_DATA = "get more training data of the dev distribution"
# where the model looks (``errors --saliency``): advice for signals and images, whose inputs
# hold an object and its surroundings — said of tables too, it named nothing a table has (a
# new-user sweep's seven tables, 2026-12-07)
LOOKS = "check whether the model looks at the object or at its surroundings"
BEYOND_TUNING: tuple[str, ...] = (
    MORE_DATA,
    "clean mislabeled data (orthotune clean)",
    "add discriminating attributes",
    "transfer learning from a related task",
    LOOKS,
)


def beyond_tuning(
    problem: str | None, *, spatial: bool = True, curve: Any = None, no_curve: str | None = None
) -> list[str]:
    """``BEYOND_TUNING`` for the problem that remains: more data lowers variance, not
    avoidable bias (it led the list when the bias remained), and against a data mismatch it
    must be data like the dev set. ``LOOKS`` only for ``spatial`` inputs (signals, images).
    With the run's learning ``curve`` (``analysis.LearningCurve``) "more data" says what the
    curve measured, and comes last where the curve is flat (more data of this kind will not
    help: it led the list beside those words); without one, ``no_curve`` says why it was not
    measured."""
    if problem == "avoidable_bias":
        said = [
            "add discriminating attributes",
            "transfer learning from a related task",
            "clean mislabeled data (orthotune clean)",
            LOOKS,
        ]
    elif problem == "data_mismatch":
        said = [
            "get more training data like the dev set (collect it, or synthesize it)",
            "find what differs between the training and the dev examples (orthotune errors "
            "RUN_DIR on the dev set)",
            *BEYOND_TUNING[1:],
        ]
    else:
        said = list(BEYOND_TUNING)
    if curve is not None and MORE_DATA in said:
        said.remove(MORE_DATA)
        measured = f"{MORE_DATA} (learning curve: {curve.sentence})"
        said.insert(len(said) if curve.flat else 0, measured)
    elif no_curve and MORE_DATA in said:
        at = said.index(MORE_DATA)
        said[at] = f"{MORE_DATA} (learning curve not measured: {no_curve})"
    return said if spatial else [s for s in said if s != LOOKS]


#: γ of the ``hard_examples`` knob's focal-loss variants, (1 − p_t)^γ·cross-entropy
#: (``train/_loss.py``). The knob is the lecture's "strengthen the training process for the
#: incorrectly classified examples … bigger learning rates for examples that are difficult to
#: train": the factor shrinks the loss of examples the model already gets right with
#: confidence, so the gradient is made of the examples it gets wrong or barely right. Examples
#: that are difficult to train are training errors, so it is an avoidable-bias knob, tried
#: after the capacity, training-time and optimizer knobs (it changes what is minimized, not
#: how well); a variance or mismatch knob it is not (a harder push on training examples does
#: not bring dev data closer). It is tried last: on the development sets it lowered no error
#: beyond the noise. Measured (``bench/hard_examples.py``; the data shape's starting model, all
#: γ of a seed in one population, medians of 3 seeds, train / dev error):
#: a too-small MLP (4 units, avoidable bias ≈ 19 points) on
#: ``--sets "synthetic?n=3000&classes=4&features=10&noise=0&seed=1" --hidden 4 --seeds 3``:
#: γ = 0 19.3 / 22.2 %, 0.5 19.6 / 23.0 %, 1 19.2 / 24.3 %, 2 20.1 / 25.3 %, 5 25.6 / 30.2 %;
#: ``--sets "breast-cancer,synthetic?n=3000&noise=0.05" --seeds 3`` (no avoidable bias): dev
#: 1.8 % for γ ≤ 2 and 3.5 % at γ = 5 on breast-cancer; 22.7 / 23.0 / 23.2 / 24.5 / 25.3 % on
#: synthetic. γ ≥ 2 raised the errors on every set; the knob tries the two values that kept
#: the training error (its target) within half a point of cross-entropy's, and the autopilot
#: keeps one only where it beats the noise. (MNIST-1D and digits, whose starting models are
#: CNNs, were not measured: the shared CPU had no time for them in this session.)
HARD_EXAMPLE_GAMMAS: tuple[float, ...] = (0.5, 1.0)


#: ``input_selection``: the model reads only the features that rank highest by ANOVA F on its
#: training rows (``models/_select.py``) — the lecture's "smaller network" and "weakening
#: [attributes] which should have reduced influence", for tables whose many columns the label
#: barely depends on. Offered from ``INPUT_SELECTION_FROM`` features (a model that already
#: selects is offered fewer), each variant keeping a fraction of what the model reads now.
#: Dev figures (``python bench/suite.py --sets synthetic_wide,synthetic_wide_large,
#: breast_cancer_nan,attrition --methods autopilot,hgb --seeds 1 --budget-s 300``, seed 0):
#: on ``synthetic_wide_large`` (500 columns, 10 informative) the loop kept 50, then 17
#: features, dev error 30.6 → 24.1 → 16.8 %; on ``synthetic_wide`` (300 columns, 8
#: informative, out of fold) 30, then 3: 32.5 → 24.0 → 19.5 %. On the development tables it
#: was offered on — through their encoding's width, when step 0 kept the quantile bins — it
#: was kept once, on creditcard (19 of 189 columns: out-of-fold dev error 2.56 → 1.80 %), and
#: no variant beat the model on hpc_data (134 columns: 16.5 → 23.2 / 35.9 %), attrition (350:
#: 13.9 → 15.2 / 18.3 %) or breast_cancer_nan (1,020: 3.07 → 3.07 / 6.14 %) (seed 3, the nine
#: tables' run in ``bench/RESULTS-HISTORY.md``). Narrower models never see it: a handful of
#: columns leaves a third and a tenth no room.
INPUT_SELECTION_FROM = 50
INPUT_FRACTIONS: tuple[float, ...] = (1 / 3, 1 / 10)


@dataclass(frozen=True)
class Variant:
    """One version of the current model, differing in ``knob`` only; ``weights``: example
    weights of the training set it trains with (reweighting), None to keep the current ones;
    ``init``: the weights it starts from (transfer learning), None to keep the current ones."""

    knob: str
    label: str
    spec: ModelSpec
    config: TrainConfig
    weights: torch.Tensor | None = field(default=None, compare=False, repr=False)
    init: WarmStart | None = None


def _scale_channels(spec: ModelSpec, factor: float) -> ModelSpec:
    conv = tuple(
        b.model_copy(update={"channels": max(4, round(b.channels * factor))}) for b in spec.conv
    )
    hidden = tuple(max(4, round(w * factor)) for w in spec.hidden)
    return spec.model_copy(update={"conv": conv, "hidden": hidden})


def _deeper(spec: ModelSpec) -> ModelSpec:
    """One more layer of the last kind: a conv block (no pooling) or a dense layer."""
    data = spec.model_dump()
    if spec.conv:
        at = len(spec.conv)
        last = spec.conv[-1]
        data["conv"] = [*data["conv"], {"channels": last.channels, "kernel": last.kernel}]
    else:
        at = len(spec.hidden)
        data["hidden"] = [*spec.hidden, spec.hidden[-1] if spec.hidden else 64]
    for name in ("activation", "dropout"):  # per-layer values: the new layer repeats its neighbour
        value = getattr(spec, name)
        if isinstance(value, tuple):
            data[name] = [*value[:at], value[at - 1] if at else value[0], *value[at:]]
    return ModelSpec.model_validate(data)


def _fewer_inputs(spec: ModelSpec) -> list[int]:
    """How many features ``input_selection``'s variants read: none for images, signals and
    vectors of fewer than ``INPUT_SELECTION_FROM`` features (unless the model already selects)."""
    if spec.kind != "mlp" or len(spec.input_shape) != 1:
        return []
    have = spec.select or spec.input_shape[0]
    if spec.select is None and have < INPUT_SELECTION_FROM:
        return []
    counts = {max(2, round(have * f)) for f in INPUT_FRACTIONS}
    return sorted((k for k in counts if k < have), reverse=True)


def offered(knob: str, spec: ModelSpec) -> bool:
    """Whether ``knob`` has anything to turn for ``spec``: the input knobs depend on the
    model's inputs (the menu leaves them out where they have none); every other knob, yes."""
    if knob == "input_selection":
        return bool(_fewer_inputs(spec))
    if knob == "more_inputs":
        return bool(_more_inputs(spec))
    return True


def _more_inputs(spec: ModelSpec) -> list[int | None]:
    """``more_inputs``' variants for a model that reads ``select`` chosen features: 3 and 10
    times as many (the inverse of ``input_selection``'s fractions), None for all of them."""
    if spec.select is None:
        return []
    counts = sorted({round(spec.select / f) for f in INPUT_FRACTIONS})
    return list(dict.fromkeys(k if k < spec.input_shape[0] else None for k in counts))


def _with(config: TrainConfig, **update) -> TrainConfig:
    return TrainConfig.model_validate({**config.model_dump(), **update})


def _spec_with(spec: ModelSpec, **update) -> ModelSpec:
    return ModelSpec.model_validate({**spec.model_dump(), **update})


def _mlp_of(spec: ModelSpec) -> ModelSpec:
    return ModelSpec(
        kind="mlp",
        input_shape=spec.input_shape,
        num_classes=spec.num_classes,
        hidden=(256, 256),
        batch_norm=spec.batch_norm,
        init=spec.init,
    )


def _cnn_of(spec: ModelSpec) -> ModelSpec:
    from orthotune.fit import baseline

    return baseline(spec.input_shape, spec.num_classes)[0]


def variants(
    knob: str,
    spec: ModelSpec,
    config: TrainConfig,
    *,
    synthesis: str | None = None,
    dev_weights: torch.Tensor | None = None,
    warm_start: WarmStart | None = None,
) -> list[Variant]:
    """A few versions of (spec, config) that turn ``knob`` only; [] when it cannot be turned.

    ``synthesis``: for ``data_synthesis``, the augmentation policy that makes the training data
    look most like dev data (``orthotune.analysis.synthesize_toward``); None when none does.
    ``dev_weights``: for ``reweighting``, each training example's dev-likeness weight
    (``orthotune.analysis.dev_likeness_weights``); the variants train with it and with its
    square root (a tempered version: reweighting trades effective sample size for relevance).
    ``warm_start``: for ``transfer_learning``, the checkpoint the user gave (``tune
    --init-from``): the variants start from it — its architecture with every layer trained,
    and with every layer but the output layer frozen (or only with the user's ``--freeze``).
    """
    if knob == "transfer_learning":
        if warm_start is None:
            return []
        import dataclasses

        starts = [warm_start]
        if not warm_start.freeze and warm_start.spec.num_layers:
            starts.append(dataclasses.replace(warm_start, freeze=warm_start.spec.num_layers))
        return [
            Variant(
                knob,
                f"from {w.source}" + (f", first {w.freeze} layers frozen" if w.freeze else ""),
                w.spec,
                config,
                init=w,
            )
            for w in starts
        ]
    if knob == "reweighting":
        if dev_weights is None:
            return []
        tempered = dev_weights.sqrt()
        return [
            Variant(knob, "weights toward dev", spec, config, weights=dev_weights),
            Variant(
                knob, "weights toward dev, tempered (√w)", spec, config, tempered / tempered.mean()
            ),
        ]
    out: list[tuple[str, ModelSpec, TrainConfig]] = []
    if knob == "bigger_network":
        out += [
            ("2× wider", _scale_channels(spec, 2.0), config),
            ("one layer deeper", _deeper(spec), config),
        ]
    elif knob == "smaller_network":
        out += [("½ as wide", _scale_channels(spec, 0.5), config)]
    elif knob == "train_longer":
        out += [
            (f"{f}× epochs ({config.epochs * f})", spec, _with(config, epochs=config.epochs * f))
            for f in (2, 3)
        ]
    elif knob == "better_optimizer":
        out += [
            ("learning rate ×3", spec, _with(config, lr=config.lr * 3)),
            ("learning rate ÷3", spec, _with(config, lr=config.lr / 3)),
        ]
        if config.optimizer != "adam":
            out.append(("Adam", spec, _with(config, optimizer="adam", lr=3e-3)))
        else:
            out.append(("RMSprop", spec, _with(config, optimizer="rmsprop", lr=config.lr / 3)))
    elif knob == "batch_norm":
        if not spec.batch_norm:
            out.append(("batch norm on", _spec_with(spec, batch_norm=True), config))
    elif knob == "architecture_family":
        if len(spec.input_shape) > 1:
            other = _mlp_of(spec) if spec.kind != "mlp" else _cnn_of(spec)
            out.append((f"{other.kind} instead of {spec.kind}", other, config))
    elif knob == "xavier_init":
        for init in ("xavier_normal", "he_normal"):
            if spec.init != init:
                out.append((f"{init} init", _spec_with(spec, init=init), config))
    elif knob == "hard_examples":
        out += [
            (f"focal loss γ={g:g}", spec, _with(config, focal_gamma=g))
            for g in HARD_EXAMPLE_GAMMAS
            if g != config.focal_gamma
        ]
    elif knob == "regularization":
        # the lecture's λ (J + λ/(2m)·Σ‖W‖²): λ/m of 1e-4 … 1e-2 per example is the useful range
        lam = max(3.0 * config.l2, 3.0)
        out.append((f"L2 λ={lam:g}", spec, _with(config, l2=lam)))
        out.append(("dropout 0.2", _spec_with(spec, dropout=0.2), config))
    elif knob == "input_selection":
        have = spec.select or spec.input_shape[0]  # offered for vectors only (_fewer_inputs)
        out += [
            (f"the {k} features of highest F (of {have})", _spec_with(spec, select=k), config)
            for k in _fewer_inputs(spec)
        ]
    elif knob == "more_inputs":
        out += [
            (
                f"the {k} features of highest F (of {spec.input_shape[0]})"
                if k
                else f"all {spec.input_shape[0]} features",
                _spec_with(spec, select=k),
                config,
            )
            for k in _more_inputs(spec)
        ]
    elif knob == "data_augmentation":
        out += [
            (f"augment {name}", spec, _with(config, augment=name)) for name in ("light", "standard")
        ]
    elif knob == "early_stopping":
        if config.patience is None:
            out.append(("early stopping, patience 5", spec, _with(config, patience=5)))
    elif knob == "data_synthesis":
        if synthesis:
            out.append(
                (f"synthesize toward dev: {synthesis}", spec, _with(config, augment=synthesis))
            )
    elif knob == "noise_augmentation":
        out += [(f"noise σ={s}", spec, _with(config, augment=f"noise={s}")) for s in (0.05, 0.2)]
    elif knob == "blur_augmentation":
        if len(spec.input_shape) > 1:
            out += [(f"blur σ≤{s}", spec, _with(config, augment=f"blur={s}")) for s in (1.0, 2.0)]
    elif knob == "distortion_augmentation" and len(spec.input_shape) > 1:
        out += [
            (f"shift/scale {s}", spec, _with(config, augment=f"shift={s},scale={s}"))
            for s in (0.05, 0.15)
        ]
    return [Variant(knob, label, s, c) for label, s, c in out if (s, c) != (spec, config)]
