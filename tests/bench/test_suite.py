import csv
import re

import pytest

from tests.bench._run import run_quick

KEYS = [
    "dev_sets",
    "heldout_sets",
    "dev_mean_delta_vs_hgb",
    "dev_min_delta_vs_hgb",
    "heldout_mean_delta_vs_hgb",
    "heldout_min_delta_vs_hgb",
    "min_budget_used",
    "min_training_share",
    "mnist1d_median_test",
    "mnist1d_median_fresh_test",
    "mnist1d_median_gain_over_step0",
    "mnist1d_median_fresh_gain_over_step0",
    "search_fair_time_ratio_mnist1d",
    "search_fair_time_ratio_second",
    "dev_sets_worse_than_hgb",
    "dev_worst_upper_vs_hgb",
    "heldout_sets_worse_than_hgb",
    "heldout_worst_upper_vs_hgb",
]


@pytest.mark.slow
def test_quick_suite_runs_every_method_and_prints_the_figures_last(tmp_path):
    last = run_quick("suite.py", "--out", str(tmp_path))
    pairs = dict(p.split("=") for p in last.split())
    assert list(pairs) == KEYS, last
    assert pairs["dev_sets"] == "2" and pairs["heldout_sets"] == "0"
    assert re.fullmatch(r"-?\d\.\d{4}", pairs["dev_mean_delta_vs_hgb"])
    table = (tmp_path / "suite.csv").read_text().splitlines()
    assert len(table) == 1 + 2 * 5  # two sets × five methods
    assert not any("Error" in line for line in table[1:]), table
    with open(tmp_path / "suite.csv") as handle:
        rows = list(csv.DictReader(handle))
    for name in ("wine", "breast_cancer"):  # the paired interval's inputs: same test rows
        bits = {r["method"]: r["correct"] for r in rows if r["set"] == name}
        assert len(bits["autopilot"]) == len(bits["hgb"]) > 20 and set(bits["autopilot"]) <= {
            "0",
            "1",
        }
        for method in ("hgb", "autopilot"):  # the bits agree with the method's own accuracy
            acc = next(
                float(r["test_acc"]) for r in rows if r["set"] == name and r["method"] == method
            )
            assert bits[method].count("1") / len(bits[method]) == pytest.approx(acc)
    assert "- wine: " in (tmp_path / "suite.md").read_text()
