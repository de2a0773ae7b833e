import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_transfer_run_prints_the_three_dev_errors_and_the_chosen_model_last():
    line = run_quick("transfer.py")
    assert re.fullmatch(
        r"scratch_dev_error=[\d.]+ transfer_dev_error=[\d.]+ frozen_dev_error=[\d.]+ "
        r"chosen=(scratch|transfer|frozen) chosen_test_error=[\d.]+",
        line,
    ), line
