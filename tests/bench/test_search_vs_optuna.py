import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_the_fair_time_ratio_last():
    last = run_quick("search_vs_optuna.py")
    assert re.fullmatch(r"search_fair_time_ratio_breast_cancer=([\d.]+|nan)", last), last
