"""The benches behind step 0's defaults, the imputation, the refit and the yardstick's share
still run end to end at their smallest settings (they have no --quick: their small runs are
these) and print their last line. Their figures are dev data; here only that they are figures."""

import re

import pytest

from tests.bench._run import run_bench

RATE = r"-?[01]\.\d{4}"


@pytest.mark.slow
def test_the_defaults_bench_runs_on_one_small_set():
    last = run_bench("defaults.py", "--sets", "builtin:breast-cancer", "--seeds", "1")
    assert re.fullmatch(rf"defaults_hold=[01]/1( mean_gain_[\w-]+={RATE}){{3}}", last), last


@pytest.mark.slow
def test_the_impute_bench_runs_on_one_small_set():
    last = run_bench("impute.py", "--sets", "wine@0.1", "--seeds", "1")
    assert re.fullmatch(rf"conditional_minus_median={RATE}", last), last


@pytest.mark.slow
def test_the_refit_bench_runs_with_two_models():
    last = run_bench("refit.py", "--sets", "synthetic", "--seeds", "1", "--models", "2")
    assert re.fullmatch(
        rf"refit_mean_delta={RATE} refit_min_delta={RATE} refit_wins=[01]/1", last
    ), last


@pytest.mark.slow
def test_the_yardstick_time_bench_runs_on_one_small_set():
    last = run_bench("yardstick_time.py", "--sets", "wine", "--seeds", "1")
    assert re.fullmatch(r"yardstick_max_s=\d+\.\d\d yardstick_max_share=0\.\d{4}", last), last


@pytest.mark.slow
def test_the_mnist1d_ceiling_bench_runs_with_one_seed_of_one_epoch():
    last = run_bench("mnist1d_ceiling.py", "--seeds", "1", "--epochs", "1")
    keys = ("best_dev", "best_fresh", "default_dev", "default_canonical", "default_fresh")
    assert re.fullmatch(" ".join(rf"{k}_error=0\.\d{{4}}" for k in keys), last), last
