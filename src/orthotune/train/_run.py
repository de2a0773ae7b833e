"""Train one model on a data set's split and keep it in a run folder (``orthotune train``).

``build_spec`` turns the architecture settings (a config file's ``model:`` section and flags)
into a ``ModelSpec`` fitted to the data (input shape, number of classes; a default convolution
stack when a CNN gets none). ``train_on_split`` normalizes with statistics of the training part
only (the lecture: "scale testing (dev) data using the same μ and σ²"), trains on ``train``
with ``dev`` watched each epoch, and measures every part — the test set once, at the end.
``train_summary`` and ``train_history`` are what the train job (``orthotune.train``, over
``orthotune.pipeline``) reports and writes of it.

An ensemble (``orthotune train --ensemble K``; its members trained at once a layer up, by the
fit layer's executors) goes through the same two steps: ``prepare_split`` gives the members their
data, ``measure_trained`` scores the ``Ensemble`` on every part as one model, and the job
writes it as one checkpoint with one history file per member
(``history/<name>.member-<k>.json``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, Field, ValidationError

from orthotune._errors import InvalidInputError
from orthotune._records import History
from orthotune._result import Result
from orthotune.metrics import ClassificationReport, classification_report
from orthotune.models import (
    ModelSpec,
    build_model,
    count_parameters,
    default_conv,
    flops_per_example,
)
from orthotune.train._callbacks import Callback
from orthotune.train._checkpoint import InitRecord
from orthotune.train._config import TrainConfig
from orthotune.train._predict import predict_logits
from orthotune.train._result import EpochRecord, StopReason, TrainResult
from orthotune.train._trainer import Examples, Trainer
from orthotune.train._transfer import WarmStart

__all__ = [
    "TrainSummary",
    "TrainedModel",
    "build_config",
    "build_spec",
    "measure_trained",
    "model_inputs",
    "one_line_validation_error",
    "prepare_split",
    "read_config_file",
    "test_scores",
    "train_history",
    "train_on_split",
    "train_summary",
]

SCHEMA_VERSION = 1
PARTS = ("train", "train-dev", "dev", "test")


def _range_of(model: type[BaseModel], field: str) -> str:
    """'[0, 1)' from a field's ge/gt/le/lt constraints, '' when it has none."""
    info = model.model_fields.get(field)
    if info is None:
        return ""
    low = high = None
    for m in info.metadata:
        for attr, side, bracket in (("ge", "low", "["), ("gt", "low", "("), ("le", "high", "]")):
            if getattr(m, attr, None) is not None:
                if side == "low":
                    low = f"{bracket}{getattr(m, attr):g}"
                else:
                    high = f"{getattr(m, attr):g}{bracket}"
        if getattr(m, "lt", None) is not None:
            high = f"{m.lt:g})"
    if low is None and high is None:
        return ""
    return f"{low or '(-inf'}, {high or 'inf)'}"


def one_line_validation_error(
    err: ValidationError, model: type[BaseModel], *, section: str, flags: Mapping[str, str]
) -> InvalidInputError:
    """A pydantic error as one line: the flag (or config key), the value, what is accepted."""
    first = err.errors()[0]
    loc = [str(p) for p in first.get("loc", ())]
    field = loc[0] if loc else ""
    where = flags.get(field, f"{section}.{'.'.join(loc)}" if loc else section)
    value = first.get("input")
    shown = "" if isinstance(value, dict) else f" {value!r}"
    accepted = first["msg"].removeprefix("Value error, ")
    span = _range_of(model, field)
    if span and "should be" in accepted:
        accepted += f" (accepted range {span})"
    if first.get("type") == "extra_forbidden":  # a misspelt key: the keys it may be
        accepted = f"{section}: has no {field!r}; accepted keys: {', '.join(model.model_fields)}"
    elif first.get("type") == "tuple_type":  # hidden: 16 where a list goes
        accepted += f" (a list, e.g. [{value!r}])"
    return InvalidInputError(
        f"{where}{shown} is not accepted: {accepted}; fix the flag or the config file"
    )


