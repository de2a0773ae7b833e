"""orthotune.select — choose a model: single-number metric, satisficing constraints, Pareto front.

One metric is optimized (``--metric``), the others are satisficed (``--constraint
"latency_ms<100"``); the choice always respects the constraints. ``compare_table`` turns a table
of per-class scores or metrics into averages, harmonic means, F-scores, a ranking and a front.
"""

from orthotune.select._compare import Comparison, compare_table, fbeta_name
from orthotune.select._constraints import GRAMMAR, Constraint, parse_constraint
from orthotune.select._metric import (
    REPORT_METRICS,
    Direction,
    canonical_name,
    direction_of,
    is_rate,
    metric_value,
    resolve_metric,
)
from orthotune.select._pareto import pareto_front
from orthotune.select._rank import Candidate, RankedRow, Ranking, format_value, rank

__all__ = [
    "GRAMMAR",
    "REPORT_METRICS",
    "Candidate",
    "Comparison",
    "Constraint",
    "Direction",
    "RankedRow",
    "Ranking",
    "canonical_name",
    "compare_table",
    "direction_of",
    "fbeta_name",
    "format_value",
    "is_rate",
    "metric_value",
    "pareto_front",
    "parse_constraint",
    "rank",
    "resolve_metric",
]
