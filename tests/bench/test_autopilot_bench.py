import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_accuracy_and_times_last():
    last = run_quick("autopilot.py", "--no-baseline")
    assert re.fullmatch(
        r"test_accuracy=0\.\d{4} time_to_975_s=[\d.]+ baseline_time_to_975_s=nan", last
    ), last
