import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_the_figures_last():
    assert re.fullmatch(
        r"speedup_n8=[\d.]+ speedup_n32=[\d.]+ speedup_n128=[\d.]+ mfu_n32=[\d.]+ "
        r"speedup_cnn16=[\d.]+",
        run_quick("population.py"),
    )
