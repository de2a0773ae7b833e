"""The benchmarks' logic on inputs whose answer is known: incumbents, time to target,
censoring, ratios, the suite's split, its ``.ts`` reader, its summary line and its table."""

import csv
import importlib
import math
import sys

import numpy as np
import pytest

from tests.bench._run import ROOT

sys.path.insert(0, str(ROOT / "bench"))
common = importlib.import_module("_common")
suite = importlib.import_module("suite")


def test_a_trace_keeps_only_trials_that_beat_the_incumbent_on_dev():
    t = common.Trace()
    t.add(1.0, 0.90, 0.80)
    t.add(2.0, 0.89, 0.99)  # better on test but worse on dev: the method never sees test
    t.add(3.0, 0.95, 0.85)
    t.add(4.0, 0.95, 0.97)  # a tie on dev is no new incumbent
    assert t.points == [(1.0, 0.90, 0.80), (3.0, 0.95, 0.85)]
    assert t.best_dev == 0.95 and t.final_test == 0.85
    assert t.time_to(0.85) == 3.0 and t.time_to(0.80) == 1.0 and t.time_to(0.9) is None


def test_time_to_target_is_censored_at_the_budget_when_never_reached():
    t = common.Trace(points=[(5.0, 0.9, 0.91), (30.0, 0.92, 0.95)])
    assert common.time_to_target(t, 0.95, 60) == common.Timed(30.0, False)
    assert common.time_to_target(t, 0.96, 60) == common.Timed(60, True)
    assert common.time_to_target(common.Trace(), 0.5, 60) == common.Timed(60, True)


def test_the_target_is_the_best_start_plus_half_a_point():
    a = common.Trace(points=[(3.0, 0.90, 0.970), (9.0, 0.93, 0.99)])
    b = common.Trace(points=[(4.0, 0.90, 0.972)])
    assert common.start_target([a, b]) == pytest.approx(0.977)
    assert common.start_target([common.Trace()]) is None
    assert common.start_target([a, b], part="dev") == pytest.approx(0.905)


def test_time_to_a_dev_target_reads_the_incumbents_dev_accuracy():
    t = common.Trace(points=[(5.0, 0.90, 0.97), (30.0, 0.92, 0.95)])
    assert common.time_to_target(t, 0.92, 60, part="dev") == common.Timed(30.0, False)
    assert common.time_to_target(t, 0.96, 60, part="test") == common.Timed(5.0, False)
    assert common.time_to_target(t, 0.93, 60, part="dev") == common.Timed(60, True)


def test_an_accuracy_equal_to_the_target_reaches_it_whichever_way_both_were_rounded():
    target = common.start_target([common.Trace(points=[(1.0, 978 / 1000, 0.9)])], part="dev")
    counted = 1.0 - float(np.float32(17 / 1000))  # 983 of 1000 right, via a float32 error rate
    t = common.Trace(points=[(1.0, 978 / 1000, 0.9), (7.0, counted, 0.9)])
    assert common.time_to_target(t, target, 60, part="dev") == common.Timed(7.0, False)
    short = common.Trace(points=[(1.0, 978 / 1000, 0.9), (7.0, 982 / 1000, 0.9)])
    assert common.time_to_target(short, target, 60, part="dev") == common.Timed(60, True)


def test_time_ratio_takes_medians_and_says_which_bound_censoring_makes():
    T = common.Timed
    fine = common.time_ratio([T(10, False), T(20, False), T(90, False)], [T(40, False)] * 3)
    assert fine.value == pytest.approx(0.5) and fine.bound == ""
    upper = common.time_ratio([T(10, False)], [T(100, True)])
    assert upper.value == pytest.approx(0.1) and upper.bound == "upper"
    lower = common.time_ratio([T(100, True)], [T(50, False)])
    assert lower.value == pytest.approx(2.0) and lower.bound == "lower"
    assert common.time_ratio([T(100, True)], [T(100, True)]).bound == "uninformative"
    assert "≤" in upper.describe() and "≥" in lower.describe()


