"""``diagnose(levels)``: decomposition, verdict and knobs in one typed result."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from orthotune._errors import InvalidInputError
from orthotune._rates import parse_rate
from orthotune._result import Result
from orthotune.diagnose._decompose import Decomposition, decompose
from orthotune.diagnose._knobs import Knob, Problem, knobs_for
from orthotune.diagnose._levels import ErrorLevels
from orthotune.diagnose._verdict import DEFAULT_TOLERANCE, Verdict, judge

__all__ = ["Diagnosis", "diagnose"]

SCHEMA_VERSION = 1


class Diagnosis(Result):
    """What is wrong with the model and which knobs to turn (rates as fractions).

    ``problem`` is the one to work on next (avoidable bias while it is high, else the largest
    remaining high gap, else ``none``); ``is_high`` maps each computed gap to its flag;
    ``knobs`` are the problem's ordered knobs.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: int = SCHEMA_VERSION
    tolerance: float
    levels: ErrorLevels
    decomposition: Decomposition
    verdict: Verdict
    problem: Problem
    is_high: dict[str, bool] = Field(description="gap name -> above tolerance and the noise")
    knobs: list[Knob]


def parse_tolerance(tolerance: float | str) -> float:
    """The tolerance as a positive rate, or one line (checked before any work uses it)."""
    tol = parse_rate(tolerance, name="tolerance")
    if tol <= 0:
        raise InvalidInputError(
            f"tolerance {tolerance!r} is not positive: give a rate such as 1% or 0.005"
        )
    return tol


def diagnose(levels: ErrorLevels, *, tolerance: float | str = DEFAULT_TOLERANCE) -> Diagnosis:
    """Decompose ``levels``, judge each gap against ``tolerance`` and the noise, pick the knobs.

    ``tolerance`` is a rate (``0.01`` or ``"1%"``): a gap is high only above it *and* outside
    its 95 % interval's noise.
    """
    tol = parse_tolerance(tolerance)
    decomposition = decompose(levels)
    verdict = judge(decomposition, levels, tolerance=tol)
    return Diagnosis(
        tolerance=tol,
        levels=levels,
        decomposition=decomposition,
        verdict=verdict,
        problem=verdict.problem,
        is_high={j.gap.value: j.is_high for j in verdict.judgements},
        knobs=knobs_for(verdict.problem),
    )
