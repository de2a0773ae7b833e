import importlib.util
import math
import re
import sys

import pytest

from tests.bench._run import ROOT, run_quick


def _bench():
    spec = importlib.util.spec_from_file_location("bench_workers", ROOT / "bench" / "workers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_figures_on_known_trials():
    b = _bench()
    T = b.TrialTimes
    # worker 1 runs from 0 to 120 s, worker 2 from 30 to 90 s: both run in [30, 90]
    trials = [
        T(0, 1, "COMPLETE", 0, 20, 0.50),
        T(1, 1, "COMPLETE", 20, 40, 0.60),
        T(2, 2, "COMPLETE", 30, 50, 0.75),  # reaches the target 50 s after the first start
        T(3, 1, "COMPLETE", 40, 60, 0.55),
        T(4, 2, "COMPLETE", 50, 90, 0.90),
        T(5, 1, "CUT", 60, 120, 0.40),  # cut by the budget: never counted as finished
    ]
    r = b.summarize(trials, workers=2, target=0.7)
    assert (r.trials, r.window_s, r.lost) == (4, 60.0, 0)  # trials 1-4 end inside [30, 90]
    assert r.trials_per_min == pytest.approx(4.0)
    assert r.time_to_target_s == pytest.approx(50.0)
    # a trial left RUNNING, a stale one, a missing number and a worker that failed: 4 lost
    lossy = [*trials, T(6, 2, "RUNNING", 90, None), T(8, 1, "FAIL", 100, 110, None, stale=True)]
    assert b.summarize(lossy, workers=2, target=0.7, failed_workers=1).lost == 4
    # a worker count whose workers did not all train: no throughput
    assert math.isnan(b.summarize(trials, workers=3, target=0.7).trials_per_min)
    line = b.last_line(
        {
            1: b.Throughput(1, 10, 60, 10.0, 5.0, 0),
            2: b.Throughput(2, 19, 60, 19.0, 4.0, 0),
            4: b.Throughput(4, 20, 60, 20.0, 3.0, 2),
        }
    )
    assert line == (
        "trials_per_min_1=10.0 trials_per_min_2=19.0 trials_per_min_4=20.0 scaling_2=1.90 "
        "lost_trials_4=2"
    )


@pytest.mark.slow
def test_quick_run_prints_the_figures_last_and_loses_no_trial():
    # nothing about speed: on a busy machine a 20-second run may finish no trial (nan)
    last = run_quick("workers.py")
    figure = r"([\d.]+|nan)"
    assert re.fullmatch(
        rf"trials_per_min_1={figure} trials_per_min_2={figure} trials_per_min_4={figure} "
        rf"scaling_2={figure} lost_trials_4=0",
        last,
    ), last
