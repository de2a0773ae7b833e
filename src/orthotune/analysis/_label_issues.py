"""Label issues: the result type and the one-method base every finder implements.

A method looks at a labelled data set and returns the examples whose given label it suspects,
each with the label it suggests and a score in [0, 1] (higher = more surely mislabeled). Methods
never take the true noise rate as input: one set of defaults serves every data set.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, Field

from orthotune.data import Dataset

SCHEMA_VERSION = 1


class Suspect(BaseModel):
    """One example whose given label a method doubts."""

    id: str
    index: int = Field(description="0-based row of the example in the data set")
    given_label: str
    suggested_label: str
    score: float = Field(ge=0.0, le=1.0, description="how surely the given label is wrong")


class CleaningRound(BaseModel):
    """One round of the iterative loop: its cross-validated dev error and what it flagged."""

    round: int
    dev_error: float = Field(description="out-of-fold error against the given labels")
    flagged: int
    kept: bool = Field(description="whether this round improved the dev error")


class LabelIssues(BaseModel):
    """What a label-issue method found (persisted as analysis/label_issues.json)."""

    schema_version: int = SCHEMA_VERSION
    method: str
    num_examples: int
    # the examples judged: test rows and a class's only example are not (0: all, as before)
    judged: int = 0
    class_names: list[str]
    suspects: list[Suspect]
    rounds: list[CleaningRound] = Field(default_factory=list)
    note: str = ""

    @property
    def suspect_rate(self) -> float:
        """Share of the judged examples flagged (a fraction)."""
        judged = self.judged or self.num_examples
        return len(self.suspects) / judged if judged else 0.0

    def mask(self) -> np.ndarray:
        """Boolean [num_examples]: True where the example is a suspect."""
        out = np.zeros(self.num_examples, dtype=bool)
        out[[s.index for s in self.suspects]] = True
        return out


class LabelIssueMethod(ABC):
    """Base of the label-issue finders (``confident``, ``iterative``, ``cluster``)."""

    name: ClassVar[str]

    @abstractmethod
    def find(self, data: Dataset, *, seed: int = 0) -> LabelIssues:
        """Suspects of ``data`` (its labels as given), sorted most suspect first."""


def make_issues(
    data: Dataset,
    *,
    method: str,
    flagged: np.ndarray,
    suggested: np.ndarray,
    score: np.ndarray,
    rounds: list[CleaningRound] | None = None,
    note: str = "",
) -> LabelIssues:
    """Assemble a ``LabelIssues`` from per-example arrays (mask, suggested class, score)."""
    names = list(data.class_names)
    y = data.y.numpy()
    rows = np.flatnonzero(flagged)
    rows = rows[np.argsort(-score[rows], kind="stable")]
    suspects = [
        Suspect(
            id=str(data.ids[i]),
            index=int(i),
            given_label=names[int(y[i])],
            suggested_label=names[int(suggested[i])],
            score=float(np.clip(score[i], 0.0, 1.0)),
        )
        for i in rows
    ]
    return LabelIssues(
        method=method,
        num_examples=len(data),
        class_names=names,
        suspects=suspects,
        rounds=rounds or [],
        note=note,
    )
