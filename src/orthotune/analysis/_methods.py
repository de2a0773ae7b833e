"""The label-issue methods by name (``--method``)."""

from __future__ import annotations

import logging

import numpy as np

from orthotune._errors import InvalidInputError
from orthotune.analysis._cluster import ClusterDisagreement
from orthotune.analysis._confident import ConfidentLearning
from orthotune.analysis._fit import FitRecipe
from orthotune.analysis._iterative import IterativeCleaning
from orthotune.analysis._label_issues import LabelIssueMethod, LabelIssues
from orthotune.data import Dataset

#: ``clean``'s default: the method whose worst precision or recall over the development sets
#: with 10 % / 20 % of labels flipped is highest (``python bench/clean_default.py --sets SET``,
#: 800 steps, one run per set). iterative (its per-class cut, 2026-12-06), 10 % then 20 %:
#: MNIST-1D 0.950, 0.960 / 0.966, 0.981; digits 0.934, 0.944 / 0.977, 0.967; breast-cancer
#: 0.907, 0.860 / 0.928, 0.904; synthetic 0.711, 0.835 / 0.758, 0.855 (worst 0.711; 0.702 with
#: one ranking of all examples, ``_iterative``). confident's worst cell 0.358 (synthetic 10 %
#: precision), cluster's 0.000 (it accuses no one on synthetic). With 10 % of the smallest class
#: flipped to the largest (``--kind minority``, creditcard, attrition, breast-cancer) every
#: method is far below: iterative's worst cell 0.057, confident's 0.052, cluster's 0.000.
DEFAULT_METHOD = IterativeCleaning.name

#: above this share of suspects ``clean`` warns (it refuses and changes nothing). The value is
#: no measured optimum: it is several times the label noise audits find in real data (3.3 % on
#: average over ten test sets, Northcutt et al., 2021), so a share this large more likely holds
#: hard examples, which a model cannot tell from wrong labels, than wrong labels alone. What
#: called for it: hard real tables outside both benchmark groups (modeldata's wa_churn, carData's
#: BEPS and Chile, HSAUR's respiratory), where 17–33 % of the rows were flagged, about each
#: model's own error; they chose nothing. On the development sets with 20 % and 35 % of labels
#: flipped on purpose (``bench/clean_default.py --rates``) it fires too, and looking first still
#: holds there.
MANY_SUSPECTS = 0.15
#: ``clean`` also warns when this share of one class's examples (at least ``CLASS_SUSPECTS_MIN``
#: of them) is flagged: on an imbalanced table a model that finds the rare class hard makes its
#: examples look mislabeled, whatever the overall share. A new user's sweep (openintro's email,
#: 9.4 % spam, no label flipped) saw 128 of 275 spam rows flagged while 4.7 % of all rows were,
#: below ``MANY_SUSPECTS``; ``--apply remove`` would have taken half the rare class away. Like
#: ``MANY_SUSPECTS`` the share is no measured optimum (a warning changes nothing): a quarter of a
#: class is many times the label noise audits find.
CLASS_SUSPECTS = 0.25
CLASS_SUSPECTS_MIN = 10

log = logging.getLogger(__name__)

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
    counts = np.bincount(data.y.numpy()[rows], minlength=data.num_classes)
    alone = np.flatnonzero(counts == 1)
    if len(alone):  # its example is judged by models that never saw its class: always "wrong"
        names = [data.class_names[k] for k in alone]
        more = f" (and {len(names) - 1} more such classes)" if len(names) > 1 else ""
        where = " outside the test set" if data.preset_split is not None else ""
        said = (
            f"{data.name}: class {names[0]!r} has 1 example{where}{more}: each "
            "example is judged by models that never saw it, so that class is never predicted "
            "and its example would always look mislabeled"
        )
        rows = rows[~np.isin(data.y.numpy()[rows], alone)]
        if len(rows) < 10:  # every row its own class, say: nothing left to judge
            raise InvalidInputError(
                f"{said}: collect more examples of it, merge it into another class, or remove it"
            )
        log.warning("%s: those examples are not judged", said)
    part = data if len(rows) == len(data) else data.subset(rows)
    issues = finder.find(part, seed=seed)
    for s in issues.suspects:
        s.index = int(rows[s.index])
    issues.num_examples = len(data)
    issues.judged = len(rows)
    if len(issues.suspects) > MANY_SUSPECTS * len(rows):
        log.warning(
            "%s: %d of %d examples (%.1f %%) look mislabeled, more than label noise usually is: "
            "on a hard task a model's hard examples look the same as wrong labels; look at "
            "some suspects (audit.csv) before --apply",
            data.name,
            len(issues.suspects),
            len(rows),
            100 * len(issues.suspects) / len(rows),
        )
    _warn_class_share(data, issues, counts)
    return issues


def _warn_class_share(data: Dataset, issues: LabelIssues, counts: np.ndarray) -> None:
    """One warning naming the class that loses the largest share of its examples, when that
    share is ``CLASS_SUSPECTS`` or more (``counts``: each class's judged examples)."""
    given = np.bincount(
        [int(data.y[s.index]) for s in issues.suspects], minlength=len(counts)
    )  # fmt: skip
    share = np.divide(given, counts, out=np.zeros(len(counts)), where=counts > 0)
    share[given < CLASS_SUSPECTS_MIN] = 0.0
    k = int(np.argmax(share))
    if share[k] >= CLASS_SUSPECTS:
        log.warning(
            "%s: %d of the %d examples labelled %r (%.0f %%) look mislabeled: where a model "
            "finds one class hard (a rare class, say), its correct examples look like wrong "
            "labels too; look at them (audit.csv) before --apply",
            data.name,
            given[k],
            counts[k],
            data.class_names[k],
            100 * share[k],
        )
