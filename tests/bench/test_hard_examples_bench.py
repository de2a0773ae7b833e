import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_focal_run_prints_train_and_dev_error_per_gamma_last():
    fields = dict(pair.split("=") for pair in run_quick("hard_examples.py").split())
    for gamma in ("0", "0.5", "1", "2", "5"):
        for part in ("train", "dev"):
            assert 0.0 <= float(fields[f"breast-cancer_g{gamma}_{part}_error"]) <= 1.0
    assert all(re.fullmatch(r"breast-cancer_g[\d.]+_(train|dev)_error", k) for k in fields)
