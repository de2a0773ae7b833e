"""The live progress (``cli/_live.py``) fed the objects the jobs hand it: one plain line per
finished step or trial when stderr is no terminal, the in-flight summary, nothing with --quiet."""

import re

from orthotune.autopilot import Step, VariantScore
from orthotune.cli._live import Live
from orthotune.fit import Candidate
from orthotune.models import ModelSpec
from orthotune.search import TrialRow
from orthotune.train import TrainConfig

SPEC = ModelSpec(input_shape=(4,), num_classes=2, hidden=(6,))


def _feed_autopilot(live: Live) -> list[str]:
    """A baseline step and a step that keeps nothing; the in-flight summaries in between."""
    infos = []
    with live:
        live.epoch(
            Candidate("baseline", SPEC, TrainConfig(epochs=30), label="mlp baseline"), 4, 0.3
        )
        infos.append(live._info())
        base = VariantScore(name="baseline", label="mlp baseline", errors={"dev": 0.2})
        live.step(Step(index=0, problem="baseline", knob="baseline", kept="baseline",
                       variants=[base]))  # fmt: skip
        for name, label in (("v1", "L2 λ=90"), ("v2", "dropout 0.2")):
            live.epoch(Candidate(name, SPEC, TrainConfig(epochs=10), label=label), 2, 0.25)
        infos.append(live._info())
        tried = [VariantScore(name="v1", label="L2 λ=90", errors={"dev": 0.25}),
                 VariantScore(name="v2", label="dropout 0.2", failed="NaN loss")]  # fmt: skip
        live.step(Step(index=1, problem="variance", knob="regularization", variants=tried))
    return infos


def test_one_plain_line_per_finished_step_with_the_clock_and_the_kept_dev_error(capsys):
    live = Live("autopilot", unit="step", budget_s=300)
    assert live.mode == "plain"  # pytest's stderr is no terminal
    infos = _feed_autopilot(live)
    assert infos == [
        "step 0: mlp baseline · epoch 5/30",
        "step 1: L2 λ=90, dropout 0.2 · epoch 3/10 · kept model's dev error 20.00 % (mlp baseline)",
    ]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"\[0:0\d / 5:00\] step 0 baseline \(0 s\): mlp baseline: dev 20\.00 % — kept mlp "
        r"baseline · kept model's dev error 20\.00 % \(mlp baseline\)",
        lines[0],
    )
    assert re.fullmatch(
        r"\[0:0\d / 5:00\] step 1 variance → regularization \(0 s\): L2 λ=90: dev 25\.00 % — "
        r"nothing kept · kept model's dev error 20\.00 % \(mlp baseline\)",
        lines[1],
    )


def test_quiet_writes_nothing_and_trials_track_the_best_feasible_dev_error(capsys):
    _feed_autopilot(Live("autopilot", unit="step", budget_s=300, quiet=True))
    assert capsys.readouterr().err == ""
    live = Live("tpe", unit="trial", budget_s=None)
    with live:
        for row in (
            TrialRow(number=0, state="complete", feasible=True, metrics={"dev_error": 0.3}),
            TrialRow(number=1, state="complete", feasible=False, metrics={"dev_error": 0.1}),
            TrialRow(number=2, state="pruned", metrics={"dev_error": 0.5}),
            TrialRow(number=3, state="fail", fail_reason="NaN loss"),
        ):
            live.trial(row)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "trial 0 dev error 30.00 %, train error — · best dev error 30.00 % (trial 0)",
        "trial 1 dev error 10.00 %, train error — (violates a constraint) · best dev error "
        "30.00 % (trial 0)",
        "trial 2 pruned at dev error 50.00 % · best dev error 30.00 % (trial 0)",
        "trial 3 failed: NaN loss · best dev error 30.00 % (trial 0)",
    ]
    assert all(re.match(r"\[0:0\d\] ", line) for line in lines)  # no budget: the clock alone


