"""The verdict, in the lecture's words, and the one problem to work on next.

A gap is **high** when it is above the tolerance *and* outside the noise: its value exceeds
``tolerance`` (default 1 percentage point — the lecture calls Model B's 0.5 % variance low and
Models A/B's 2.8 % avoidable bias high) and its 95 % interval lies above 0. Without example
counts the noise is unknown and the tolerance alone decides (the verdict says so).

A gap is **unresolved** when the interval leaves the decision open: it looks high but its
interval reaches 0, or it looks low but its interval reaches above the tolerance. The verdict
then says which set is too small and about how many examples would resolve it: the size at which
the gap's 95 % interval is ±tolerance/2, or narrower where the gap lies closer than that to 0 or
to the tolerance (normal approximation, the other set held fixed — or both sets that size when
the other one alone is already too noisy; never fewer than the set has).

The problem to work on (``Problem``): avoidable bias while it is high ("we should not try to
decrease variance if the avoidable bias is still high"), else the largest remaining high gap
(variance, data mismatch, dev overfitting), else none. When the training error is below
human-level error the model surpasses human-level performance and the avoidable bias is unknown;
the bias against the Bayes error stands in for it when the Bayes error is known.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from orthotune.diagnose._decompose import (
    Z95,
    Decomposition,
    Gap,
    GapName,
    LevelEstimate,
    newcombe_interval,
)
from orthotune.diagnose._knobs import Problem
from orthotune.diagnose._levels import ErrorLevels

__all__ = ["DEFAULT_TOLERANCE", "GapJudgement", "Verdict", "judge"]

#: Default tolerance for "high": one percentage point.
DEFAULT_TOLERANCE = 0.01

_WORDS = {
    GapName.AVOIDABLE_BIAS: "avoidable bias",
    GapName.BIAS: "bias",
    GapName.VARIANCE: "variance",
    GapName.DATA_MISMATCH: "data mismatch",
    GapName.DEV_OVERFITTING: "dev-set overfitting",
}


class GapJudgement(BaseModel):
    """Whether one gap is high, and whether the example counts can tell."""

    model_config = ConfigDict(frozen=True)

    gap: GapName
    value: float
    low: float | None
    high: float | None
    above_tolerance: bool
    outside_noise: bool | None = Field(description="interval above 0; None: noise unknown")
    is_high: bool
    resolved: bool | None = Field(description="the interval settles high vs low; None: unknown")
    set_to_grow: str | None = Field(default=None, description="set too small to resolve it")
    needed_n: int | None = Field(default=None, description="about this many examples would")
    also_grow: str | None = Field(
        default=None, description="the other set, when it needs that many examples too"
    )
    half_width: float | None = Field(
        default=None, description="the 95 % half-width needed_n gives, enough to resolve it"
    )


class Verdict(BaseModel):
    """What is wrong, in the lecture's words, and where to focus."""

    model_config = ConfigDict(frozen=True)

    problem: Problem
    headline: str
    findings: list[str] = Field(description="e.g. High bias, High variance")
    focus: str = Field(description="e.g. first focus on bias")
    surpassed_human: bool
    judgements: list[GapJudgement]
    notes: list[str] = Field(default_factory=list, description="caveats, noise, set sizes")


def _pct(x: float) -> str:
    return f"{x * 100:.2f}%"


def _clipped_variance(p: float, tol: float) -> float:
    """``p(1 − p)`` with ``p`` kept off 0 and 1 (an observed 0 % still has noise)."""
    q = min(max(p, tol), 1 - tol) if tol < 0.5 else 0.5
    return q * (1 - q)


def _noise(level: LevelEstimate, tol: float) -> float:
    """The variance a level's error brings to a gap: p(1 − p) / n."""
    return _clipped_variance(level.error, tol) / level.n


def _needed(
    p_grow: float, n_other: int | None, p_other: float | None, half: float, tol: float
) -> tuple[int, bool]:
    """Examples of the set to grow for a ±half interval on the gap; True when the other set
    must grow too."""
    target = (half / Z95) ** 2  # the variance a ±half interval allows
    var_grow = _clipped_variance(p_grow, tol)
    if n_other is None or p_other is None:  # a reference level: no noise on the other side
        return math.ceil(var_grow / target), False
    var_other = _clipped_variance(p_other, tol)
    if var_other / n_other < target / 2:
        return math.ceil(var_grow / (target - var_other / n_other)), False
    return math.ceil((var_grow + var_other) / target), True


def _above(value: float, tol: float) -> bool:
    """``value > tol`` as the rates mean it, not as their floats round: 2 % − 1 % is 0.01 and
    2.5 % − 1.5 % is 0.010000000000000002; a gap equal to the tolerance is not above it,
    however it was computed or typed (``diagnose`` and ``evaluate`` judged one gap apart)."""
    return value - tol > 1e-12


