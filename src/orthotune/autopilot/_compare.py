"""Is a variant really better? Paired comparison on the same examples.

Two models scored on the same n examples differ only where one is right and the other wrong:
b examples the variant fixes, c it breaks. The change in error rate is (c − b)/n and its
standard error √(b + c − (b − c)²/n)/n (the paired, McNemar-style interval). This is far tighter
than comparing two independent binomial intervals: on a 1,000-example dev set two models at
1.5 % and 1.0 % error are told apart when their mistakes mostly differ in a few examples —
the noise that matters is the disagreement between the two models, not each one's own spread.
"""

from __future__ import annotations

import math

import torch
from pydantic import BaseModel, ConfigDict

Z95 = 1.959963984540054


class PairedChange(BaseModel):
    """Change in error rate from ``before`` to ``after`` on the same examples (< 0: better)."""

    model_config = ConfigDict(frozen=True)

    change: float
    low: float
    high: float
    fixed: int  # examples the new model gets right that the old one got wrong
    broken: int  # examples the new model gets wrong that the old one got right
    n: int

    @property
    def better_beyond_noise(self) -> bool:
        """The whole 95 % interval is below zero."""
        return self.high < 0


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
    )
