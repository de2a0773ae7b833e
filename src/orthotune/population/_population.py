"""``Population``: N models of one architecture trained at once as stacked tensors.

Storage (P = parameters per member, N = members still training):

    theta:     [N, P]  every member's parameters, one row each (``ParamLayout``)
    grad:      [N, P]  their gradients
    optimizer: [N, P]  per state tensor (Adam: exp_avg, exp_avg_sq)
    buffers:   [N, C]  batch-norm running statistics, per BN layer
    hp:        [N, 1]  per-member hyperparameters (``HyperParameters``); label smoothing ε and
                       focal γ of the loss likewise ([N, 1] each, ``train/_loss.py``)

A training step runs the forward of every member as batched ops (``StackedNet``), sums the
members' own mean losses (so each member's gradient is its own: nothing mixes members), and
updates all rows with one vectorized optimizer step. No step reads a value back to the host:
a member whose loss turns NaN/inf is marked on the device (its first such step and loss) and
failed at the next check — every ``CHECK_EVERY`` steps, at an epoch's last step, and before
anything reads or changes the stack — since a host read waits for every queued kernel on a GPU.
Until then its row steps on non-finite numbers, which reach no other row. A member that stops
(completed, early stopped, pruned, failed) leaves the stack: every [N, …] tensor is compacted to
the members still training, so it stops costing compute; its final state is kept for export.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from orthotune._errors import InvalidInputError
from orthotune.models import ModelSpec, Net, build_model
from orthotune.population._dense_step import DenseStep
from orthotune.population._hparams import (
    PERTURBABLE,
    HyperParameters,
    optimizer_family,
    perturbed_config,
)
from orthotune.population._layout import ParamLayout
from orthotune.population._network import StackedNet
from orthotune.population._optim import StackedOptimizer
from orthotune.population._status import MemberResult, MemberStatus
from orthotune.train import (
    EpochRecord,
    StopReason,
    TrainConfig,
    WarmStart,
    batch_norm_momentum,
    focal_factor,
    training_autocast,
)

logger = logging.getLogger(__name__)

# Steps between two host reads of the members' finiteness (an epoch's last step reads too).
CHECK_EVERY = 32


@dataclass
class _Member:
    """Mutable bookkeeping of one member (public view: ``MemberResult``)."""

    member_id: int
    seed: int
    spec: ModelSpec
    config: TrainConfig
    status: MemberStatus = MemberStatus.RUNNING
    reason: StopReason | None = None
    message: str = ""
    epochs: int = 0
    steps: int = 0
    batches_tracked: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    best_epoch: int | None = None
    restored_best: bool = False


@dataclass(frozen=True)
class MemberScores:
    """Per-member figures of one evaluation, aligned with ``member_ids``.

    error: [N] fraction misclassified · loss: [N] mean cross-entropy (weighted Σs·L/Σs when
    example weights are given).
    """

    member_ids: list[int]
    error: torch.Tensor
    loss: torch.Tensor


@dataclass(frozen=True)
class _StepOutcome:
    loss: torch.Tensor  # [N] batch loss of each member still training
    wrong: torch.Tensor  # [N] misclassified examples of the batch
    gradient_norms: torch.Tensor | None  # [L, N] weight-gradient norm per layer, or None


def vectorization_problem(spec: ModelSpec, config: TrainConfig) -> str | None:
    """Why a (spec, config) cannot train inside a population, or None when it can.

    Every ModelSpec kind and every TrainConfig knob vectorizes today (augmentation and class
    balancing included, see ``fit_population``); what remains is a device a member's tensors
    cannot live on together, which the caller decides (``group_trials(max_members=…)``).
    This is the one place a future knob that cannot be stacked is declared: a model that reads
    chosen features (``ModelSpec.select``) chooses them on its own training rows, which differ
    per member under cross-validation, so it trains alone."""
    if spec.kind not in ("mlp", "cnn1d", "cnn2d"):
        return f"model kind {spec.kind!r} has no stacked implementation"
    if spec.select is not None:
        return f"it reads the {spec.select} features its own training rows rank highest"
    return None


class Population:
    """N members of one ``ModelSpec`` shape trained at once.

    specs: one spec for every member, or one per member (equal ``shape_key()``; dropout rates
    and initialization may differ). configs: one ``TrainConfig`` per member (equal
    ``group_key()``: optimizer family, batch size and precision). seeds: member i is
    initialized exactly as ``torch.manual_seed(seeds[i]); build_model(specs[i])``, then from
    ``init[i]`` when given (a ``WarmStart``: transfer learning; frozen layers are refused).
    num_examples: m, the training set size (L2 is λ/(2m)·Σ‖W‖²). backward: ``auto`` (float32
    MLPs use the hand-written backward of ``DenseStep``, everything else autograd; ``bf16``
    members run their training forward under autocast, see ``train/_precision.py``),
    ``manual`` or ``autograd``.
    """

    def __init__(
        self,
        specs: ModelSpec | Sequence[ModelSpec],
        configs: Sequence[TrainConfig],
        *,
        num_examples: int,
        seeds: Sequence[int] | None = None,
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        backward: str = "auto",
        init: Sequence[WarmStart | None] | None = None,
    ):
        configs = list(configs)
        n = len(configs)
        if n == 0:
            raise InvalidInputError(
                "a population needs at least one TrainConfig, got none: pass one per member"
            )
        spec_list = [specs] * n if isinstance(specs, ModelSpec) else list(specs)
        seed_list = list(range(n)) if seeds is None else [int(s) for s in seeds]
        if len(spec_list) != n or len(seed_list) != n:
            raise InvalidInputError(
                f"got {len(spec_list)} specs, {n} configs and {len(seed_list)} seeds: "
                "give one spec (or one per member) and one config and seed per member"
            )
        if num_examples < 1:
            raise InvalidInputError(
                f"num_examples={num_examples} is not a training set size: give m ≥ 1"
            )
        _check_groupable(spec_list, configs)
        self.device = torch.device(device)
        self.dtype = dtype
        self.num_examples = num_examples
        self.family = optimizer_family(configs[0])
        self.batch_size = configs[0].batch_size
        self.spec = spec_list[0]
        # running statistics with the sequential Trainer's memory (train.batch_norm_momentum)
        self.bn_momentum = batch_norm_momentum(num_examples, self.batch_size)
        self.net = StackedNet(self.spec, bn_momentum=self.bn_momentum)
        if backward not in ("auto", "manual", "autograd"):
            raise InvalidInputError(
                f"backward={backward!r} is not a backward engine: accepted are auto, manual "
                "(hand-written, MLPs only) and autograd"
            )
        if backward == "manual" and self.spec.kind != "mlp":
            raise InvalidInputError(
                f"backward='manual' covers MLPs, not {self.spec.kind}: use auto or autograd"
            )
        self.precision = configs[0].precision
        if backward == "manual" and self.precision != "fp32":
            raise InvalidInputError(
                f"backward='manual' is float32 only, but the members train in "
                f"{self.precision}: use auto or autograd, or precision fp32"
            )
        use_manual = self.spec.kind == "mlp" and backward != "autograd" and self.precision == "fp32"
        self._dense_step = (
            DenseStep(self.spec, bn_momentum=self.bn_momentum) if use_manual else None
        )
        self._members = [
            _Member(i, s, sp, c)
            for i, (s, sp, c) in enumerate(zip(seed_list, spec_list, configs, strict=True))
        ]
        models = [_build(sp, s) for sp, s in zip(spec_list, seed_list, strict=True)]
        for i, start in enumerate(_warm_starts(init, spec_list)):
            if start is not None:
                start.initialize(models[i])
                counts = [v for k, v in models[i].state_dict().items() if k.endswith("_tracked")]
                self._members[i].batches_tracked = int(counts[0]) if counts else 0
        self.layout = ParamLayout.of(models[0])
        self.theta, self.buffers = self.layout.stack(models, dtype=dtype, device=self.device)
        self.grad = torch.zeros_like(self.theta)
        self.optimizer = StackedOptimizer(
            self.family,
            n,
            self.layout.size,
            dtype=dtype,
            device=self.device,
            momentum=any(c.optimizer in ("momentum", "nesterov") for c in configs),
        )
        self._ids = list(range(n))  # member id of each row of the stack
        self._marks: list[tuple[int, int]] = []  # (epoch, step) of each step since the check
        self._archive: dict[int, dict[str, torch.Tensor]] = {}
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(seed_list[0] * 1_000_003 + n)
        self._rebuild()

    # ------------------------------------------------------------------ members
    @property
    def active_ids(self) -> list[int]:
        """Member ids still training, in stack order (row i of every [N, …] tensor)."""
        return list(self._ids)

    @property
    def num_active(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return len(self._members)

    def member(self, member_id: int) -> MemberResult:
        """The current record of one member (after the check: a pending failure shows)."""
        m = self._member(member_id)
        self._settle()
        return MemberResult(
            member_id=m.member_id,
            seed=m.seed,
            spec=m.spec,
            config=m.config,
            status=m.status,
            reason=m.reason,
            message=m.message,
            epochs=m.epochs,
            steps=m.steps,
            history=list(m.history),
            best_epoch=m.best_epoch,
            restored_best=m.restored_best,
        )

    def _member(self, member_id: int) -> _Member:
        if not isinstance(member_id, int) or not 0 <= member_id < len(self._members):
            raise InvalidInputError(
                f"member {member_id!r} is not in this population: accepted ids are "
                f"0…{len(self._members) - 1}"
            )
        return self._members[member_id]

    def _row(self, member_id: int) -> int:
        m = self._member(member_id)
        if member_id not in self._ids:
            raise InvalidInputError(
                f"member {member_id} is no longer training ({m.status.value}): accepted are "
                f"the active members {self._ids}"
            )
        return self._ids.index(member_id)

    # ------------------------------------------------------------------ stacked state
    def _rebuild(self) -> None:
        """Views, leaves and per-member columns for the current stack (after compaction)."""
        active = [self._members[i] for i in self._ids]
        self.hp = HyperParameters(
            [m.config for m in active], num_examples=self.num_examples, device=self.device
        )
        self._views = {s.name: s.view(self.theta) for s in self.layout.slots}  # [N, *shape]
        self._grad_map = {s.name: s.view(self.grad) for s in self.layout.slots}
        # autograd leaves sharing storage with theta: the optimizer's in-place update of theta
        # is what the next forward sees.
        self._leaves = {k: v.detach().requires_grad_(True) for k, v in self._views.items()}
        smoothing = [m.config.label_smoothing for m in active]
        self._smoothing = (  # ε per member [N, 1], None when no member smooths its targets
            torch.tensor(smoothing, dtype=self.dtype, device=self.device).view(-1, 1)
            if any(e > 0 for e in smoothing)
            else None
        )
        gammas = [m.config.focal_gamma for m in active]
        self._focal = (  # focal γ per member [N, 1], None when every member trains on plain ℓ
            torch.tensor(gammas, dtype=self.dtype, device=self.device).view(-1, 1)
            if any(g > 0 for g in gammas)
            else None
        )
        # per row: index into _marks of the first step with a non-finite loss (−1: none), and
        # that loss; read at the next check (_settle)
        self._bad_at = torch.full((len(active),), -1, dtype=torch.long, device=self.device)
        self._bad_loss = torch.zeros(len(active), dtype=self.dtype, device=self.device)
        self._drop_rates: list[torch.Tensor | None] = []
        for layer in range(self.spec.num_layers):
            rates = [m.spec.dropout_of(layer) for m in active]
            self._drop_rates.append(
                torch.tensor(rates, dtype=self.dtype, device=self.device)
                if any(r > 0 for r in rates)
                else None
            )

    def _select(self, rows: list[int]) -> None:
        """Compact every [N, …] tensor down to ``rows`` of the stack."""
        index = torch.tensor(rows, dtype=torch.long, device=self.device)
        self.theta = self.theta.index_select(0, index)
        self.grad = self.grad.index_select(0, index)
        self.buffers = {k: v.index_select(0, index) for k, v in self.buffers.items()}
        self.optimizer.select(index)
        if self._dense_step is not None:
            self._dense_step.reset()  # its work buffers had the old N
        self._ids = [self._ids[r] for r in rows]
        self._rebuild()

    def stop(
        self,
        member_ids: Iterable[int],
        *,
        status: MemberStatus = MemberStatus.PRUNED,
        reason: StopReason = StopReason.CALLBACK,
        message: str | Mapping[int, str] = "",
    ) -> None:
        """Take members out of training: record why, keep their final state for export (not
        for failed members), and compact the stack to the members still training."""
        self._retire(
            [
                (
                    mid,
                    status,
                    reason,
                    message.get(mid, "") if isinstance(message, Mapping) else message,
                )
                for mid in dict.fromkeys(member_ids)
            ]
        )

    def _retire(
        self,
        entries: list[tuple[int, MemberStatus, StopReason, str]],
        kept_states: Mapping[int, dict[str, torch.Tensor]] | None = None,
    ) -> None:
        """Stop several members (each with its own status) with one compaction.

        ``kept_states[id]``: the state to keep for export instead of the current one (the best
        epoch's under early stopping)."""
        kept_states = kept_states or {}
        before = set(self._ids)
        self._settle()  # members it fails now leave; asking to stop them again is no error
        just_failed = before - set(self._ids)
        entries = [e for e in entries if e[0] not in just_failed]
        for mid, *_ in entries:
            self._row(mid)  # validates: active members only
        for mid, status, reason, message in entries:
            m = self._members[mid]
            m.status, m.reason, m.message = status, reason, message
            if status is MemberStatus.FAILED:
                continue
            if mid in kept_states:
                self._archive[mid] = kept_states[mid]
                m.restored_best = True
            else:
                self._archive[mid] = self._state_dict_of_row(self._ids.index(mid))
        if entries:
            gone = {e[0] for e in entries}
            self._select([r for r, mid in enumerate(self._ids) if mid not in gone])
            logger.debug("stopped members %s; %d still training", sorted(gone), len(self._ids))

    def memory_bytes(self) -> dict[str, int]:
        """Bytes of parameters, gradients and optimizer state of the members still training."""
        size = self.theta.element_size()
        return {
            "parameters": self.theta.numel() * size,
            "gradients": self.grad.numel() * size,
            "optimizer_state": self.optimizer.state_bytes(),
        }

    def scratch_bytes(self) -> int:
        """Bytes of the reusable work buffers (the optimizer's update buffer, the hand-written
        backward's activations): the counterpart of the temporaries torch allocates per step."""
        total = self.optimizer.scratch_bytes()
        if self._dense_step is not None:
            total += self._dense_step.scratch_bytes()
        return total

    def train_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        weights: torch.Tensor | None = None,
        *,
        epoch: int = 0,
        step: int = 0,
        steps_per_epoch: int = 1,
    ) -> torch.Tensor:
        """One optimizer step of every active member on one mini-batch.

        x: ``[B, *input_shape]`` (every member sees this batch) or ``[N, B, *input_shape]``
        (member i sees row i); y: ``[B]`` or ``[N, B]`` class indices; weights: example weights
        s(i) shaped like y (loss Σ s·L / Σ s), or None. (epoch, step) place the step in each
        member's learning-rate schedule. A member whose loss is NaN/inf fails at the next check
        (see the module's doc: every ``CHECK_EVERY`` steps, at the epoch's last step, or when
        its state or status is read), recorded at its first non-finite step; the others step
        unchanged. Returns the batch loss ``[N]`` of the members active after the step
        (detached, in ``active_ids`` order).
        """
        return self._step(
            x, y, weights, epoch=epoch, step=step, steps_per_epoch=steps_per_epoch
        ).loss

    def _step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        weights: torch.Tensor | None,
        *,
        epoch: int,
        step: int,
        steps_per_epoch: int,
        gradient_norms: bool = False,
    ) -> _StepOutcome:
        """``train_step`` with what ``fit`` records: misclassified counts ``[N]`` and, when
        asked, each layer's weight-gradient norm ``[L, N]`` (before clipping and L2)."""
        shared = x.dim() == len(self.spec.input_shape) + 1
        empty = torch.empty(0, dtype=self.dtype, device=self.device)
        if not self._ids:
            return _StepOutcome(empty, empty, None)
        x = x.to(device=self.device, dtype=self.dtype)
        y = y.to(self.device)
        if weights is not None:
            weights = weights.to(device=self.device, dtype=self.dtype)
        if self._dense_step is not None:  # MLP: hand-written backward into self.grad
            loss, wrong = self._dense_step(
                x,
                y,
                weights,
                self._views,
                self._grad_map,
                self.buffers,
                self._drop_rates,
                shared=shared,
                generator=self.generator,
                smoothing=self._smoothing,
                focal=self._focal,
            )
        else:
            loss, logits = self._loss(x, y, weights, shared=shared, train=True)  # [N]
            leaves = list(self._leaves.values())
            grads = torch.autograd.grad(loss.sum(), leaves, allow_unused=True)
            for g_view, g in zip(self._grad_map.values(), grads, strict=True):
                if g is None:
                    g_view.zero_()
                else:
                    g_view.copy_(g)
            loss = loss.detach()
            wrong = (logits.detach().argmax(1) != y).sum(-1)  # [N]
        newly = ~torch.isfinite(loss) & (self._bad_at < 0)  # marked on the device, no read
        self._bad_at.masked_fill_(newly, len(self._marks))
        self._bad_loss = torch.where(newly, loss.to(self.dtype), self._bad_loss)
        self._marks.append((epoch, step))
        norms = None
        if gradient_norms:
            norms = torch.stack(
                [
                    torch.linalg.vector_norm(self._grad_map[s.name].flatten(1), dim=1)
                    for s in self.layout.slots
                    if s.decayed
                ]
            )  # [L, N]
        if self.hp.any_clip:
            self._clip_gradients()
        lr = self.hp.lr_at(epoch, step, steps_per_epoch)
        self.optimizer.step(self.theta, self.grad, self.hp, lr, num_decayed=self.layout.num_decayed)
        for mid in self._ids:
            m = self._members[mid]
            m.steps += 1
            m.batches_tracked += 1
        if len(self._marks) >= CHECK_EVERY or step == steps_per_epoch - 1:
            kept = self._settle()
            if kept is not None:  # rows of the members still training, in the old stack
                loss, wrong = loss[kept], wrong[kept]
                norms = None if norms is None else norms[:, kept]
        return _StepOutcome(loss, wrong, norms)

    def _loss(self, x, y, weights, *, shared: bool, train: bool):
        """Each member's mean (or Σs·L/Σs) cross-entropy on its batch ``[N]``, and the logits
        ``[N, C, B]``."""
        params = self._leaves if train else self._views
        context = training_autocast(self.precision, self.device) if train else torch.no_grad()
        with context:
            logits = self.net.forward(
                x,
                params,
                self.buffers,
                self._drop_rates,
                shared=shared,
                train=train,
                generator=self.generator,
            )  # [N, C, B]
            n, _, b = logits.shape
            targets = y.expand(n, b) if y.dim() == 1 else y  # [N, B]
            per_example = F.cross_entropy(logits, targets, reduction="none")  # [N, B]
            if train and self._smoothing is not None:  # (1 − ε)·ℓ + ε·mean over classes of −log p
                spread = -torch.log_softmax(logits.to(per_example.dtype), dim=1).mean(1)  # [N, B]
                per_example = (1 - self._smoothing) * per_example + self._smoothing * spread
            if train and self._focal is not None:  # (1 − p_t)^γ·ℓ, γ per member (train/_loss.py)
                per_example = per_example * focal_factor(logits, targets, self._focal)
            if weights is None:
                return per_example.mean(1), logits
            w = (weights.expand(n, b) if weights.dim() == 1 else weights).to(per_example.dtype)
            # a batch whose weights are all zero contributes 0, not 0/0 (as
            # ``data.weighted_mean_loss``): 18 weighted rows of 300 failed the baseline with
            # "loss became nan … lower the learning rate" (a new user's)
            total, weighted = w.sum(1), (per_example * w).sum(1)
            tiny = torch.finfo(w.dtype).tiny
            return torch.where(total > 0, weighted / total.clamp(min=tiny), 0 * weighted), logits

    def _settle(self) -> torch.Tensor | None:
        """The check: one host read of the marks; members whose loss turned non-finite since the
        last check fail, with the epoch, step and loss of their first such step (their steps
        taken count up to it). Returns the rows kept (a long tensor over the stack before), or
        None when nobody failed."""
        if not self._marks:
            return None
        marks, self._marks = self._marks, []
        bad_at = self._bad_at.tolist()  # the host read
        rows = [r for r, at in enumerate(bad_at) if at >= 0]
        if not rows:
            return None
        loss = self._bad_loss.tolist()
        messages = {}
        for r in rows:
            m = self._members[self._ids[r]]
            m.steps -= len(marks) - bad_at[r]  # the steps before the first non-finite one
            m.batches_tracked -= len(marks) - bad_at[r]
            epoch, step = marks[bad_at[r]]
            messages[m.member_id] = (
                f"loss became {loss[r]} at epoch {epoch + 1} step {step} ({m.steps} steps taken; "
                f"{m.config.optimizer} lr {m.config.lr:g}): lower the learning rate or add "
                "gradient clipping"
            )
        logger.info("members %s failed: non-finite loss", sorted(messages))
        kept = [r for r in range(len(self._ids)) if r not in rows]
        self.stop(
            messages, status=MemberStatus.FAILED, reason=StopReason.NON_FINITE, message=messages
        )
        return torch.tensor(kept, dtype=torch.long, device=self.device)

    def _clip_gradients(self) -> None:
        """Per member, as torch.nn.utils.clip_grad_norm_: g ← g·min(1, max/(‖g‖ + 1e-6))."""
        norm = torch.linalg.vector_norm(self.grad, dim=1, keepdim=True)  # [N, 1]
        coef = (self.hp.max_norm.to(self.dtype) / (norm + 1e-6)).clamp(max=1.0)
        self.grad.mul_(coef)

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict_logits(self, x: torch.Tensor, *, batch_size: int = 1024) -> torch.Tensor:
        """Logits of every active member on the same examples, in eval mode (running BN
        statistics, no dropout): ``[N, M, classes]`` for x ``[M, *input_shape]``."""
        self._settle()
        return torch.cat(
            [logits.transpose(1, 2) for logits in self._eval_chunks(x, batch_size)], dim=1
        )

    def _eval_chunks(self, x: torch.Tensor, batch_size: int):
        """Eval-mode logits ``[N, C, b]`` of consecutive chunks of x."""
        for start in range(0, x.shape[0], batch_size):
            xb = x[start : start + batch_size].to(device=self.device, dtype=self.dtype)
            yield self.net.forward(
                xb, self._views, self.buffers, self._drop_rates, shared=True, train=False
            )

    @torch.no_grad()
    def evaluate(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        weights: torch.Tensor | None = None,
        *,
        batch_size: int = 1024,
    ) -> MemberScores:
        """Error rate and loss of every active member on one set (eval mode), all at once."""
        self._settle()
        n = self.num_active
        wrong = torch.zeros(n, dtype=torch.float64, device=self.device)
        loss_sum = torch.zeros(n, dtype=torch.float64, device=self.device)
        y = y.to(self.device)
        w = None if weights is None else weights.to(device=self.device, dtype=torch.float64)
        if w is not None and not bool((w > 0).any()):  # no weight anywhere: the plain mean
            w = None  # (0/0 read as a diverged model: a new user's mostly-zero weights)
        for k, logits in enumerate(self._eval_chunks(x, batch_size)):  # [N, C, b]
            yb = y[k * batch_size : (k + 1) * batch_size].expand(n, -1)  # [N, b]
            wrong += (logits.argmax(1) != yb).sum(1).double()
            per_example = F.cross_entropy(logits, yb, reduction="none").double()  # [N, b]
            if w is not None:
                per_example = per_example * w[k * batch_size : (k + 1) * batch_size]
            loss_sum += per_example.sum(1)
        total = x.shape[0]
        denominator = float(w.sum()) if w is not None else float(max(total, 1))
        return MemberScores(list(self._ids), wrong / max(total, 1), loss_sum / denominator)

    # ------------------------------------------------------------------ export
    def _state_dict_of_row(self, row: int) -> dict[str, torch.Tensor]:
        mid = self._ids[row]
        buffers = {k: v[row] for k, v in self.buffers.items()}
        return self.layout.state_dict(self.theta[row], buffers, self._members[mid].batches_tracked)

    def state_dict(self, member_id: int) -> dict[str, torch.Tensor]:
        """Member ``member_id``'s weights as the ``state_dict`` of ``build_model(spec)``."""
        m = self._member(member_id)
        self._settle()
        if m.status is MemberStatus.FAILED:
            raise InvalidInputError(
                f"member {member_id} failed ({m.message}): its weights are not finite; "
                "export a member that did not fail"
            )
        if member_id in self._ids:
            return self._state_dict_of_row(self._ids.index(member_id))
        return {k: v.clone() for k, v in self._archive[member_id].items()}

    def export(self, member_id: int) -> Net:
        """Member ``member_id`` as a plain ``Net`` (``build_model(spec)`` with its weights), in
        eval mode, in the population's dtype: it predicts what the member predicts here."""
        m = self._member(member_id)
        state = self.state_dict(member_id)
        net = _build(m.spec, m.seed).to(device=self.device, dtype=self.dtype)
        net.load_state_dict(state)
        return net.eval()

    # ------------------------------------------------------------------ PBT hooks
    @torch.no_grad()
    def copy_member(self, src: int, dst: int, *, hyperparameters: bool = False) -> None:
        """Exploit: member ``dst`` takes ``src``'s weights, batch-norm statistics and optimizer
        state (and, when ``hyperparameters``, its values of the knobs PBT explores:
        ``PERTURBABLE``). Both must be training.

        ``dst`` keeps the rest of its own configuration (epochs, schedule, batch size …): it
        took the winner's whole one, so a PBT trial sampled for 31 epochs trained the winner's 9
        and was told to Optuna as a complete 31-epoch trial (a new-user sweep)."""
        self._settle()
        rs, rd = self._row(src), self._row(dst)
        self.theta[rd].copy_(self.theta[rs])
        for v in self.buffers.values():
            v[rd].copy_(v[rs])
        self.optimizer.copy_member(rs, rd)
        ms, md = self._members[src], self._members[dst]
        md.batches_tracked = ms.batches_tracked
        if hyperparameters:
            md.config = md.config.model_copy(
                update={k: getattr(ms.config, k) for k in PERTURBABLE if k != "dropout"}
            )
            md.spec = md.spec.model_copy(update={"dropout": ms.spec.dropout})
            self._rebuild_hyperparameters()

    def perturb(self, member_id: int, factors: Mapping[str, float]) -> TrainConfig:
        """Explore: multiply member ``member_id``'s knobs by ``factors`` (e.g. ``{"lr": 1.2}``;
        names in ``PERTURBABLE``; results clipped into their valid ranges). Returns its new
        config."""
        self._settle()
        self._row(member_id)
        m = self._members[member_id]
        rates = tuple(m.spec.dropout_of(i) for i in range(m.spec.num_layers))
        config, rates = perturbed_config(m.config, rates, dict(factors))
        m.config = config
        m.spec = m.spec.model_copy(update={"dropout": rates})
        self._rebuild_hyperparameters()
        return config

    def _rebuild_hyperparameters(self) -> None:
        self._rebuild()


