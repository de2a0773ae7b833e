"""Is a variant really better? Paired comparison on the same examples.

Two models scored on the same n examples differ only where one is right and the other wrong:
b examples the variant fixes, c it breaks. The change in error rate is (c − b)/n and its
standard error √(b + c − (b − c)²/n)/n (the paired, McNemar-style interval). This is far tighter
than comparing two independent binomial intervals: on a 1,000-example dev set two models at
1.5 % and 1.0 % error are told apart when their mistakes mostly differ in a few examples —
the noise that matters is the disagreement between the two models, not each one's own spread.

With repeats (the same configurations trained with several seeds, paired seed by seed),
``seeded_change`` adds the training-seed noise: the change is the mean over seeds, and its
variance is the dev-sampling part (the per-example differences of the seed-averaged mistakes,
the formula above when there is one seed) plus the spread of the per-seed changes divided by
the number of seeds (zero with one seed: it cannot be estimated).

One step compares several variants with the current model and keeps the best: each variant's
one-sided p-value (H0: not better) is adjusted by Holm's step-down method over the variants of
that step (``holm``), and a variant counts as better beyond the noise only when its adjusted
p-value is below 2.5 % — with one variant, exactly "the 95 % interval lies below zero".
"""

from __future__ import annotations

import math

import torch
from pydantic import BaseModel, ConfigDict

Z95 = 1.959963984540054
ALPHA = 0.025  # one-sided level: the upper end of a two-sided 95 % interval


class PairedChange(BaseModel):
    """Change in error rate from ``before`` to ``after`` on the same examples (< 0: better)."""

    model_config = ConfigDict(frozen=True)

    change: float
    low: float
    high: float
    fixed: int  # examples the new model gets right that the old one got wrong
    broken: int  # examples the new model gets wrong that the old one got right
    n: int
    seeds: int = 1
    p: float = 1.0  # one-sided p-value of "not better" (normal approximation)
    p_adjusted: float | None = None  # after Holm over the variants compared with it

    @property
    def better_beyond_noise(self) -> bool:
        """Better at the one-sided 2.5 % level, after Holm's adjustment when there was one (the
        whole 95 % interval below zero, for a comparison made alone)."""
        return (self.p if self.p_adjusted is None else self.p_adjusted) < ALPHA


def _p_not_better(change: float, se: float) -> float:
    if se == 0.0:
        return 0.0 if change < 0 else 1.0
    return 0.5 * math.erfc(-(change / se) / math.sqrt(2.0))  # Φ(change / se)


def paired_change(before_wrong: torch.Tensor, after_wrong: torch.Tensor) -> PairedChange:
    """Compare two boolean "was wrong" vectors of the same examples."""
    before = before_wrong.bool()
    after = after_wrong.bool()
    n = int(before.numel())
    fixed = int((before & ~after).sum())
    broken = int((~before & after).sum())
    change = (broken - fixed) / n
    se = math.sqrt(max(fixed + broken - (broken - fixed) ** 2 / n, 0.0)) / n
    return PairedChange(
        change=change,
        low=change - Z95 * se,
        high=change + Z95 * se,
        fixed=fixed,
        broken=broken,
        n=n,
        p=_p_not_better(change, se),
    )


def seeded_change(
    before_wrong: list[torch.Tensor], after_wrong: list[torch.Tensor]
) -> PairedChange:
    """Compare two configurations each trained with the same seeds (lists paired seed by seed,
    each a bool "was wrong" vector of the same examples); see the module docstring."""
    if not before_wrong or len(before_wrong) != len(after_wrong):
        raise ValueError("seeded_change needs the same number (≥ 1) of seeds on both sides")
    if len(before_wrong) == 1:
        return paired_change(before_wrong[0], after_wrong[0])
    before = torch.stack([w.double() for w in before_wrong])  # [seeds, n]
    after = torch.stack([w.double() for w in after_wrong])
    seeds, n = before.shape
    d = (after - before).mean(0)  # per example, averaged over seeds
    per_seed = (after - before).mean(1)  # per seed, averaged over examples
    change = float(d.mean())
    var = float(d.var(correction=0)) / n + float(per_seed.var(correction=1)) / seeds
    se = math.sqrt(max(var, 0.0))
    return PairedChange(
        change=change,
        low=change - Z95 * se,
        high=change + Z95 * se,
        fixed=int((before.bool() & ~after.bool()).sum()),
        broken=int((~before.bool() & after.bool()).sum()),
        n=n,
        seeds=seeds,
        p=_p_not_better(change, se),
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order: sorted ascending, the k-th
    smallest (k = 0, 1, …) becomes max over j ≤ k of min(1, (m − j)·p_(j))."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for k, i in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - k) * p_values[i]))
        adjusted[i] = running
    return adjusted


def adjust(changes: list[PairedChange]) -> list[PairedChange]:
    """The same comparisons with their Holm-adjusted p-values (one step's variants)."""
    adjusted = holm([c.p for c in changes])
    return [c.model_copy(update={"p_adjusted": a}) for c, a in zip(changes, adjusted, strict=True)]


def describe(change: PairedChange) -> str:
    """E.g. "-0.40% (95% -0.71% … -0.09%, Holm p 0.012, 3 seeds)"."""
    extra = "" if change.p_adjusted is None else f", Holm p {change.p_adjusted:.3g}"
    if change.seeds > 1:
        extra += f", {change.seeds} seeds"
    return f"{change.change:+.2%} (95% {change.low:+.2%} … {change.high:+.2%}{extra})"
