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
    "search_fair_time_ratio_mnist1d",
    "search_fair_time_ratio_second",
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
