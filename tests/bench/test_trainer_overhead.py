import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_both_ratios_last():
    assert re.fullmatch(
        r"overhead_ratio_mlp=[\d.]+ overhead_ratio_cnn=[\d.]+", run_quick("trainer_overhead.py")
    )