def _judge_gap(
    gap: Gap, decomposition: Decomposition, levels: ErrorLevels, tol: float
) -> GapJudgement:
    above = _above(gap.value, tol)
    if gap.low is None or gap.high is None:
        return GapJudgement(
            gap=gap.name,
            value=gap.value,
            low=None,
            high=None,
            above_tolerance=above,
            outside_noise=None,
            is_high=above,
            resolved=None,
        )
    outside = gap.low > 0
    resolved = (above and outside) or (not above and not _above(gap.high, tol))
    set_to_grow = needed = also = None
    half = None
    if not resolved:
        grow = decomposition.level(gap.upper)
        other = decomposition.level(gap.lower)  # None for the human / Bayes references
        if other is not None and other.n and grow.n and _noise(other, tol) > _noise(grow, tol):
            # the lower set's noise dominates the interval: a 40-row dev set under a
            # 5,000-row test set was "the test set is too small … 2,718,674 test examples"
            grow, other = other, grow
        set_to_grow = grow.name
        # the interval must clear 0 (a gap that looks high) or the tolerance (one that looks
        # low) — with a margin, as the intervals are not symmetric — and be at least the
        # lecture's ±tol/2; a gap equal to the tolerance, never
        half = min(tol / 2, 0.8 * (gap.value if above else tol - gap.value))
        if half > 1e-9:
            n_other = None if other is None else other.n
            p_other = None if other is None else other.error
            needed, other_too = _needed(grow.error, n_other, p_other, half, tol)
            if grow.n:  # never fewer than now: the interval narrows as 1/√n
                width = (gap.high - gap.low) / 2
                needed = max(needed, math.ceil(grow.n * (width / half) ** 2), grow.n + 1)
            also = other.name if other_too and other is not None else None
    return GapJudgement(
        gap=gap.name,
        value=gap.value,
        low=gap.low,
        high=gap.high,
        above_tolerance=above,
        outside_noise=outside,
        is_high=above and outside,
        resolved=resolved,
        set_to_grow=set_to_grow,
        needed_n=needed,
        also_grow=also,
        half_width=half if needed is not None else None,
    )


def _finding(word: str, j: GapJudgement | None) -> str:
    """``High bias``, ``Low bias`` or, when its interval leaves it open, ``Bias unresolved``."""
    if j is not None and j.resolved is False:
        return f"{word} unresolved"
    return f"High {word.lower()}" if j is not None and j.is_high else f"Low {word.lower()}"


def _noise_note(j: GapJudgement, decomposition: Decomposition, tol: float) -> str:
    level = decomposition.level(j.set_to_grow) if j.set_to_grow else None
    n_now = f"{level.n:,} examples" if level is not None and level.n else "its examples"
    looks = "looks high" if j.above_tolerance else "looks low"
    interval = f"95% interval {_pct(j.low)} to {_pct(j.high)}"
    if j.needed_n is None or j.half_width is None:
        return (
            f"{_WORDS[j.gap]} {_pct(j.value)} equals the {_pct(tol)} tolerance ({interval}): "
            "no set size settles it either way; it counts as not high"
        )
    return (
        f"the {j.set_to_grow} set ({n_now}) is too small to resolve {_WORDS[j.gap]}: "
        f"{_pct(j.value)} {looks} but its {interval} spans the {_pct(tol)} tolerance; "
        f"about {j.needed_n:,} {j.set_to_grow} examples "
        + (f"(and as many {j.also_grow} examples) " if j.also_grow else "")
        + f"would give ±{_pct(j.half_width)} (the lecture: big enough to give high confidence)"
    )


