"""From sampled values to something trainable: the parameter vocabulary, the default space per
data shape, ``params_to_candidate`` → (``ModelSpec``, ``TrainConfig``), and ``training_cost``
(which of a batch's trials trains first).

Vocabulary (a search space for training may use only these names):
- model: ``architecture`` (mlp, cnn1d, cnn2d, or cnn = the one that fits the input), ``width``
  and ``depth`` (the dense hidden layers: ``depth`` × ``width``), ``conv_blocks``,
  ``conv_channels``, ``kernel``, ``pool``, ``residual``, ``global_pool``, ``activation``,
  ``batch_norm``, ``dropout``, ``init``
- training: every field of ``TrainConfig`` (``optimizer``, ``lr``, ``beta``, ``beta1``,
  ``beta2``, ``l2``, ``schedule``, ``decay``, ``batch_size``, ``epochs``, ``label_smoothing``,
  ``focal_gamma`` (hard examples weighted higher), …; members of one population may differ in
  every one but the optimizer family, the batch size and the precision)
Parameters a space leaves out keep the defaults of ``ModelSpec`` and ``TrainConfig``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from orthotune._errors import InvalidInputError
from orthotune.models import ConvBlock, ModelSpec
from orthotune.search._space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    Param,
    SearchSpace,
)
from orthotune.train import TrainConfig, check_batch_norm

MODEL_PARAMETERS: tuple[str, ...] = (
    "architecture",
    "width",
    "depth",
    "conv_blocks",
    "conv_channels",
    "kernel",
    "pool",
    "residual",
    "global_pool",
    "activation",
    "batch_norm",
    "dropout",
    "init",
)
# precision is the search's, one for every trial (--precision): a space's was accepted and
# recorded, then overridden by the executor
TRAIN_PARAMETERS: tuple[str, ...] = tuple(f for f in TrainConfig.model_fields if f != "precision")
PARAMETERS: tuple[str, ...] = MODEL_PARAMETERS + TRAIN_PARAMETERS


def check_vocabulary(space: SearchSpace) -> SearchSpace:
    """Refuse a parameter name that ``params_to_candidate`` would not understand."""
    for name in space:
        if name == "precision":
            raise InvalidInputError(
                "search space parameter 'precision' is not searched: one precision trains "
                "every trial of a search; fix: remove it and give --precision fp32|bf16|auto"
            )
        if name not in PARAMETERS:
            raise InvalidInputError(
                f"search space parameter {name!r} is unknown: accepted are "
                f"{', '.join(PARAMETERS)}; fix: rename or remove it"
            )
    return space


def load_space(source: str) -> SearchSpace:
    """A training search space from a YAML file (or YAML text), vocabulary checked."""
    return check_vocabulary(SearchSpace.from_yaml(source))


CONV_PARAMETERS = ("conv_blocks", "conv_channels", "kernel", "pool", "residual", "global_pool")


def check_values(space: SearchSpace, *, input_shape: tuple[int, ...], num_classes: int) -> None:
    """Each parameter's ends — a range's low and high, each choice — as a candidate alone: a
    value the model or its training refuses (dropout 1.5, epochs −5, an unknown optimizer) is
    one line before any trial, not a run whose trials fail one by one."""
    for name, param in space.items():
        ends = param.choices if isinstance(param, CategoricalParam) else (param.low, param.high)
        for value in ends:
            params = {name: value}
            if name in CONV_PARAMETERS and _cnn_kind(tuple(input_shape)):
                params["architecture"] = "cnn"
            try:
                params_to_candidate(params, input_shape=input_shape, num_classes=num_classes)
            except InvalidInputError as err:
                raise InvalidInputError(f"--space: {name} = {value!r}: {err}") from None


def _cnn_kind(input_shape: tuple[int, ...]) -> str | None:
    return {2: "cnn1d", 3: "cnn2d"}.get(len(input_shape))


def default_space(input_shape: tuple[int, ...], num_classes: int) -> SearchSpace:
    """A sensible space for one data shape: vectors [d] → MLPs; 1-D signals [c, L] and images
    [c, h, w] → MLPs and CNNs (CNN parameters conditional on the architecture).

    Scales follow the lecture: learning rate, L2 and decay log-uniform (α = 10^r), momentum and
    Adam βs reverse-log (1 − β log-uniform), widths on a doubling ladder. The space contains the
    data shape's starting point (``_start.starting_point``: AdamW, one-cycle, λ = 30, a CNN
    without a dense hidden layer), which TPE and Hyperband try first.
    """
    if num_classes < 2:
        raise InvalidInputError(
            f"num_classes={num_classes}: accepted is 2 or more; fix: check the target column"
        )
    cnn = _cnn_kind(tuple(input_shape))
    p: dict[str, Param] = {}
    p["architecture"] = CategoricalParam(choices=("mlp", cnn) if cnn else ("mlp",))
    if cnn:
        on_cnn = {"architecture": (cnn,)}
        smallest = min(input_shape[1:])
        max_blocks = max(1, min(3, int(math.log2(max(smallest, 2)))))  # pooling halves the size
        p["conv_blocks"] = (
            IntParam(low=1, high=max_blocks, when=on_cnn)
            if max_blocks > 1
            else CategoricalParam(choices=(1,), when=on_cnn)
        )
        p["conv_channels"] = CategoricalParam(choices=(16, 32, 64), when=on_cnn)
        kernels = (3, 5, 7) if cnn == "cnn1d" else (3, 5)
        p["kernel"] = CategoricalParam(choices=kernels, when=on_cnn)
        p["pool"] = CategoricalParam(choices=("max", "none"), when=on_cnn)
    # Widths on a coarse log ladder rather than every integer: trials that share a shape train
    # together as one population, and a ladder makes shared shapes common.
    p["width"] = CategoricalParam(choices=(32, 64, 128, 256, 512))
    p["depth"] = IntParam(low=0, high=3)  # 0: no dense hidden layer (a linear read-out)
    p["activation"] = CategoricalParam(choices=("relu", "leaky_relu", "tanh", "gelu"))
    p["batch_norm"] = CategoricalParam(choices=(False, True))
    p["dropout"] = FloatParam(low=0.0, high=0.5)
    p["init"] = CategoricalParam(choices=("he_normal", "xavier_uniform", "lecun_normal"))
    p["optimizer"] = CategoricalParam(choices=("adam", "adamw", "momentum", "rmsprop"))
    p["beta"] = FloatParam(
        low=0.8, high=0.99, scale="reverse_log", when={"optimizer": ("momentum", "rmsprop")}
    )
    on_adam = {"optimizer": ("adam", "adamw")}
    p["beta1"] = FloatParam(low=0.8, high=0.95, scale="reverse_log", when=on_adam)
    p["beta2"] = FloatParam(low=0.99, high=0.9999, scale="reverse_log", when=on_adam)
    p["lr"] = FloatParam(low=1e-4, high=1e-1, scale="log")
    p["schedule"] = CategoricalParam(
        choices=("constant", "inverse_time", "exponential", "cosine", "one_cycle")
    )
    p["decay"] = FloatParam(
        low=1e-3, high=0.5, scale="log", when={"schedule": ("inverse_time", "exponential")}
    )
    p["l2"] = FloatParam(low=1e-3, high=100.0, scale="log")
    p["batch_size"] = CategoricalParam(choices=(32, 64, 128, 256))
    p["epochs"] = IntParam(low=5, high=40)
    return SearchSpace(p)


# A training step's fixed cost (Python, the optimizer, the loop), in forward FLOPs: fitted by
# rank on 40 random trials of the default space on the synthetic development set, each trained
# alone (0.07–10.8 s; 1 torch thread, Intel Xeon, throw-away script): Spearman ρ between
# ``training_cost`` and the seconds 0.96 with 10⁶ (0.95–0.96 from 2·10⁵ to 2·10⁶), 0.89 with 0
# (FLOPs alone) — a small model's epoch of many small batches is mostly this fixed cost.
STEP_FLOPS = 1_000_000


def training_cost(spec: ModelSpec, config: TrainConfig, num_examples: int) -> float:
    """A trial's training time up to a constant factor (for ordering, not for seconds): its
    optimizer steps × (a step's fixed cost ``STEP_FLOPS`` + the batch's forward FLOPs)."""
    import torch

    from orthotune.models import build_model, flops_per_example

    with torch.random.fork_rng():  # building the model to count its FLOPs draws its weights
        flops = flops_per_example(build_model(spec), spec.input_shape)
    steps = config.epochs * math.ceil(num_examples / config.batch_size)
    return float(steps * (STEP_FLOPS + config.batch_size * flops))


def params_to_candidate(
    params: Mapping[str, Any], *, input_shape: tuple[int, ...], num_classes: int
) -> tuple[ModelSpec, TrainConfig]:
    """Sampled values (user-facing, as ``SearchSpace.suggest`` returns them) → a model
    architecture and its training configuration. Unknown names are refused with the list."""
    for name in params:
        if name not in PARAMETERS:
            raise InvalidInputError(
                f"parameter {name!r} is unknown: accepted are {', '.join(PARAMETERS)}; fix: "
                "rename or remove it"
            )
    input_shape = tuple(int(d) for d in input_shape)
    kind = params.get("architecture", "mlp")
    if kind == "cnn":
        kind = _cnn_kind(input_shape) or "cnn"
    if kind not in ("mlp", _cnn_kind(input_shape)):
        raise InvalidInputError(
            f"architecture {kind!r} for input shape {input_shape}: accepted are mlp, "
            f"{_cnn_kind(input_shape) or 'mlp only for vectors'}; fix: pick one of them"
        )
    model: dict[str, Any] = {
        "kind": kind,
        "input_shape": input_shape,
        "num_classes": num_classes,
    }
    if "width" in params or "depth" in params:
        width = int(params.get("width", 100))
        depth = int(params.get("depth", 2))
        model["hidden"] = (width,) * depth
    if kind != "mlp":
        block = ConvBlock(
            channels=int(params.get("conv_channels", 32)),
            kernel=int(params.get("kernel", 3)),
            pool=params.get("pool", "max"),
            residual=bool(params.get("residual", False)),
        )
        model["conv"] = (block,) * int(params.get("conv_blocks", 2))
    for name in ("activation", "batch_norm", "dropout", "init", "global_pool"):
        if name in params:
            model[name] = params[name]
    train = {k: v for k, v in params.items() if k in TRAIN_PARAMETERS}
    try:
        spec = ModelSpec(**model)
    except ValidationError as exc:
        raise InvalidInputError(_first_error("model", exc)) from None
    try:
        config = TrainConfig(**train)
    except ValidationError as exc:
        raise InvalidInputError(_first_error("training", exc)) from None
    check_batch_norm(spec.batch_norm, config.batch_size)
    return spec, config


def _first_error(what: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in err.get("loc", ()))
    where = f"{what} parameter {loc}={err.get('input')!r}" if loc else f"{what} parameters"
    return (
        f"{where} not valid ({err.get('msg')}): accepted are values the {what} allows; fix: "
        "change that parameter's range in the search space"
    )