# --------------------------------------------------------------------------- spec and config
def model_input_shape(kind: str, data_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The network's input shape for data examples of ``data_shape``.

    mlp: as loaded (it flattens); cnn1d: [C, L], or [1, d] for vectors; cnn2d: [C, H, W].
    """
    if kind == "mlp":
        return data_shape
    if kind == "cnn1d":
        if len(data_shape) == 1:
            return (1, data_shape[0])
        if len(data_shape) == 2:
            return data_shape
    if kind == "cnn2d" and len(data_shape) == 3:
        return data_shape
    want = {
        "cnn1d": "vectors [n, d] or signals [n, channels, length]",
        "cnn2d": "images [n, channels, height, width]",
    }[kind]
    other = "cnn2d" if len(data_shape) == 3 else "cnn1d" if len(data_shape) <= 2 else "mlp"
    raise InvalidInputError(
        f"--arch {kind} needs {want}, but the data's examples have shape {data_shape}; "
        f"use --arch mlp or --arch {other}"
    )


def model_inputs(x: torch.Tensor, spec: ModelSpec) -> torch.Tensor:
    """``x`` [n, …as loaded] reshaped to [n, *spec.input_shape] (a view)."""
    return x.reshape(x.shape[0], *spec.input_shape)


_MODEL_FLAGS = {
    "kind": "--arch",
    "hidden": "--hidden",
    "activation": "--activation",
    "batch_norm": "--batch-norm",
    "dropout": "--dropout",
    "init": "--init",
    "conv": "--conv",
}
_TRAIN_FLAGS = {name: "--" + name.replace("_", "-") for name in TrainConfig.model_fields}


def _flags(names: Mapping[str, str], given: Collection[str] | None) -> dict[str, str]:
    return dict(names) if given is None else {k: v for k, v in names.items() if k in given}


def build_spec(
    settings: Mapping[str, Any],
    *,
    data_shape: tuple[int, ...],
    num_classes: int,
    from_flags: Collection[str] | None = None,
) -> ModelSpec:
    """A ``ModelSpec`` from ``settings`` (the ``model:`` section merged with flags) fitted to the
    data: ``input_shape`` and ``num_classes`` come from the data (given ones must agree).

    ``from_flags``: the keys set by flags (errors name the flag, others ``model.KEY``); None
    means all keys came from flags."""
    values = dict(settings)
    kind = values.get("kind", "mlp")
    if kind not in ("mlp", "cnn1d", "cnn2d"):
        raise InvalidInputError(
            f"--arch {kind!r} is not accepted: accepted are mlp, cnn1d, cnn2d; e.g. --arch cnn1d"
        )
    shape = model_input_shape(kind, tuple(data_shape))
    for key, have, given in (
        ("input_shape", shape, values.get("input_shape")),
        ("num_classes", num_classes, values.get("num_classes")),
    ):
        if given is not None and (tuple(given) if key == "input_shape" else given) != have:
            raise InvalidInputError(
                f"model.{key} {given!r} does not match the data ({have!r}); remove it from "
                "the config: it is taken from the data"
            )
    values["input_shape"] = shape
    values["num_classes"] = num_classes
    if kind != "mlp" and not values.get("conv"):  # the autopilot's first CNN (one default)
        values["conv"] = default_conv(shape)
        values.setdefault("hidden", ())
        values.setdefault("global_pool", "avg")
    try:
        spec = ModelSpec.model_validate(values)
    except ValidationError as err:
        raise one_line_validation_error(
            err, ModelSpec, section="model", flags=_flags(_MODEL_FLAGS, from_flags)
        ) from None
    if spec.num_layers == 0:  # a linear model: per-layer settings change nothing
        names = _flags(_MODEL_FLAGS, from_flags)
        for key in ("activation", "batch_norm", "dropout"):
            if key in settings and getattr(spec, key) != ModelSpec.model_fields[key].default:
                name = names.get(key, f"model.{key}")
                raise InvalidInputError(
                    f"{name} has no effect: --hidden '' gives a network with no hidden layer "
                    f"(a linear model); fix: give hidden layers (e.g. --hidden 64), or leave "
                    f"{name} out"
                )
    return spec


def build_config(
    settings: Mapping[str, Any], *, from_flags: Collection[str] | None = None
) -> TrainConfig:
    """A ``TrainConfig`` from the ``train:`` section merged with flags (one-line errors;
    ``from_flags`` as in ``build_spec``)."""
    try:
        config = TrainConfig.model_validate(dict(settings))
    except ValidationError as err:
        raise one_line_validation_error(
            err, TrainConfig, section="train", flags=_flags(_TRAIN_FLAGS, from_flags)
        ) from None
    names = _flags(_TRAIN_FLAGS, from_flags)
    for key, (owner, users) in _USED_WITH.items():
        changed = key in settings and getattr(config, key) != TrainConfig.model_fields[key].default
        if changed and getattr(config, owner) not in users:  # it would change nothing
            name = names.get(key, f"train.{key}")
            raise InvalidInputError(
                f"{name} {settings[key]!r} has no effect with {owner} "
                f"{getattr(config, owner)!r}: accepted with {owner} {' or '.join(users)}; fix: "
                f"give --{owner} {users[0]}, or leave {name} out"
            )
    return config


# a setting that only one schedule or optimizer reads: given with another, it changed nothing
# (--decay 0.5 kept a constant learning rate, and the run said nothing)
_USED_WITH: dict[str, tuple[str, tuple[str, ...]]] = {
    "decay": ("schedule", ("exponential", "inverse_time")),
    "k": ("schedule", ("inverse_sqrt",)),
    "step_epochs": ("schedule", ("staircase",)),
    "step_factor": ("schedule", ("staircase",)),
    "beta": ("optimizer", ("momentum", "nesterov", "rmsprop")),
    "beta1": ("optimizer", ("adam", "adamw")),
    "beta2": ("optimizer", ("adam", "adamw")),
    "eps": ("optimizer", ("adam", "adamw", "rmsprop")),
}


# --------------------------------------------------------------------------- training
class TrainSummary(Result):
    """What ``orthotune train`` reports: errors per part, why training stopped, where it is."""

    schema_version: int = SCHEMA_VERSION
    data: str
    run_dir: str
    model: str
    model_dir: str
    spec: ModelSpec
    config: TrainConfig
    parameters: int
    flops_per_example: int
    latency_ms: float | None = None  # per example, batch of 1, median (every member's forward)
    sizes: dict[str, int]
    errors: dict[str, float | None]  # per part (eval mode, after training); None when empty
    losses: dict[str, float | None]
    # --weight: the loss averages the weighted examples (what training lowered); the errors
    # count each example once (what the diagnosis and the autopilot read)
    loss_weighted: bool = False
    human_error: float | None = None
    bayes_error: float | None = None
    ensemble: int = 1  # members whose probabilities are averaged (1: one model)
    stop_reason: StopReason
    stop_message: str
    best_epoch: int | None
    epochs_run: int
    seconds: float
    device: str
    seed: int
    temperature: float = 1.0  # the checkpoint's softmax temperature (temperature scaling)
    ece_before: float | None = None  # dev ECE without it
    ece_after: float | None = None  # dev ECE with it, out of fold (cross-fitted)
    calibration: str | None = None  # what temperature scaling did, in words
    report: str | None = None  # the run's report.html
    filled: list[str] = Field(default_factory=list)  # what --impute filled, per column
    init_from: InitRecord | None = None  # transfer learning: the weights it started from
    notes: list[str] = Field(default_factory=list)  # what went wrong around the run (the report)


@dataclass
class TrainedModel:
    """A trained network with everything needed to save it and to report on it."""

    model: torch.nn.Module
    spec: ModelSpec
    config: TrainConfig
    normalizer: Any  # orthotune.data.Normalizer
    result: TrainResult
    sizes: dict[str, int]
    errors: dict[str, float | None]
    losses: dict[str, float | None]
    dev_logits: torch.Tensor | None = None  # [n_dev, classes], for temperature scaling
    dev_y: torch.Tensor | None = None
    init_from: InitRecord | None = None
    # an ensemble: each member's per-epoch history (``result.history`` is then empty)
    member_histories: list[list[EpochRecord]] = field(default_factory=list)
    # the parts it was trained and measured on (``prepare_split``'s): the job scores test on it
    prepared: Any = None


def test_scores(model: torch.nn.Module, prepared: Any) -> ClassificationReport:
    """``model``'s ``ClassificationReport`` on the test part of ``prepared`` (confusion matrix and
    per-class scores, classes by name): what a run's test_scores.json holds. The jobs call it
    once, at the end, for the model they return."""
    predicted = predict_logits(model, prepared.test.x).argmax(1)
    labels = list(prepared.dataset.class_names)
    return classification_report(prepared.test.y.numpy(), predicted.numpy(), labels=labels)


def prepare_split(dataset: Any, split: Any, spec: ModelSpec, *, bins: int = 0) -> Any:
    """``orthotune.data.prepare`` (normalized with train statistics; feature vectors with
    ``bins`` quantile bins per numeric feature) with every part's examples reshaped to
    ``spec.input_shape``; refuses a split without training examples."""
    from orthotune.data import prepare

    if len(split.train) == 0:
        raise InvalidInputError(
            f"{dataset.name}: the split has no training examples; give more data"
        )
    prepared = prepare(dataset, split, bins=bins)
    parts = {
        name: None if part is None else replace(part, x=model_inputs(part.x, spec))
        for name, part in (
            ("train", prepared.train),
            ("train_dev", prepared.train_dev),
            ("dev", prepared.dev),
            ("test", prepared.test),
        )
    }
    return replace(prepared, **parts)


def measure_trained(
    model: torch.nn.Module,
    prepared: Any,
    *,
    spec: ModelSpec,
    config: TrainConfig,
    result: TrainResult,
    device: str | torch.device = "auto",
    init_from: InitRecord | None = None,
    member_histories: Sequence[list[EpochRecord]] = (),
) -> TrainedModel:
    """Score ``model`` (one network or an ``Ensemble``) once on every part of ``prepared``
    (``prepare_split``'s; the test part too: this is the end of training) → ``TrainedModel``."""
    trainer = Trainer(config, device=device)
    model.to(trainer.device)
    errors: dict[str, float | None] = {}
    losses: dict[str, float | None] = {}
    for name in PARTS:
        part = getattr(prepared, name.replace("-", "_"))
        if part is None:
            losses[name] = errors[name] = None
            continue
        loss, error = trainer.evaluate(model, Examples(part.x, part.y, part.weights))
        losses[name] = loss if math.isfinite(loss) else None
        errors[name] = error
    dev = prepared.dev
    dev_logits = None if dev is None else predict_logits(model, dev.x)
    model.to("cpu").eval()
    return TrainedModel(
        model=model,
        spec=spec,
        config=config,
        normalizer=prepared.normalizer,
        result=result,
        sizes={name: len(idx) for name, idx in prepared.split.parts().items()},
        errors=errors,
        losses=losses,
        dev_logits=dev_logits,
        dev_y=None if dev is None else dev.y,
        init_from=init_from,
        member_histories=list(member_histories),
        prepared=prepared,
    )


def train_on_split(
    dataset: Any,
    split: Any,
    spec: ModelSpec,
    config: TrainConfig,
    *,
    seed: int = 0,
    device: str = "auto",
    callbacks: Sequence[Callback] = (),
    time_budget_s: float | None = None,
    init: WarmStart | None = None,
    bins: int = 0,
) -> TrainedModel:
    """Normalize on train, train on train (dev watched), then measure every part once.

    ``init``: start from a checkpoint's weights (transfer learning; ``spec`` is ``init.spec``);
    ``bins``: binned inputs (``prepare_split``; ``spec`` then takes the binned width)."""
    prepared = prepare_split(dataset, split, spec, bins=bins)
    dev = prepared.dev
    torch.manual_seed(seed)
    model = build_model(spec)
    if init is not None:
        init.initialize(model)
    trainer = Trainer(
        config, device=device, seed=seed, callbacks=callbacks, time_budget_s=time_budget_s
    )
    train = prepared.train
    result = trainer.fit(
        model,
        Examples(train.x, train.y, train.weights),
        None if dev is None else Examples(dev.x, dev.y, dev.weights),
    )
    return measure_trained(
        model,
        prepared,
        spec=spec,
        config=config,
        result=result,
        device=trainer.device,
        init_from=None if init is None else init.record,
    )


def train_history(trained: TrainedModel) -> History | list[History]:
    """What history/NAME.json holds: the epochs and how training ended, or one per member of
    an ensemble (history/NAME.member-K.json)."""
    if trained.member_histories:
        return [History(epochs=h) for h in trained.member_histories]
    result = trained.result
    return History(
        epochs=result.history,
        stop_reason=result.stop_reason,
        stop_message=result.stop_message,
        best_epoch=result.best_epoch,
    )


def train_summary(
    trained: TrainedModel, dataset: Any, *, name: str, data: str, run_dir: Path, model_dir: Path
) -> TrainSummary:
    """What ``orthotune train`` reports of ``trained``, kept as ``name`` in ``model_dir``."""
    result = trained.result
    ref = dataset.reference
    return TrainSummary(
        data=data,
        run_dir=str(run_dir),
        model=name,
        model_dir=str(model_dir),
        spec=trained.spec,
        config=trained.config,
        parameters=count_parameters(trained.model),
        flops_per_example=flops_per_example(trained.model, trained.spec.input_shape),
        ensemble=max(1, len(trained.member_histories)),
        sizes=trained.sizes,
        errors=trained.errors,
        losses=trained.losses,
        loss_weighted=trained.prepared is not None and trained.prepared.train.weights is not None,
        human_error=ref.human_error,
        bayes_error=ref.bayes_error,
        stop_reason=result.stop_reason,
        stop_message=result.stop_message,
        best_epoch=result.best_epoch,
        epochs_run=result.epochs_run,
        seconds=result.seconds,
        device=result.device,
        seed=result.seed,
        init_from=trained.init_from,
    )


def read_config_file(path: str | Path) -> dict[str, dict[str, Any]]:
    """A YAML or JSON file with ``model:`` and/or ``train:`` sections → the two dicts."""
    import json

    import yaml

    file = Path(path).expanduser()
    if file.is_dir():
        raise InvalidInputError(f"--config {file} is a folder; give a YAML or JSON file")
    if not file.is_file():
        raise InvalidInputError(f"--config {file} does not exist; give a YAML or JSON file")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:  # UTF-16 from a Windows editor, Latin-1, or no text at all
        raise InvalidInputError(
            f"--config {file} is not UTF-8 text; save it as UTF-8 (a YAML or JSON file)"
        ) from None
    try:
        raw = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        summary = " ".join(str(err).split())[:200]
        raise InvalidInputError(
            f"--config {file} does not parse ({summary}); give YAML or JSON with model: and "
            "train: sections"
        ) from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise InvalidInputError(
            f"--config {file} holds a {type(raw).__name__}, not sections; give a mapping with "
            "model: and train: sections"
        )
    unknown = [k for k in raw if k not in ("model", "train")]
    if unknown:
        raise InvalidInputError(
            f"--config {file}: unknown section(s) {', '.join(map(repr, unknown))}; accepted: "
            "model, train"
        )
    out: dict[str, dict[str, Any]] = {}
    for key in ("model", "train"):
        section = raw.get(key)
        section = {} if section is None else section  # "model:" with nothing under it
        if not isinstance(section, dict):
            raise InvalidInputError(
                f"--config {file}: section {key}: must be a mapping of settings, got "
                f"{type(section).__name__}"
            )
        out[key] = dict(section)
    return out