def judge(decomposition: Decomposition, levels: ErrorLevels, *, tolerance: float) -> Verdict:
    """Judge every gap and name the problem to work on (see the module doc)."""
    judgements = [_judge_gap(g, decomposition, levels, tolerance) for g in decomposition.gaps()]
    by_name = {j.gap: j for j in judgements}
    notes: list[str] = []

    train = levels.train.error
    surpassed = levels.human_error is not None and train < levels.human_error
    bias_known = True
    if levels.human_error is None:
        notes.append(
            "no human-level error given: the avoidable bias is unknown "
            "(give the human-level error, e.g. --human-error 1%)"
        )
    if surpassed:
        avoidable = by_name.get(GapName.AVOIDABLE_BIAS)
        noisy = avoidable is not None and avoidable.high is not None and avoidable.high >= 0
        above = levels.dev.error > levels.human_error
        notes.append(
            f"surpassing human-level performance: the training error {_pct(train)} is below the "
            f"human-level error {_pct(levels.human_error)}, so the avoidable bias is unknown — "
            "it is hard to tell how far human level can be passed"
            + (
                "; the bias against the Bayes error stands in for it"
                if GapName.BIAS in by_name
                else ""
            )
            # the lecture's test is the training error; said as if the model were better than
            # people where its train − human interval reached above 0, or where its dev error
            # was 4 points above human level (a network that had learned flipped labels)
            + (
                f" (within the noise: train − human's 95% interval reaches {_pct(avoidable.high)})"
                if noisy
                else ""
            )
            + (
                f"; on the training set only: the dev error {_pct(levels.dev.error)} is above "
                "human level"
                if above
                else ""
            )
        )
    bias = None
    if (levels.human_error is None or surpassed) and GapName.BIAS in by_name:
        bias = by_name[GapName.BIAS]
    elif levels.human_error is not None and not surpassed:
        bias = by_name[GapName.AVOIDABLE_BIAS]
    else:
        bias_known = False
    bias_high = bias is not None and bias.is_high
    variance_high = by_name[GapName.VARIANCE].is_high

    if any(j.outside_noise is None for j in judgements):
        notes.append(
            "example counts missing: the noise is unknown, so the tolerance alone "
            "decides what is high (give the set sizes, e.g. --dev-size 10000)"
        )
    for j in judgements:
        if j.resolved is False:
            notes.append(_noise_note(j, decomposition, tolerance))

    overfit = by_name.get(GapName.DEV_OVERFITTING)
    if overfit is not None and overfit.high is not None and overfit.high < 0:
        # a test error surely below dev is no overfitting to dev: a new-user sweep's dev and
        # test from two distributions read "dev overfitting −12.00 % … not high", and nothing
        # said that the lecture's rule — dev and test from the same distribution — was broken
        notes.append(
            f"the test error is below the dev error beyond the noise (test − dev "
            f"{_pct(overfit.value)}, 95% up to {_pct(overfit.high)}): dev and test may not come "
            "from the same distribution — choose them so that they do (the test set judges "
            "what dev chose)"
        )
    if len(decomposition.sources) >= 2:
        ranked = sorted(decomposition.sources, key=lambda s: s.error)
        lo, hi = ranked[0], ranked[-1]
        spread = hi.error - lo.error
        sure = True
        if lo.n is not None and hi.n is not None:
            sure = newcombe_interval(hi.error, hi.n, lo.error, lo.n)[0] > 0
        if _above(spread, tolerance) and sure:
            notes.append(
                f"dev error differs across sources: {hi.name} {_pct(hi.error)} vs {lo.name} "
                f"{_pct(lo.error)} — a sign of data mismatch (the lecture's dev1 / dev2): the "
                "model was trained on a limited subset of the distributions"
            )

    # The problem: avoidable bias while high, else the largest remaining high gap.
    if bias_high:
        problem = Problem.AVOIDABLE_BIAS
    else:
        rest = [
            by_name[g]
            for g in (GapName.VARIANCE, GapName.DATA_MISMATCH, GapName.DEV_OVERFITTING)
            if g in by_name
        ]
        high = [j for j in rest if j.is_high]
        problem = Problem(max(high, key=lambda j: j.value).gap.value) if high else Problem.NONE

    # a gap the intervals leave open is "unresolved", never "Low": the problem stays the largest
    # gap that is surely high (the autopilot's rule), and the focus says what is left open
    findings = []
    if surpassed and not bias_high:
        findings.append("Surpassing human-level performance")
    elif bias_known:
        findings.append(_finding("Bias", bias))
    findings.append(_finding("Variance", by_name[GapName.VARIANCE]))
    for name, words in (
        (GapName.DATA_MISMATCH, "Data mismatch"),
        (GapName.DEV_OVERFITTING, "Overfitting the dev set"),
    ):
        if name in by_name and by_name[name].is_high:
            findings.append(words)
    focus = {
        Problem.AVOIDABLE_BIAS: "first focus on bias" if variance_high else "focus on bias",
        Problem.VARIANCE: "focus on variance",
        Problem.DATA_MISMATCH: "focus on data mismatch",
        Problem.DEV_OVERFITTING: "focus on dev-set overfitting (get a bigger dev set)",
        Problem.NONE: "quite well-trained model",
    }[problem]
    if problem == Problem.NONE and not bias_known:
        focus = "no high gap found (the avoidable bias is unknown)"
    open_gaps = [_WORDS[j.gap] for j in judgements if j.resolved is False]
    if open_gaps and problem == Problem.NONE:
        verb = "stays" if len(open_gaps) == 1 else "stay"
        focus = f"no gap is surely high, but {' and '.join(open_gaps)} {verb} unresolved: the sets "
        focus += "are too small to tell (see the notes)"
    elif bias is not None and bias.resolved is False and bias.above_tolerance:
        focus += f" ({_WORDS[bias.gap]} looks high but is unresolved: see the notes)"
    return Verdict(
        problem=problem,
        headline=f"{', '.join(findings)} — {focus}",
        findings=findings,
        focus=focus,
        surpassed_human=surpassed,
        judgements=judgements,
        notes=notes,
    )
