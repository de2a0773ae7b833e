"""The label-issue methods by name (``--method``)."""

from __future__ import annotations

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune.analysis._cluster import ClusterDisagreement
from orthotune.analysis._confident import ConfidentLearning
from orthotune.analysis._fit import FitRecipe
from orthotune.analysis._iterative import IterativeCleaning
from orthotune.analysis._label_issues import LabelIssueMethod, LabelIssues
from orthotune.data import Dataset

#: ``clean``'s default: the method whose worst precision or recall over the development sets
#: with 10 % / 20 % of labels flipped is highest (``python bench/clean_default.py``). With the
#: recipe's 800 steps on breast-cancer and synthetic, where every method's worst cell lies
#: (``--sets builtin:breast-cancer,builtin:synthetic?noise=0``): iterative 0.535, confident
#: 0.361, cluster 0.000; mean of all precisions and recalls 0.691 / 0.668 / 0.405. On all four
#: sets with 400 steps (``--steps 400``): mean 0.823 / 0.806 / 0.639, but worst 0.333 / 0.426 /
#: 0.000 — iterative's recall on breast-cancer 20 % (0.333) is undertrained at 400 steps and
#: rises to 0.535 at 800.
DEFAULT_METHOD = IterativeCleaning.name

METHODS: dict[str, type[LabelIssueMethod]] = {
    ConfidentLearning.name: ConfidentLearning,
    IterativeCleaning.name: IterativeCleaning,
    ClusterDisagreement.name: ClusterDisagreement,
}


def make_method(name: str, *, recipe: FitRecipe | None = None) -> LabelIssueMethod:
    """A method with its defaults (the same for every data set); ``recipe`` sets the models."""
    key = name.strip().lower()
    if key not in METHODS:
        raise InvalidInputError(
            f"--method {name!r} is not accepted; accepted: {', '.join(METHODS)}"
        )
    return METHODS[key](recipe=recipe)


def find_issues(
    data: Dataset,
    *,
    method: str = DEFAULT_METHOD,
    recipe: FitRecipe | None = None,
    seed: int = 0,
) -> LabelIssues:
    """Run ``method`` on every example outside a fixed test set (a built-in's canonical test
    split or ``--split-col`` test rows are never judged nor changed); suspects' ``index`` is the
    row in ``data``."""
    finder = make_method(method, recipe=recipe)
    rows = np.arange(len(data))
    if data.preset_split is not None:
        rows = np.flatnonzero(np.asarray(data.preset_split).astype(str) != "test")
    if len(rows) < 10:
        raise InvalidInputError(
            f"{data.name} has {len(rows)} examples outside the test set; label-issue methods "
            "need at least 10"
        )
    part = data if len(rows) == len(data) else data.subset(rows)
    issues = finder.find(part, seed=seed)
    for s in issues.suspects:
        s.index = int(rows[s.index])
    issues.num_examples = len(data)
    return issues