def test_a_resumed_search_starts_from_the_studys_best(capsys):
    with Live("tpe", unit="trial", budget_s=None) as live:
        live.trial(TrialRow(number=2, state="complete", feasible=True, earlier=True,
                            metrics={"dev_error": 0.175}))  # fmt: skip
        live.trial(TrialRow(number=3, state="complete", feasible=True, metrics={"dev_error": 0.2}))
    lines = [line.split("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
    assert lines[0].startswith("resumed: the study's best so far is trial 2, dev error 17.50 %")
    # was "best dev error 20.00 % (trial 3)" beside the study's 17.50 %
    assert lines[1].endswith("· best dev error 17.50 % (trial 2)")


def test_a_step_not_tried_is_one_line_with_its_reason(capsys):
    why = "bigger network not tried: its cheapest variant needs about 125 s, and 14 s are left"
    with Live("autopilot", unit="step", budget_s=300) as live:
        live.step(Step(index=6, problem="dev_error", knob="bigger_network", why=why))
    (line,) = capsys.readouterr().err.splitlines()
    assert line.split("] ", 1)[1] == f"step 6 dev error → bigger network: {why}"


def test_a_re_measured_figure_is_said_to_be_a_mean_of_seeds(capsys):
    """The polish's re-measure scores a configuration by its seeds' mean: the progress said
    'kept model's dev error 10.04 %' beside the chosen model's 10.25 % (one seed)."""
    live = Live("autopilot", unit="step", budget_s=300)
    with live:
        kept = VariantScore(name="v3", label="learning rate ×3", errors={"dev": 0.1004}, seeds=3)
        other = VariantScore(name="v4", label="2× wider", errors={"dev": 0.1121}, seeds=3)
        live.step(Step(index=8, problem="polish", knob="re-measure", kept="v3",
                       variants=[kept, other]))  # fmt: skip
    line = capsys.readouterr().err.strip()
    assert "learning rate ×3 (mean of 3 seeds): dev 10.04 %, 2× wider (mean of 3 seeds)" in line
    assert line.endswith("kept model's dev error 10.04 % (learning rate ×3 (mean of 3 seeds))")


def test_models_training_long_without_a_line_get_one_saying_what_is_in_flight(capsys, monkeypatch):
    # a new user's 327,346-row table: its baseline trained 118 s, its refit 128 s, unsaid
    import orthotune.cli._live as live_module

    now = [1000.0]
    monkeypatch.setattr(live_module.time, "monotonic", lambda: now[0])
    refit = Candidate("b", SPEC, TrainConfig(epochs=24), label="refit on train + dev: mlp")
    with Live("autopilot", unit="step", budget_s=300) as live:
        for at, epoch in ((10, 0), (31, 1), (40, 2), (62, 3)):
            now[0] = 1000.0 + at
            live.epoch(refit, epoch, None)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"[{at} / 5:00] still training: refit on train + dev: mlp · epoch {e}/24"
        for at, e in (("0:31", 2), ("1:02", 4))
    ]
    now[0] = 2000.0  # nothing in plain lines under --quiet, however long
    with Live("autopilot", unit="step", budget_s=300, quiet=True) as live:
        now[0] = 2100.0
        live.epoch(refit, 0, None)
    assert capsys.readouterr().err == ""


def test_a_large_file_is_said_before_it_is_read(capsys, tmp_path, monkeypatch):
    # a 57.7 MB table: 55 s of silence in data inspect, 79 s before tune's first line
    import orthotune.cli._common as common

    path = tmp_path / "big.csv"
    path.write_text("a,label\n" + "1,x\n" * 300)
    monkeypatch.setattr(common, "LARGE_FILE_BYTES", 1000)
    common.reading_note(str(path))
    size = path.stat().st_size / 2**20
    assert capsys.readouterr().err == f"orthotune: reading big.csv ({size:.1f} MB) …\n"
    for quiet_or_small in (
        lambda: common.reading_note(path, quiet=True),
        lambda: common.reading_note(tmp_path),  # a folder
        lambda: common.reading_note("builtin:digits"),
        lambda: common.reading_note(tmp_path / "missing.csv"),
    ):
        quiet_or_small()
    monkeypatch.setattr(common, "LARGE_FILE_BYTES", 10**9)
    common.reading_note(path)
    assert capsys.readouterr().err == ""


def test_work_without_hooks_gets_a_line_while_it_lasts_and_none_after(capsys, monkeypatch):
    # a new user's 1,414,593-row table: clean said nothing for 214 s, learning-curve for 138 s
    import threading

    import orthotune.cli._live as live_module
    from orthotune.cli._live import Working

    monkeypatch.setattr(live_module, "HEARTBEAT_S", 0.02)
    beats = threading.Event()
    with Working("clean: models judging each label of big.csv") as working:
        assert working.mode == "plain"
        beats.wait(0.3)  # the work: longer than several heartbeats
    after = capsys.readouterr().err.splitlines()
    assert len(after) >= 3
    assert all(line == "[0:00] still working: clean: models judging each label of big.csv"
               for line in after)  # fmt: skip
    beats.wait(0.1)  # the thread stopped with the work: nothing more
    assert capsys.readouterr().err == ""
    with Working("predict: scoring x.csv", quiet=True):
        beats.wait(0.1)
    monkeypatch.setattr(live_module, "HEARTBEAT_S", 60.0)
    with Working("predict: scoring x.csv"):  # ended before its first heartbeat: no line
        pass
    assert capsys.readouterr().err == ""


def test_learning_curve_says_it_is_still_working(capsys, monkeypatch, tmp_path):
    import orthotune.cli._live as live_module
    from orthotune.cli.learning_curve import learning_curve

    monkeypatch.setattr(live_module, "HEARTBEAT_S", 0.01)
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},{'pq'[i % 2]}\n" for i in range(600)))
    learning_curve(str(path), epochs=1, as_json=True)
    out = capsys.readouterr()
    assert "points" in out.out  # the JSON result, alone on stdout
    assert (
        "still working: learning-curve: models on nested fractions of t.csv's training set"
        in out.err
    )