def _build(spec: ModelSpec, seed: int) -> Net:
    """``build_model(spec)`` seeded with ``seed``, leaving the global RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(spec)


def _warm_starts(
    init: Sequence[WarmStart | None] | None, specs: list[ModelSpec]
) -> list[WarmStart | None]:
    """One ``WarmStart`` or None per member, checked: same architecture, no frozen layers."""
    if init is None:
        return [None] * len(specs)
    starts = list(init)
    if len(starts) != len(specs):
        raise InvalidInputError(
            f"got {len(starts)} initial weights for {len(specs)} members: give one WarmStart "
            "(or None) per member"
        )
    for i, (start, spec) in enumerate(zip(starts, specs, strict=True)):
        if start is None:
            continue
        if start.spec.shape_key() != spec.shape_key():
            raise InvalidInputError(
                f"member {i} starts from {start.source}, whose architecture differs from its "
                "spec: accepted is the WarmStart's own spec; build the member from start.spec"
            )
        if start.freeze:
            raise InvalidInputError(
                f"member {i} freezes its first {start.freeze} layers, which a population does "
                "not vectorize: train it with the sequential Trainer (the executors do)"
            )
    return starts


def _check_groupable(specs: list[ModelSpec], configs: list[TrainConfig]) -> None:
    key = specs[0].shape_key()
    for i, s in enumerate(specs):
        if s.shape_key() != key:
            raise InvalidInputError(
                f"member {i}'s architecture differs from member 0's (shape_key {s.shape_key()} "
                f"vs {key}): accepted are equal shapes; split the trials with group_trials"
            )
    group = configs[0].group_key()
    for i, c in enumerate(configs):
        if c.group_key() != group:
            raise InvalidInputError(
                f"member {i} uses optimizer family/batch size/precision {c.group_key()} but "
                f"member 0 uses {group}: accepted is one family, batch size and precision; "
                "split the trials with group_trials"
            )
        problem = vectorization_problem(specs[i], c)
        if problem:
            raise InvalidInputError(
                f"member {i} cannot train in a population: {problem}; run it with the "
                "sequential trainer (group_trials flags it)"
            )
    if math.prod(specs[0].input_shape) <= 0:
        raise InvalidInputError(f"input_shape {specs[0].input_shape} is empty: give a real shape")
