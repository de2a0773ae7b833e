"""Transfer learning: start a model from a checkpoint's weights (``--init-from``).

``load_warm_start(RUN_DIR | MODEL_DIR, input_shape=…, class_names=…, freeze=…)`` reads an
orthotune checkpoint (a run folder means its chosen model, ``models/best``) through
``load_checkpoint`` — safetensors only, the weights' sha256 checked against the manifest — and
returns a ``WarmStart``:

- the architecture to train is the checkpoint's, with the new data's number of classes; the
  input shape must be the one it was trained on (else one line naming both shapes);
- every weight is copied, batch-norm statistics included; the output layer ``out`` is copied
  only when the class names are the same, in the same order, and otherwise left as the new
  model's own (seeded) initialization: a new task gets a new read-out;
- ``freeze``: ``"features"`` (every layer but the output layer) or N (the first N layers,
  counting conv blocks, then dense layers; 0 = none) keep their weights: their parameters get
  ``requires_grad = False``, and the ``Trainer`` runs a batch-norm layer whose parameters are
  all frozen in inference mode, so its running statistics stay the checkpoint's too (Keras's
  rule for ``trainable = False``). A frozen layer's dropout still applies while training.

The fine-tuned model normalizes its inputs with the new training set's μ and σ² like any model
(``orthotune.data.Normalizer``): the checkpoint's statistics belong to its own data.
An ensemble checkpoint is refused (which of its members would the new model start from?).
The population trains warm-started members too (``Population(init=…)``); frozen layers it does
not vectorize, so such a candidate trains through the sequential ``Trainer``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from orthotune._errors import InvalidInputError
from orthotune._rundir import resolve_model_dir
from orthotune.models import ModelSpec
from orthotune.train._checkpoint import InitRecord, load_checkpoint

__all__ = ["FREEZE_FEATURES", "WarmStart", "frozen_modules", "load_warm_start", "parse_freeze"]

FREEZE_FEATURES = "features"
_OUTPUT = "out."


@dataclass(frozen=True)
class WarmStart:
    """Weights to start from, where they came from, and which layers stay as they are.

    spec: the architecture to train (the checkpoint's, with the new data's classes);
    state: the checkpoint's tensors to copy (without the output layer when it is replaced);
    freeze: how many of the first layers keep their weights (0 = none).
    """

    source: str
    spec: ModelSpec
    weights_sha256: str
    freeze: int = 0
    replaced_output: bool = False
    state: dict[str, torch.Tensor] = field(default_factory=dict, compare=False, repr=False)

    @property
    def record(self) -> InitRecord:
        """What a checkpoint's manifest keeps of it (``Manifest.init_from``)."""
        return InitRecord(
            source=self.source,
            weights_sha256=self.weights_sha256,
            freeze=self.freeze,
            replaced_output=self.replaced_output,
        )

    def initialize(self, model: nn.Module) -> nn.Module:
        """Copy the weights into ``model`` (built from ``self.spec``, in its dtype and on its
        device) and freeze the first ``freeze`` layers; returns the model."""
        own = model.state_dict()
        with torch.no_grad():
            for name, value in self.state.items():
                own[name].copy_(value)
        for module in frozen_modules(model, self.freeze):
            for p in module.parameters():
                p.requires_grad_(False)
        return model


def frozen_modules(model: nn.Module, n: int) -> list[nn.Module]:
    """The first ``n`` layers of a ``Net``: its conv units, then its dense units."""
    layers = [*getattr(model, "features", ()), *getattr(model, "head", ())]
    return layers[:n]


def parse_freeze(text: str | int | None) -> str | int | None:
    """``--freeze``: ``features``, or a number of layers N ≥ 0; None when not given."""
    if text is None or isinstance(text, int):
        return text
    value = str(text).strip().lower()
    if value == FREEZE_FEATURES:
        return FREEZE_FEATURES
    if value.isdigit():
        return int(value)
    raise InvalidInputError(
        f"--freeze {text!r} is not accepted: give 'features' (every layer but the output "
        "layer) or a number of layers N ≥ 0, e.g. --freeze features or --freeze 2"
    )


def load_warm_start(
    path: str | os.PathLike,
    *,
    data_shape: Sequence[int],
    class_names: Sequence[str],
    freeze: str | int | None = None,
) -> WarmStart:
    """A ``WarmStart`` from ``RUN_DIR`` (its chosen model) or ``MODEL_DIR`` for data whose
    examples have ``data_shape`` (as loaded) and whose classes are ``class_names`` (module
    doc)."""
    given = Path(path)
    if not given.exists():
        raise InvalidInputError(
            f"--init-from {given} does not exist; give a run folder (its chosen model) or a "
            "model folder written by orthotune train or tune"
        )
    try:
        model, manifest = load_checkpoint(resolve_model_dir(given))
    except InvalidInputError as err:
        raise InvalidInputError(f"--init-from {given}: {err}") from None
    if manifest.members:
        raise InvalidInputError(
            f"--init-from {given} is an ensemble of {len(manifest.members)} models; transfer "
            "starts from one network: give a one-model run or model folder (trained without "
            "--ensemble)"
        )
    spec = manifest.spec
    shape = tuple(int(d) for d in data_shape)
    trained_on = tuple(manifest.data_shape or spec.input_shape)
    if (
        trained_on != shape
        if manifest.data_shape is not None
        else math.prod(shape) != math.prod(spec.input_shape)
    ):
        raise InvalidInputError(
            f"--init-from {given}: the checkpoint was trained on examples of shape "
            f"{trained_on}, this data's are {shape}; transfer needs the same input shape: "
            "resample or crop the data to it, or train from scratch"
        )
    if math.prod(shape) != math.prod(spec.input_shape):  # it read its features beside bins:
        # refused as "trained on (30,), this data's are (30,)" while --input-bins was refused
        # as "the checkpoint's own encoding is used"
        raise InvalidInputError(
            f"--init-from {given}: its network reads each example's {math.prod(shape)} "
            f"features beside their quantile bins ({math.prod(spec.input_shape)} inputs; the "
            "autopilot's step 0 may choose that encoding), which transfer does not carry over: "
            "give a checkpoint trained without bins (train's default, --input-bins 0), or "
            "train from scratch"
        )
    freeze = parse_freeze(freeze)
    layers = spec.num_layers
    count = layers if freeze == FREEZE_FEATURES else int(freeze or 0)
    if count > layers:
        raise InvalidInputError(
            f"--freeze {freeze}: the checkpoint's model has {layers} layers before its output "
            f"layer; accepted: 0 … {layers}, or 'features' (all {layers})"
        )
    same_classes = tuple(manifest.class_names) == tuple(class_names) and spec.num_classes == len(
        class_names
    )
    state = {
        name: value
        for name, value in model.state_dict().items()
        if same_classes or not name.startswith(_OUTPUT)
    }
    return WarmStart(
        source=str(given),
        spec=spec.model_copy(update={"num_classes": len(class_names)}),
        weights_sha256=manifest.weights_sha256,
        freeze=count,
        replaced_output=not same_classes,
        state=state,
    )