def test_a_median_stays_exact_while_fewer_than_half_the_runs_are_censored():
    T = common.Timed
    peer = [T(40, False), T(50, False), T(100, True)]  # censored at the budget: the longest
    ours = [T(10, False), T(20, False), T(100, True)]
    exact = common.time_ratio(ours, peer)
    assert exact.value == pytest.approx(20 / 50) and exact.bound == ""
    half = [T(10, False), T(100, True)]  # of 2 runs, the median is the mean of a censored one
    assert common.time_ratio(half, peer).bound == "lower"
    assert common.time_ratio(ours, half).bound == "upper"
    assert common.time_ratio(half, half).bound == "uninformative"


def test_the_machine_header_names_cpu_isa_and_threads():
    line = common.machine_header()
    assert line.startswith("# machine: ") and "ISA" in line and "torch thread" in line


def test_the_split_is_stratified_60_20_20_and_seeded():
    y = np.array(["a"] * 50 + ["b"] * 10 + ["c"] * 3)
    s = suite.stratified_split(y, seed=0)
    for label, n in (("a", 50), ("b", 10), ("c", 3)):
        part = s[y == label]
        assert (part == "test").sum() == max(1, round(0.2 * n))
        assert (part == "dev").sum() == max(1, round(0.2 * n))
    assert (suite.stratified_split(y, seed=0) == s).all()
    assert not (suite.stratified_split(y, seed=1) == s).all()


def test_the_ts_reader_parses_a_univariate_ucr_file(tmp_path):
    path = tmp_path / "X_TRAIN.ts"
    path.write_text(
        "# a comment\n@problemName X\n@univariate true\n@classLabel true 1 2\n@data\n"
        "1.0,2.0,3.5:1\n-1,0,1:2\n"
    )
    x, y = suite.read_ts(path)
    assert x.shape == (2, 1, 3) and x.dtype == np.float32
    assert x[0, 0].tolist() == [1.0, 2.0, 3.5] and y.tolist() == ["1", "2"]


def test_the_committed_list_has_both_groups_and_what_each_set_covers():
    sets = suite.read_datasets()
    dev = [d for d in sets if d.group == "development"]
    held = [d for d in sets if d.group == "held_out"]
    assert len(held) >= 6 and {d.name for d in dev} >= {"mnist1d", "digits"}
    assert all(d.covers for d in sets) and len({d.name for d in sets}) == len(sets)
    covered = " ".join(" ".join(d.covers) for d in held)
    for prop in ("categorical", "missing", "imbalance", "classes", "signals"):
        assert prop in covered


def _row(name, group, method, acc, seed=0, **kw):
    return suite.Row(name, group, seed, method, test_acc=acc, **kw)


