import pytest

from tests.bench._run import run_quick


@pytest.mark.slow
def test_quick_attribution_benchmark_reports_both_methods_and_the_floor():
    fields = dict(pair.split("=") for pair in run_quick("attribution.py").split())
    assert fields["winner"] in ("integrated_gradients", "input_x_gradient")
    for method in ("integrated_gradients", "input_x_gradient"):
        # any real attribution beats a random ranking of the inputs
        assert 0 <= float(fields[method]) < float(fields["random"]) <= 1
    assert int(fields["wrong"]) > 0
