"""``Trainer``: trains any ``torch.nn.Module`` classifier (logits out) with the lecture's knobs.

The loop, per epoch t = 0, 1, … (DESIGN.md's conventions):

1. one permutation of the m training examples from a seeded generator (``torch.randperm``);
   mini-batches are consecutive slices of it — batch size 1 is stochastic gradient descent,
   m (``batch_size=None``) batch gradient descent, anything else mini-batch gradient descent. A
   trailing batch of a single example joins the previous batch (batch norm needs two);
2. per step: the learning rate α0·``lr_factor`` is written into every param group, the batch is
   gathered from the tensors already on the device (no DataLoader), augmented when
   ``config.augment`` names a policy, and the loss is the cross-entropy on logits (label-smoothed
   and focal when the config says so, ``_loss``) averaged as Σ s(i)·L(i) / Σ s(i) over the
   batch (s = example weights, times class-balance weights when ``config.class_balance``;
   plain mean without weights); then backward, optional clipping of
   the global gradient norm, ``optimizer.step()`` (L2 as λ/m weight decay, see ``_optim``);
3. at the epoch's end, one device→host transfer: the per-step losses (for the running train
   loss and the lecture's exponentially weighted average with bias correction), the running
   train error, the dev loss/error (eval mode, no grad) and the per-layer gradient norms of the
   last step. Callbacks see the ``EpochRecord`` and may stop the run.

Nothing in the per-step path synchronizes with the device (no ``.item()``); the only Python
work per step is slicing, the LR write when it changes and appending two 0/1-dim tensors.
Determinism: ``torch.manual_seed(seed)`` is set at the start of ``fit`` (dropout), the shuffle
and the augmentation use their own generators seeded from ``seed``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from orthotune._errors import InvalidInputError
from orthotune._interrupt import check as check_interrupt
from orthotune._interrupt import clear as clear_interrupt
from orthotune.data import class_balance_weights, weighted_mean_loss
from orthotune.models import Net
from orthotune.train._callbacks import Callback, EarlyStopping, NonFiniteGuard, TrainState
from orthotune.train._config import TrainConfig
from orthotune.train._loss import focal_factor
from orthotune.train._optim import decay_groups, make_optimizer
from orthotune.train._precision import training_autocast
from orthotune.train._result import EpochRecord, GradientNorms, StopReason, TrainResult
from orthotune.train._schedule import lr_factor
from orthotune.train._threads import training_threads

__all__ = [
    "DEVICES",
    "Examples",
    "Trainer",
    "batch_bounds",
    "batch_norm_momentum",
    "check_batch_norm",
    "resolve_device",
    "train_mode",
]

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Examples:
    """Features ``x`` [n, …], class indices ``y`` [n] and optional example weights [n]."""

    x: torch.Tensor
    y: torch.Tensor
    weights: torch.Tensor | None = None


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` (CUDA when torch sees a GPU, else CPU), ``cpu`` or ``cuda[:i]``."""
    text = str(name).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if text == "cuda" or text.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise InvalidInputError(
                f"--device {name}: this torch build sees no CUDA GPU; accepted: auto, cpu, cuda; "
                "use --device auto or cpu (or install a CUDA build of torch)"
            )
        return torch.device(text)
    raise InvalidInputError(
        f"--device {name!r} is not a device; accepted: {', '.join(DEVICES)}; e.g. --device auto"
    )