def test_the_summary_of_a_known_table(tmp_path):
    rows = [
        _row("a", "development", "hgb", 0.90),
        _row("a", "development", "autopilot", 0.92, budget_used=0.95, training_share=0.93),
        _row("b", "development", "hgb", 0.80),
        _row("b", "development", "autopilot", 0.79, budget_used=0.91),
        _row(
            "mnist1d",
            "development",
            "autopilot",
            0.99,
            fresh_test_acc=0.98,
            budget_used=1.0,
            step0_test_acc=0.985,
            step0_fresh_test_acc=0.972,
        ),
        _row(
            "mnist1d",
            "development",
            "autopilot",
            0.99,
            seed=1,
            fresh_test_acc=0.98,
            step0_test_acc=0.992,
            step0_fresh_test_acc=0.98,
        ),
        _row("mnist1d", "development", "autopilot", 0.99, seed=2, fresh_test_acc=0.98),
        _row("mnist1d", "development", "hgb", 0.70),  # images and signals are not in the delta
        _row("mnist1d", "development", "tpe", 0.98, time_to_target_s=10.0),
        _row("mnist1d", "development", "optuna", 0.98, time_to_target_s=40.0),
        _row("synthetic", "development", "tpe", 0.77, time_to_target_s=60.0, censored=True),
        _row("synthetic", "development", "optuna", 0.77, time_to_target_s=30.0),
        _row("h", "held_out", "hgb", 0.70),
        _row("h", "held_out", "autopilot", 0.75, budget_used=0.5, training_share=0.4),
        _row("h", "held_out", "rf", math.nan, note="ValueError: boom"),
    ]
    s = suite.summarize(rows, budget_s=60)
    assert s["dev_sets"] == 4 and s["heldout_sets"] == 1
    assert s["dev_mean_delta_vs_hgb"] == pytest.approx((0.02 - 0.01) / 2)
    assert s["dev_min_delta_vs_hgb"] == pytest.approx(-0.01)
    assert s["heldout_mean_delta_vs_hgb"] == pytest.approx(0.05)
    assert s["min_budget_used"] == pytest.approx(0.5)
    assert s["min_training_share"] == pytest.approx(0.4)  # rows without one do not count
    assert s["mnist1d_median_test"] == 0.99 and s["mnist1d_median_fresh_test"] == 0.98
    # per seed, against the run's own step 0 (seed 2 kept none on disk: not counted)
    assert s["mnist1d_median_gain_over_step0"] == pytest.approx((0.005 - 0.002) / 2)
    assert s["mnist1d_median_fresh_gain_over_step0"] == pytest.approx(0.004)
    assert s["search_fair_time_ratio_mnist1d"] == pytest.approx(0.25)
    assert s["search_fair_time_ratio_second"] == pytest.approx(2.0)  # a lower bound, censored
    line = suite.last_line(s)
    assert line.startswith("dev_sets=4 ") and "search_fair_time_ratio_second=2.0000" in line

    suite.write_table(rows, tmp_path, s, "# machine: test")
    with open(tmp_path / "suite.csv") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == len(rows) and read[-1]["note"] == "ValueError: boom"
    md = (tmp_path / "suite.md").read_text()
    assert md.startswith("# machine: test") and md.rstrip().endswith(line)
    assert (tmp_path / "suite.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_defaults_bench_compares_the_default_with_what_it_was_chosen_over():
    defaults = importlib.import_module("defaults")
    from orthotune.fit import baseline

    vec = defaults.alternatives(*baseline((30,), 2))
    assert set(vec) == {"default", "adam_3e-3", "no_l2", "mlp_256"}
    assert vec["default"] == baseline((30,), 2)
    assert vec["no_l2"][1].l2 == 0 and vec["no_l2"][1].lr == vec["default"][1].lr
    sig = defaults.alternatives(*baseline((1, 40), 10))  # 40 positions: the default never pools
    assert {b.pool for b in sig["pool"][0].conv} == {"max", "none"}
    # the default holds within 0.3 points of the best median, and not beyond
    assert defaults.holds({"default": [0.90, 0.95, 0.96], "other": [0.952, 0.953, 0.2]})
    assert not defaults.holds({"default": [0.90, 0.94, 0.96], "other": [0.95, 0.95, 0.95]})
    # the mean over sets of each alternative's median minus the default's; a set where the
    # default did not train counts for none
    gains = defaults.mean_gains(
        [
            {"default": [0.90, 0.92, 0.91], "adam": [0.95, 0.93, 0.94], "wide": [0.91]},
            {"default": [0.80, 0.80, 0.80], "adam": [0.78, 0.79, 0.77], "wide": []},
            {"default": [], "adam": [0.5]},
        ]
    )
    assert gains == pytest.approx({"adam": (0.03 - 0.02) / 2, "wide": 0.0})
    # a held-out set never chooses a default; an unknown name is said with the names
    with pytest.raises(SystemExit, match="a held-out set chooses nothing"):
        defaults.load("penguins", ROOT)
    with pytest.raises(SystemExit, match="no such set; named sets: mnist1d, digits"):
        defaults.load("nope", ROOT)


def test_impute_bench_plants_the_rate_and_fills_the_median_arm_from_train_rows_only():
    import torch

    impute = importlib.import_module("impute")
    ds = impute.planted("wine@0.3")
    assert (ds.source, ds.target, ds.plant_nan, ds.group) == (
        "sklearn:wine",
        "target",
        0.3,
        "development",
    )
    x = torch.tensor([[1.0, np.nan], [3.0, 4.0], [np.nan, 6.0], [100.0, np.nan]])
    filled = impute.median_filled(x, np.array([0, 1, 2]))  # row 3 (not train) takes no part
    assert filled.tolist() == [[1.0, 5.0], [3.0, 4.0], [2.0, 6.0], [100.0, 5.0]]


def test_encoding_bench_summary_of_known_medians():
    encoding = importlib.import_module("encoding")
    medians = {
        "a": {"hgb": 0.90, "standard": 0.80, "bins8": 0.88},  # bins win by 8 points
        "b": {"hgb": 0.70, "standard": 0.76, "bins8": 0.74},  # standardized win by 2
    }
    s = encoding.summarize(medians, "bins8")
    assert s["sets"] == 2 and s["binned_better"] == 1
    assert s["mean_binned_minus_standard"] == pytest.approx((0.08 - 0.02) / 2)
    assert s["mean_chosen_minus_hgb"] == pytest.approx((-0.02 + 0.06) / 2)
    assert "points_better" not in s  # not measured
    medians["a"]["points8"] = 0.91  # marked values win on a by 3 points over the bins
    medians["b"]["points8"] = 0.75  # and lose to the standardized inputs on b
    s = encoding.summarize(medians, "bins8", "points8")
    assert s["points_better"] == 1
    assert s["mean_points_minus_binned"] == pytest.approx((0.03 + 0.01) / 2)
    assert s["mean_chosen3_minus_hgb"] == pytest.approx((0.01 + 0.06) / 2)


def test_encoding_bench_quick_run_prints_its_figures_last():
    from tests.bench._run import run_quick

    fields = dict(pair.split("=") for pair in run_quick("encoding.py").split())
    assert fields["sets"] == "1" and fields["binned_better"] in ("0", "1")
    assert abs(float(fields["mean_chosen_minus_hgb"])) < 0.2


def test_the_paired_interval_against_a_hand_computation(tmp_path):
    rows = [
        _row("a", "development", "autopilot", 0.75, correct="1101"),
        _row("a", "development", "hgb", 0.50, correct="1001"),
        _row("a", "development", "autopilot", 1.0, correct="1111", seed=1),
        _row("a", "development", "hgb", 1.0, correct="1111", seed=1),
        _row("b", "development", "autopilot", 0.0, correct="0000"),
        _row("b", "development", "hgb", 1.0, correct="1111"),
        _row("c", "development", "hgb", 1.0, correct="11"),  # no autopilot row: no interval
    ]
    # set a: seed 0 d = (0, 1, 0, 0): mean 1/4, var 1/4 (n − 1), SE² 1/16; seed 1 d = 0
    # → mean 1/8, SE √(1/16) / 2 = 1/8, half 1.96 / 8
    mean, lo, hi = suite.paired_interval(rows, "a")
    assert mean == pytest.approx(0.125)
    assert (lo, hi) == (pytest.approx(0.125 - 0.245), pytest.approx(0.125 + 0.245))
    assert suite.paired_interval(rows, "b") == (-1.0, -1.0, -1.0)
    assert suite.paired_interval(rows, "c") is None
    s = suite.summarize(rows, budget_s=60)
    assert s["dev_sets_worse_than_hgb"] == 1 and s["dev_worst_upper_vs_hgb"] == -1.0
    suite.write_table(rows, tmp_path, s, "# machine: test")
    md = (tmp_path / "suite.md").read_text()
    assert "- b: -100.00 points [-100.00, -100.00] — worse beyond the noise" in md
    assert "- a: +12.50 points [-12.00, +37.00]\n" in md and "1101" not in md
    with open(tmp_path / "suite.csv") as handle:
        assert [r["correct"] for r in csv.DictReader(handle)][:2] == ["1101", "1001"]


def test_training_seconds_add_the_steps_the_refit_and_the_learning_curve():
    from orthotune._records import DecisionLog, Step

    log = DecisionLog(
        steps=[
            Step(index=0, problem="baseline", knob="", seconds=40.0),
            Step(index=1, problem="polish", knob="ensemble", seconds=200.0),
        ],
        refit_seconds=30.0,
        curve_seconds=20.0,
    )
    assert suite.training_seconds(log) == 290.0
