"""A budget too short for the default's 30 epochs: the autopilot with its baseline's epochs fitted
to the budget (``AutopilotSettings.fit_baseline``, the default) against the same autopilot
without it, whose one-cycle schedule the deadline cuts wherever it stands. Chooses nothing.

Two generated sets whose networks take about a second an optimizer step on one CPU thread, so
that 30 epochs do not fit a two-minute budget: 1,000 RGB images of 64×64 (4 classes: stripes
of four orientations, random phase, colour and noise) and 2,000 signals of 4,000 samples (3
classes: a burst of one of three frequencies at a random place, in noise). Both methods get the
same split (seed 0), start, precision (float32) and budget; the test set is scored once per run.

    python bench/short_budget.py                          # 4 runs of 120 s, ~9 minutes
    python bench/short_budget.py --scale 0.05 --budget-s 8  # the test suite's run

One row per run (set, method, test accuracy, seconds used of the budget, the baseline as the
log names it, how errors were estimated), then ``images_fitted_test=… images_cut_test=…
signals_fitted_test=… signals_cut_test=… max_over_budget_s=…`` (accuracies as fractions;
``max_over_budget_s``: the most any run went past its budget, scoring and saving included).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_header

METHODS = {"fitted": True, "cut": False}  # method → AutopilotSettings.fit_baseline


def images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` RGB images [n, 3, 64, 64] of stripes in one of 4 orientations (the class)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    r, c = np.meshgrid(np.arange(64), np.arange(64), indexing="ij")
    angle = y * np.pi / 4 + rng.normal(0, 0.1, n)  # 0°, 45°, 90°, 135°, a little off
    phase = rng.uniform(0, 2 * np.pi, n)
    along = np.cos(angle)[:, None, None] * r + np.sin(angle)[:, None, None] * c
    stripes = np.sin(2 * np.pi * along / 8 + phase[:, None, None])
    colour = rng.uniform(0.2, 1.0, (n, 3))
    x = colour[:, :, None, None] * stripes[:, None] + rng.normal(0, 1.5, (n, 3, 64, 64))
    return x.astype(np.float32), y


def signals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` signals [n, 1, 4000] holding a burst of one of 3 frequencies (the class)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.arange(4000)
    x = rng.normal(0, 1.0, (n, 4000))
    for i in range(n):
        at = rng.integers(0, 4000 - 400)
        burst = np.sin(2 * np.pi * (0.02 + 0.01 * y[i]) * t[:400] + rng.uniform(0, 2 * np.pi))
        x[i, at : at + 400] += 0.8 * burst * np.hanning(400)
    return x[:, None].astype(np.float32), y


SETS = {"images": (images, 1000), "signals": (signals, 2000)}


@dataclass
class Row:
    name: str
    method: str
    test_acc: float
    used_s: float
    budget_s: float
    baseline: str
    validation: str


def run(path: Path, name: str, method: str, budget_s: float, out: Path) -> Row:
    from orthotune.autopilot import AutopilotSettings, tune_autopilot

    settings = AutopilotSettings(
        budget_s=budget_s, seed=0, device="cpu", fit_baseline=METHODS[method]
    )
    started = time.monotonic()
    s = tune_autopilot(str(path), out=out, settings=settings)
    used = time.monotonic() - started
    first = s.decisions.steps[0].variants[0].label
    return Row(
        name, method, s.test_metrics["accuracy"], used, budget_s, first, s.decisions.validation
    )


def summarize(rows: list[Row]) -> dict[str, float]:
    """The last line's figures: each set's test accuracy per method, and the most any run went
    past its budget (nan when a figure is missing)."""
    out: dict[str, float] = {}
    for name in SETS:
        for method in METHODS:
            acc = [r.test_acc for r in rows if r.name == name and r.method == method]
            out[f"{name}_{method}_test"] = acc[0] if acc else math.nan
    over = [r.used_s - r.budget_s for r in rows]
    out["max_over_budget_s"] = max(over) if over else math.nan
    return out


def last_line(summary: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.4f}" for k, v in summary.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=120.0)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each set's size")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    print(machine_header(), flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets.split(","):
            make, n = SETS[name]
            x, y = make(max(40, int(n * args.scale)), seed=0)
            path = Path(tmp) / f"{name}.npz"
            np.savez(path, x=x, y=y)
            for method in METHODS:
                row = run(path, name, method, args.budget_s, Path(tmp) / f"{name}-{method}")
                rows.append(row)
                print(
                    f"{row.name} {row.method}: test {100 * row.test_acc:.2f} %, "
                    f"{row.used_s:.0f} s of {row.budget_s:.0f}; {row.baseline}; {row.validation}",
                    flush=True,
                )
    print(last_line(summarize(rows)))


if __name__ == "__main__":
    main()
