import re

import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_run_prints_the_three_accuracies_last():
    last = run_quick("mnist1d_sanity.py")
    assert re.fullmatch(
        r"mlp_test_acc=[\d.]+ cnn_test_acc=[\d.]+ cnn_bn_test_acc=[\d.]+ human_test_acc=0.958", last
    )
