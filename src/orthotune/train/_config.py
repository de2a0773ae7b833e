"""``TrainConfig``: how one model is trained — the lecture's optimization knobs as plain data.

Shared by the single ``Trainer`` and the population (which takes one TrainConfig per member; the
members of one population share ``group_key()``).

Conventions (DESIGN.md):
- epochs are counted t = 0, 1, 2 …; the schedule is a multiplier of ``lr`` per epoch t:
  ``inverse_time`` 1/(1+decay·t) · ``exponential`` e^(−decay·t) · ``inverse_sqrt`` k/√(t+1)
  (the lecture's k·α0/√epoch, shifted so that t = 0 is defined) · ``staircase`` factor^⌊t/step⌋ ·
  ``cosine`` ½(1+cos(π·t/epochs)) · ``one_cycle`` (torch's OneCycleLR shape, per step) ·
  ``constant`` 1
- L2: J + λ/(2m)·Σ‖W‖²_F with m the number of training examples; biases and batch-norm
  parameters are not decayed; for SGD this equals torch ``weight_decay = λ/m``.
- example weights: each mini-batch loss is Σ s(i)·L(i) / Σ s(i) over that batch, L(i) the
  example's training loss: cross-entropy, label-smoothed by ε and times the focal factor
  (1 − p_t)^γ when those are set (``train/_loss.py``).
- ``batch_size`` 1 is stochastic gradient descent, ``None`` (= m) batch gradient descent,
  anything else mini-batch gradient descent (the lecture's terms).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Optimizer = Literal["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"]
Schedule = Literal[
    "constant", "inverse_time", "exponential", "inverse_sqrt", "staircase", "cosine", "one_cycle"
]
OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES: tuple[str, ...] = (
    "constant",
    "inverse_time",
    "exponential",
    "inverse_sqrt",
    "staircase",
    "cosine",
    "one_cycle",
)


class TrainConfig(BaseModel):
    """Optimizer, learning rate and its decay, regularization, batches, epochs, early stopping."""

    # inf is no learning rate (it trained to NaN and saved a model no command could load)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    optimizer: Optimizer = "adam"
    lr: float = Field(default=1e-3, gt=0)
    beta: float = Field(default=0.9, ge=0, lt=1, description="momentum β; RMSprop's β (alpha)")
    beta1: float = Field(default=0.9, ge=0, lt=1)
    beta2: float = Field(default=0.999, ge=0, lt=1)
    eps: float = Field(default=1e-8, gt=0)
    l2: float = Field(default=0.0, ge=0, description="the lecture's λ in λ/(2m)·Σ‖W‖²")
    schedule: Schedule = "constant"
    decay: float = Field(default=0.0, ge=0, description="decay rate of inverse_time/exponential")
    k: float = Field(default=1.0, gt=0, description="k of inverse_sqrt")
    step_epochs: int = Field(default=10, gt=0, description="staircase: epochs per step")
    step_factor: float = Field(default=0.5, gt=0, le=1, description="staircase: factor per step")
    batch_size: int | None = Field(default=64, gt=0, description="None = m (batch GD)")
    epochs: int = Field(default=20, gt=0)
    patience: int | None = Field(default=None, gt=0, description="early stopping on dev error")
    min_delta: float = Field(default=0.0, ge=0)
    grad_clip: float | None = Field(default=None, gt=0, description="max global gradient norm")
    augment: str | None = Field(default=None, description="augmentation policy name or None")
    class_balance: bool = False
    precision: Literal["fp32", "bf16"] = Field(
        default="fp32",
        description="bf16: the training forward pass under bfloat16 autocast (float32 weights, "
        "optimizer and evaluation); see train/_precision.py",
    )
    label_smoothing: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="ε: train on targets (1 − ε)·one-hot + ε/C (a model memorizes wrong labels "
        "less); evaluation losses are plain cross-entropy",
    )
    focal_gamma: float = Field(
        default=0.0,
        ge=0,
        description="γ of the focal loss (1 − p_t)^γ·ℓ: well-classified examples weigh less, "
        "hard ones relatively more (0 = cross-entropy; see train/_loss.py)",
    )

    @field_validator("epochs", "step_epochs", "batch_size", "patience", mode="before")
    @classmethod
    def _no_bool(cls, v: object) -> object:
        """``epochs: yes`` in a YAML file is True, which pydantic reads as 1: refused."""
        if isinstance(v, bool):
            raise ValueError(f"{v} is a yes/no value, not a count; give a whole number, e.g. 20")
        return v

    @field_validator("augment")
    @classmethod
    def _known_policy(cls, v: str | None) -> str | None:
        if v is None or v.strip() in ("", "none"):
            return None
        from orthotune.data import parse_policy

        parse_policy(v)  # raises InvalidInputError (a ValueError) naming the accepted policies
        return v.strip()

    def group_key(self) -> tuple:
        """What members of one population must share (DESIGN.md's grouping key, with the
        model's ``shape_key``): the optimizer family, the mini-batch size and the precision.

        DESIGN.md's key is (shape, optimizer family, batch size); precision joins it because
        one population runs one arithmetic (``train/_precision.py``). A search gives all its
        trials the same precision, so this never splits one of its batches."""
        family = {"momentum": "sgd", "nesterov": "sgd"}.get(self.optimizer, self.optimizer)
        return (family, self.batch_size, self.precision)
