"""``iterative``: the lecture's cleaning loop.

"Learn the model using all correctly and incorrectly labeled examples, then filter out all
misclassified examples and correct or remove those which are mislabeled, next, continue or start
the training process from scratch again and again": each round trains K fold models on the
examples not yet flagged (``mode="remove"``; ``"relabel"`` trains on the flagged examples with
their suggested labels instead) and predicts every example out of fold; an example is flagged
when the model misclassifies it *and* strongly rejects its given label (out-of-fold probability
of the given label below ``reject_below``). Flagged examples leave the training folds of the next
round, whose models — trained on cleaner labels — judge every example again. The loop goes on
while the cross-validated dev error (out-of-fold error against the given labels) improves, for at
most ``max_rounds`` rounds; the flags of the best round are returned.
Suggested label: the out-of-fold argmax. Score: one minus the probability of the given label.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np
import torch

from orthotune.analysis._fit import FitRecipe, out_of_fold
from orthotune.analysis._label_issues import (
    CleaningRound,
    LabelIssueMethod,
    LabelIssues,
    make_issues,
)
from orthotune.data import Dataset

log = logging.getLogger(__name__)


def strongly_rejected(
    proba: np.ndarray, labels: np.ndarray, *, reject_below: float, smoothing: float = 0.0
) -> np.ndarray:
    """Misclassified and the given label's probability below ``reject_below`` (mask [n]).

    A model trained with label smoothing ε predicts at best q = (1 − ε)·p + ε/C, so a class it
    rules out still gets about ε/C; the given label's probability is read back as
    p = (q − ε/C)/(1 − ε) before the comparison (with 3 classes and ε = 0.1 the floor is 0.033,
    a third of the default threshold)."""
    given = proba[np.arange(len(labels)), labels]
    given = (given - smoothing / proba.shape[1]) / (1.0 - smoothing)
    return (proba.argmax(axis=1) != labels) & (given < reject_below)


class IterativeCleaning(LabelIssueMethod):
    """Train, flag what the model strongly rejects, drop it from training, retrain, repeat."""

    name: ClassVar[str] = "iterative"

    def __init__(
        self,
        *,
        folds: int = 5,
        max_rounds: int = 3,
        reject_below: float = 0.1,
        mode: str = "remove",
        recipe: FitRecipe | None = None,
    ) -> None:
        if mode not in ("remove", "relabel"):
            raise ValueError(f"mode must be remove or relabel, got {mode!r}")
        self.mode = mode
        self.folds = folds
        self.max_rounds = max_rounds
        self.reject_below = reject_below
        self.recipe = recipe or FitRecipe()
        self.proba: np.ndarray | None = None  # out-of-fold probabilities of the kept round
        self.first_proba: np.ndarray | None = None  # may be given: round 1's probabilities

    def find(self, data: Dataset, *, seed: int = 0) -> LabelIssues:
        y = data.y.numpy()
        n = len(y)
        flagged = np.zeros(n, dtype=bool)
        suggested = y.copy()
        rounds: list[CleaningRound] = []
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for r in range(1, self.max_rounds + 1):
            if r == 1 and self.first_proba is not None:
                proba = self.first_proba
            else:
                relabel = self.mode == "relabel"
                train_y = np.where(flagged, suggested, y) if relabel else y
                proba, _ = out_of_fold(
                    data.x,
                    torch.as_tensor(train_y),
                    num_classes=data.num_classes,
                    folds=self.folds,
                    recipe=self.recipe,
                    exclude=None if relabel or not flagged.any() else flagged,
                    weights=data.weights,
                    seed=seed + 1000 * (r - 1),
                )
            dev_error = float((proba.argmax(axis=1) != y).mean())
            # a tie keeps the later round: its models learned from cleaner labels
            improved = best is None or dev_error <= best[0]
            new_flags = strongly_rejected(
                proba, y, reject_below=self.reject_below, smoothing=self.recipe.label_smoothing
            )
            rounds.append(
                CleaningRound(
                    round=r, dev_error=dev_error, flagged=int(new_flags.sum()), kept=improved
                )
            )
            log.info("round %d: dev error %.4f, %d flagged", r, dev_error, new_flags.sum())
            if not improved:
                break
            best = (dev_error, new_flags, proba)
            if r > 1 and np.array_equal(new_flags, flagged):
                break  # nothing changed: another round would train the same models
            flagged = new_flags
            suggested = proba.argmax(axis=1)
        assert best is not None
        _, flags, proba = best
        self.proba = proba
        return make_issues(
            data,
            method=self.name,
            flagged=flags,
            suggested=proba.argmax(axis=1),
            score=1.0 - proba[np.arange(n), y],
            rounds=rounds,
            note=(
                f"{len(rounds)} round(s) of {self.folds}-fold training; flagged: misclassified "
                f"with the given label's probability below {self.reject_below}"
            ),
        )
