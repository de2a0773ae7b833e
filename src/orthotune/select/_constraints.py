"""Satisficing constraints: ``latency_ms<100``, ``params<1e6``, ``recall>=0.9``, ``error<=3.5%``.

Grammar (one constraint)::

    NAME OP VALUE      OP: <  <=  >  >=   (also ≤ ≥)
                       VALUE: a number (100, 1e6) or, for a rate, 3.5% or 0.035

A rate (scores and errors; see :func:`orthotune.select.is_rate`) follows ``parse_rate``: a bare
value above 1 is refused with a hint to add ``%``. The lecture's example — "the accuracy is
optimized, while the classification time must be satisfied" — is ``--metric accuracy
--constraint "latency_ms<100"``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate
from orthotune.select._metric import canonical_name, is_rate, resolve_metric

__all__ = ["GRAMMAR", "Constraint", "parse_constraint"]

EXAMPLES = "latency_ms<100, params<1e6, recall>=0.9 or error<=3.5%"
GRAMMAR = (
    f"write NAME OP VALUE with OP one of <, <=, >, >= and VALUE a number or a rate, e.g. {EXAMPLES}"
)

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_PATTERN = re.compile(r"^\s*([A-Za-z_][\w .\-]*?)\s*(<=|>=|<|>|≤|≥)\s*([^<>=≤≥]+?)\s*$")


class Constraint(BaseModel):
    """``metric op threshold``; a missing or NaN value never satisfies it."""

    model_config = ConfigDict(frozen=True)

    metric: str
    op: Literal["<", "<=", ">", ">="]
    threshold: float
    text: str

    def satisfied_by(self, value: float | None) -> bool:
        """Compared as the numbers mean it: a value within float rounding of the threshold is
        the threshold (0.007 meets ``error<=0.7%``, which parses to 0.006999…)."""
        if value is None or not math.isfinite(value):
            return False
        difference = value - self.threshold
        if abs(difference) <= 1e-12 * max(1.0, abs(self.threshold)):
            difference = 0.0
        return bool(_OPS[self.op](difference, 0.0))

    def __str__(self) -> str:
        return self.text


def parse_constraint(
    text: str, accepted: Iterable[str] | None = None, *, examples: str = EXAMPLES
) -> Constraint:
    """Parse one constraint expression (see the module grammar); with ``accepted``, a metric
    not among those names is refused first (its value would be read by a metric's rules).
    ``examples``: the ones a refusal shows, constraints the caller accepts."""
    grammar = GRAMMAR.replace(EXAMPLES, examples)
    match = _PATTERN.match(str(text))
    if match is None:
        raise InvalidInputError(f"constraint {text!r} does not parse: {grammar}")
    name, op, raw = match.groups()
    op = {"≤": "<=", "≥": ">="}.get(op, op)
    metric = canonical_name(name)
    if accepted is not None:
        resolve_metric(name, accepted)
    try:
        threshold = float(raw.removesuffix("%"))
    except ValueError:
        raise InvalidInputError(f"constraint {text!r} does not parse: {grammar}") from None
    if raw.endswith("%") or is_rate(metric):
        threshold = parse_rate(raw, name=f"constraint {metric}{op}")
    else:
        if not math.isfinite(threshold):
            raise InvalidInputError(
                f"constraint {text!r} has a non-finite value: give a number; {grammar}"
            )
    return Constraint(metric=metric, op=op, threshold=threshold, text=f"{metric}{op}{raw}")
