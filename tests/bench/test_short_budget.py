"""``bench/short_budget.py``: its generated sets, its last line from known rows, and a small run
end to end (its figures here are only figures)."""

import math
import re
import sys

import numpy as np
import pytest

from tests.bench._run import ROOT, run_bench

sys.path.insert(0, str(ROOT / "bench"))
import short_budget


def test_the_generated_sets_have_their_shapes_and_every_class():
    x, y = short_budget.images(40, seed=0)
    assert x.shape == (40, 3, 64, 64) and x.dtype == np.float32
    assert set(y) == {0, 1, 2, 3}
    x, y = short_budget.signals(30, seed=0)
    assert x.shape == (30, 1, 4000) and set(y) == {0, 1, 2}
    assert np.array_equal(short_budget.signals(30, seed=0)[0], x)  # seeded


def test_the_last_line_holds_each_sets_accuracy_per_method_and_the_largest_overrun():
    Row = short_budget.Row
    rows = [
        Row("images", "fitted", 0.9, 118.0, 120.0, "", ""),
        Row("images", "cut", 0.5, 131.5, 120.0, "", ""),
        Row("signals", "fitted", 0.6, 121.0, 120.0, "", ""),
    ]
    s = short_budget.summarize(rows)
    assert s["images_fitted_test"] == 0.9 and s["images_cut_test"] == 0.5
    assert s["signals_fitted_test"] == 0.6 and math.isnan(s["signals_cut_test"])  # not run
    assert s["max_over_budget_s"] == 11.5
    assert short_budget.last_line(s).endswith("signals_cut_test=nan max_over_budget_s=11.5000")


@pytest.mark.slow
def test_the_short_budget_bench_runs_small():
    last = run_bench("short_budget.py", "--scale", "0.05", "--budget-s", "5")
    keys = [f"{s}_{m}_test" for s in ("images", "signals") for m in ("fitted", "cut")]
    pattern = " ".join(rf"{k}=[01]\.\d{{4}}" for k in keys) + r" max_over_budget_s=-?\d+\.\d{4}"
    assert re.fullmatch(pattern, last), last
