"""Search strategies: how the next trials are chosen (the lecture's grid that tightens around
promising areas, random on a log scale, evolutionary, plus Hyperband and PBT).

Every strategy has one method to implement, ``ask(study, space, n)``: start up to ``n`` new
trials in ``study`` (through ``ask_owned``, so each carries its worker's pid and a heartbeat)
with every active parameter of ``space`` suggested, and return them (an empty
list means nothing is left to ask right now). Three hooks with defaults: ``sampler(seed=…)``
(random) and ``pruner(space)`` (none) say what the study is opened with, ``exploit_hook(space)``
(none; PBT's exploit/explore) what runs between epochs of the asked trials trained together.
The executor trains the asked trials and tells their results; it never needs to know which
strategy asked them.
"""

from __future__ import annotations

from typing import Any

from orthotune._errors import InvalidInputError
from orthotune.search._strategies._base import PER_MEMBER, Strategy, max_epochs
from orthotune.search._strategies._evolution import Evolution
from orthotune.search._strategies._grid import GRID_INDEX_ATTR, GRID_LEVEL_ATTR, GridZoom
from orthotune.search._strategies._hyperband import Hyperband
from orthotune.search._strategies._pbt import PBT
from orthotune.search._strategies._random import RandomSearch
from orthotune.search._strategies._tpe import TPE

__all__ = [
    "GRID_INDEX_ATTR",
    "GRID_LEVEL_ATTR",
    "PBT",
    "PER_MEMBER",
    "STRATEGIES",
    "TPE",
    "Evolution",
    "GridZoom",
    "Hyperband",
    "RandomSearch",
    "Strategy",
    "make_strategy",
    "max_epochs",
]

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls for cls in (GridZoom, RandomSearch, TPE, Evolution, Hyperband, PBT)
}


def make_strategy(name: str, *, seed: int | None = 0, **options: Any) -> Strategy:
    """The strategy called ``name`` (grid, random, tpe, evolution, hyperband, pbt)."""
    cls = STRATEGIES.get(name)
    if cls is None:
        raise InvalidInputError(
            f"--strategy {name!r} is unknown: accepted are {', '.join(STRATEGIES)}; fix: pick "
            "one of them"
        )
    return cls(seed=seed, **options)
