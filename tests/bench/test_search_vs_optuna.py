import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_both_time_ratios_last():
    last = run_quick("search_vs_optuna.py")
    assert re.fullmatch(r"time_ratio_975=[\d.]+ time_ratio_985=[\d.]+", last)