def batch_bounds(m: int, batch_size: int | None) -> list[tuple[int, int]]:
    """[start, stop) of each mini-batch of one epoch; a trailing batch of 1 joins the previous."""
    bs = m if batch_size is None else min(batch_size, m)
    bounds = [(a, min(a + bs, m)) for a in range(0, m, bs)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1 and bs > 1:
        last = bounds.pop()
        bounds[-1] = (bounds[-1][0], last[1])
    return bounds


# torch's batch-norm momentum (a running statistic's memory of about 10 steps), kept as the
# least: a model trained for few steps an epoch gets a memory of about one epoch instead
BN_MOMENTUM = 0.1


def batch_norm_momentum(num_examples: int, batch_size: int | None) -> float:
    """The running statistics' momentum for ``num_examples`` training examples in batches of
    ``batch_size``: 1 / (steps an epoch), never below torch's 0.1.

    At 0.1 a small training set taken in one step an epoch kept statistics averaged over the
    last ten epochs' weights, while the weights moved under them: on ArrowHead (UCR, 36
    training series, a new-user sweep) the starting CNN's train error in inference mode was
    52.8 % and its test accuracy 30.9 %; with a memory of one epoch 2.8 % and 63.4 % (the same
    as its statistics measured again on the training rows). Where an epoch takes 10 steps or
    more (MNIST-1D's 32 at batch 128) nothing changes. On the development tables, where the
    starting MLP (batch norm) takes 1–7 steps an epoch, its 5-fold out-of-fold accuracy over
    train + dev moved by one example at most (``python bench/encoding.py --bins 32 --seeds 3``
    on nine tables: mean binned − standardized 0.0088 → 0.0082, chosen − HGB 0.0059 both), and
    the autopilot's 5-minute test accuracy on eight of them stayed as before or rose
    (``bench/suite.py``, seed 0; bench/RESULTS-HISTORY.md, stop 63)."""
    return max(BN_MOMENTUM, 1.0 / len(batch_bounds(num_examples, batch_size)))


def check_batch_norm(batch_norm: bool, batch_size: int | None) -> None:
    """One line for batch normalization on batches of one example, which have no batch
    statistics to normalize with (PyTorch's "Expected more than 1 value per channel")."""
    if batch_norm and batch_size == 1:
        raise InvalidInputError(
            "batch size 1 with batch normalization: a batch of one example has no batch "
            "statistics; accepted: a batch size of 2 or more with batch normalization; fix: "
            "--batch-size 2 or more, or --no-batch-norm for stochastic gradient descent"
        )


def train_mode(model: nn.Module) -> nn.Module:
    """``model.train()``, except batch-norm layers whose parameters are all frozen
    (``requires_grad`` False, ``_transfer``): they stay in inference mode, so a frozen layer
    keeps its running statistics too (Keras's rule for ``trainable = False``)."""
    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            params = list(module.parameters(recurse=False))
            if params and not any(p.requires_grad for p in params):
                module.eval()
    return model


def _as_examples(data: Any, *, what: str) -> Examples:
    if isinstance(data, Examples):
        ex = data
    elif hasattr(data, "x") and hasattr(data, "y"):
        ex = Examples(data.x, data.y, getattr(data, "weights", None))
    elif isinstance(data, Sequence) and len(data) in (2, 3):
        ex = Examples(*data)
    else:
        raise TypeError(f"{what}: expected Examples, a Dataset or (x, y[, weights])")
    x = torch.as_tensor(ex.x)
    y = torch.as_tensor(ex.y)
    if not x.is_floating_point():
        x = x.float()
    if y.dim() != 1 or x.shape[0] != y.shape[0]:
        raise InvalidInputError(
            f"{what}: x has {x.shape[0]} rows but y has shape {tuple(y.shape)}; "
            "give one class index per example"
        )
    if y.numel() == 0:
        raise InvalidInputError(f"{what} has no examples; give at least one")
    w = None if ex.weights is None else torch.as_tensor(ex.weights, dtype=torch.float32)
    if w is not None and (w.shape != y.shape or bool((w < 0).any())):
        raise InvalidInputError(
            f"{what}: example weights must be {y.shape[0]} non-negative numbers, "
            f"got shape {tuple(w.shape)}"
        )
    return Examples(x, y.long(), w)


class Trainer:
    """Trains one model with a ``TrainConfig``; ``fit`` returns a ``TrainResult``.

    device: ``auto`` | ``cpu`` | ``cuda``; seed: shuffling, augmentation and dropout;
    callbacks: added after the built-in ``NonFiniteGuard`` and ``EarlyStopping``;
    time_budget_s: stop (``TIME_BUDGET``) when the wall clock passes it, mid-epoch if need be;
    smoothing_beta: β of the exponentially weighted average of the per-step loss;
    eval_batch_size: chunk size of the dev/final evaluation;
    final_eval: evaluate the final model on the whole training set and dev set for the
    ``TrainResult``'s ``train_loss`` … ``dev_error`` (False: they stay None, for a caller that
    scores the model itself — ``fit.train_alone``'s callers score each example).
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        *,
        device: str | torch.device = "auto",
        seed: int = 0,
        callbacks: Sequence[Callback] = (),
        time_budget_s: float | None = None,
        smoothing_beta: float = 0.98,
        eval_batch_size: int = 8192,
        final_eval: bool = True,
    ) -> None:
        self.config = config or TrainConfig()
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.seed = seed
        self.callbacks = list(callbacks)
        if time_budget_s is not None and time_budget_s <= 0:
            raise InvalidInputError(
                f"time budget {time_budget_s} s is not positive; give a number of seconds > 0"
            )
        self.time_budget_s = time_budget_s
        if not 0.0 <= smoothing_beta < 1.0:
            raise ValueError(f"smoothing_beta must be in [0, 1), got {smoothing_beta}")
        self.smoothing_beta = smoothing_beta
        self.eval_batch_size = eval_batch_size
        self.final_eval = final_eval

    # ---------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self, model: nn.Module, data: Any) -> tuple[float, float]:
        """(mean loss, error rate) of ``model`` on ``data`` in eval mode; the loss is weighted
        by the example weights when the data has them."""
        ex = _as_examples(data, what="evaluation data")
        loss, err = self._evaluate(model, ex.x.to(self.device), ex.y.to(self.device), ex.weights)
        return float(loss), float(err)

    @torch.no_grad()
    def _evaluate(
        self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        was_training = model.training
        if w is not None and not bool((w > 0).any()):  # no weight anywhere: the plain mean
            w = None  # (0/0 stopped a new user's training as "dev loss became nan")
        model.eval()
        loss_sum = torch.zeros((), device=x.device)
        wrong = torch.zeros((), device=x.device, dtype=torch.long)
        for a in range(0, x.shape[0], self.eval_batch_size):
            logits = model(x[a : a + self.eval_batch_size])
            yb = y[a : a + self.eval_batch_size]
            per = F.cross_entropy(logits, yb, reduction="none")
            if w is not None:
                per = per * w[a : a + self.eval_batch_size].to(x.device)
            loss_sum += per.sum()
            wrong += (logits.argmax(1) != yb).sum()
        if was_training:
            train_mode(model)
        total = w.sum().to(x.device) if w is not None else torch.tensor(float(y.numel()))
        return loss_sum / total.to(x.device), wrong.float() / y.numel()

    # ---------------------------------------------------------------- training
    def fit(self, model: nn.Module, train: Any, dev: Any = None) -> TrainResult:
        """Train ``model`` in place on ``train`` (Examples, a Dataset or (x, y[, w])); ``dev``
        is evaluated each epoch (early stopping needs it). The returned weights are the best
        epoch's under early stopping, else the last finite epoch's; the model is left in eval
        mode on the trainer's device. Feature vectors train with one CPU thread
        (``training_threads``)."""
        tr = _as_examples(train, what="training data")
        with training_threads(tr.x, self.device):
            return self._fit(model, tr, dev)

    def _fit(self, model: nn.Module, tr: Examples, dev: Any) -> TrainResult:
        cfg = self.config
        device = self.device
        started = time.perf_counter()
        deadline = None if self.time_budget_s is None else started + self.time_budget_s

        dv = None if dev is None else _as_examples(dev, what="dev data")
        if cfg.patience is not None and dv is None:
            raise InvalidInputError(
                f"patience {cfg.patience} needs a dev set to watch; "
                "give dev data or set patience to None"
            )
        torch.manual_seed(self.seed)
        model.to(device)
        train_mode(model)
        x, y = tr.x.to(device), tr.y.to(device)
        if isinstance(model, Net):  # a model that reads chosen features chooses them here, once
            model.choose_inputs(x, y)
        w = tr.weights
        if cfg.class_balance:
            cb = class_balance_weights(tr.y, int(tr.y.max()) + 1)
            w = cb if w is None else w * cb
        w = None if w is None else w.to(device)
        dx = dy = dw = None
        if dv is not None:
            dx, dy = dv.x.to(device), dv.y.to(device)
            dw = None if dv.weights is None else dv.weights.to(device)

        m = int(y.shape[0])
        for module in model.modules():  # a memory of about one epoch (batch_norm_momentum)
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = batch_norm_momentum(m, cfg.batch_size)
        bounds = batch_bounds(m, cfg.batch_size)
        steps = len(bounds)
        batch_size = m if cfg.batch_size is None else min(cfg.batch_size, m)
        sizes = torch.tensor([b - a for a, b in bounds], dtype=torch.float32, device=device)

        optimizer = make_optimizer(model, cfg, num_train=m)
        groups = decay_groups(model)
        layer_names = [n.removesuffix(".weight") for n in groups[0]["names"]]
        layer_params = groups[0]["params"]
        clip_params = [p for p in model.parameters() if p.requires_grad]

        augment = None
        if cfg.augment:
            from orthotune.data import Augmenter

            augment = Augmenter.from_policy(cfg.augment)
        shuffle_gen = torch.Generator(device=device).manual_seed(self.seed)
        augment_gen = torch.Generator(device=device).manual_seed(self.seed + 1)

        per_step_lr = cfg.schedule == "one_cycle"
        state = TrainState(
            model=model, optimizer=optimizer, max_epochs=cfg.epochs, steps_per_epoch=steps
        )
        callbacks: list[Callback] = [NonFiniteGuard()]
        if cfg.patience is not None:
            callbacks.append(EarlyStopping(patience=cfg.patience, min_delta=cfg.min_delta))
        callbacks += self.callbacks
        batch_hooks = [c for c in callbacks if type(c).on_batch_end is not Callback.on_batch_end]
        for c in callbacks:
            c.on_fit_start(state)

        beta = self.smoothing_beta
        ewa, global_step = 0.0, 0
        current_lr = math.nan
        try:
            for epoch in range(cfg.epochs):
                t0 = time.perf_counter()
                state.epoch = epoch
                for c in callbacks:
                    c.on_epoch_start(state)
                perm = torch.randperm(m, generator=shuffle_gen, device=device)
                losses: list[torch.Tensor] = []
                preds: list[torch.Tensor] = []
                epoch_lr = cfg.lr * lr_factor(cfg, epoch, step=0, steps_per_epoch=steps)
                out_of_time = False
                for s, (a, b) in enumerate(bounds):
                    check_interrupt()  # a Ctrl-C Python dropped (orthotune._interrupt)
                    lr = (
                        cfg.lr * lr_factor(cfg, epoch, step=s, steps_per_epoch=steps)
                        if per_step_lr
                        else epoch_lr
                    )
                    if lr != current_lr:
                        for g in optimizer.param_groups:
                            g["lr"] = lr
                        current_lr = lr
                    idx = perm[a:b]
                    xb = x.index_select(0, idx)
                    yb = y.index_select(0, idx)
                    if augment is not None:
                        xb = augment(xb, generator=augment_gen)
                    eps, gamma = cfg.label_smoothing, cfg.focal_gamma
                    with training_autocast(cfg.precision, device):
                        logits = model(xb)
                        if w is None and gamma == 0:
                            loss = F.cross_entropy(logits, yb, label_smoothing=eps)
                        else:
                            per = F.cross_entropy(logits, yb, reduction="none", label_smoothing=eps)
                            if gamma != 0:  # focal: (1 − p_t)^γ·ℓ (train/_loss.py)
                                per = per * focal_factor(logits, yb, gamma)
                            sw = None if w is None else w.index_select(0, idx)
                            loss = weighted_mean_loss(per, sw)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    if cfg.grad_clip is not None:
                        nn.utils.clip_grad_norm_(clip_params, cfg.grad_clip)
                    optimizer.step()
                    losses.append(loss.detach())
                    preds.append(logits.detach().argmax(1))
                    for c in batch_hooks:
                        c.on_batch_end(state, s, loss.detach())
                    if deadline is not None and time.perf_counter() > deadline:
                        out_of_time = True
                        break

                # ---- end of epoch: one transfer of everything the record needs
                n_steps = len(losses)
                seen = bounds[n_steps - 1][1]
                step_losses = torch.stack(losses)
                train_loss = (step_losses * sizes[:n_steps]).sum() / seen
                train_err = (torch.cat(preds) != y.index_select(0, perm[:seen])).float().mean()
                grads = [
                    p.grad.detach().norm() if p.grad is not None else torch.zeros((), device=device)
                    for p in layer_params
                ]
                parts = [step_losses, torch.stack([train_loss, train_err])]
                if dx is not None:
                    dev_loss, dev_err = self._evaluate(model, dx, dy, dw)
                    parts.append(torch.stack([dev_loss, dev_err]))
                if grads:
                    parts.append(torch.stack(grads))
                values = torch.cat([p.float().reshape(-1) for p in parts]).tolist()
                for v in values[:n_steps]:
                    global_step += 1
                    ewa = beta * ewa + (1 - beta) * v
                smoothed = ewa / (1 - beta**global_step) if beta > 0 else ewa
                pos = n_steps
                tl, te = values[pos], values[pos + 1]
                pos += 2
                dl = de = None
                if dx is not None:
                    dl, de = values[pos], values[pos + 1]
                    pos += 2
                norms = dict(zip(layer_names, values[pos:], strict=True))
                record = EpochRecord(
                    epoch=epoch,
                    steps=n_steps,
                    lr=epoch_lr,
                    train_loss=tl,
                    train_error=te,
                    smoothed_loss=smoothed,
                    dev_loss=dl,
                    dev_error=de,
                    seconds=time.perf_counter() - t0,
                    gradients=GradientNorms.from_norms(norms),
                )
                state.history.append(record)
                for c in callbacks:
                    c.on_epoch_end(state, record)
                if out_of_time:
                    state.request_stop(
                        StopReason.TIME_BUDGET,
                        f"time budget of {self.time_budget_s:g} s used up in epoch {epoch + 1} "
                        f"after {n_steps} of {steps} steps",
                    )
                if state.should_stop:
                    break
        except KeyboardInterrupt:
            clear_interrupt()
            state.request_stop(
                StopReason.INTERRUPTED,
                f"interrupted by the user in epoch {state.epoch + 1} "
                f"after {len(state.history)} complete epochs",
            )
        if state.stop_reason is None:
            state.request_stop(StopReason.COMPLETED, f"trained all {cfg.epochs} epochs")
        for c in callbacks:
            c.on_fit_end(state)
        return self._finish(state, model, x, y, w, dx, dy, dw, m, batch_size, steps, started, cfg)

    def _finish(self, state, model, x, y, w, dx, dy, dw, m, batch_size, steps, started, cfg):
        history = state.history
        best_epoch = state.best_epoch
        if best_epoch is None:
            dev_errors = [
                (r.dev_error, r.epoch)
                for r in history
                if r.dev_error is not None and math.isfinite(r.dev_loss or 0.0)
            ]
            best_epoch = min(dev_errors)[1] if dev_errors else None
        final: dict[str, float | None] = {}
        if history and self.final_eval:
            tl, te = self._evaluate(model, x, y, w)
            final["train_loss"], final["train_error"] = float(tl), float(te)
            if dx is not None:
                dl, de = self._evaluate(model, dx, dy, dw)
                final["dev_loss"], final["dev_error"] = float(dl), float(de)
        model.eval()
        result = TrainResult(
            config=cfg,
            history=history,
            stop_reason=state.stop_reason,
            stop_message=state.stop_message,
            best_epoch=best_epoch,
            restored_best=state.restored_best,
            epochs_run=len(history),
            num_train=m,
            batch_size=batch_size,
            steps_per_epoch=steps,
            seconds=time.perf_counter() - started,
            device=str(self.device),
            seed=self.seed,
            **{k: (v if v is None or math.isfinite(v) else None) for k, v in final.items()},
        )
        logger.info("training stopped: %s", result.stop_message)
        for c in self.callbacks:
            c.on_result(state, result)
        return result
