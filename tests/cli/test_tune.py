import json
import re

import numpy as np
import pytest

DATA = "builtin:synthetic?n=600&classes=3&features=6&noise=0.05&seed=7"


@pytest.mark.slow
def test_tune_autopilot_leaves_a_complete_run_folder(run_cli, tmp_path):
    out = tmp_path / "run"
    res = run_cli(
        "tune", DATA, "--budget", "25s", "--out", out, "--json", env={"OMP_NUM_THREADS": "1"}
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["strategy"] == "autopilot"
    assert json.loads((out / "run.json").read_text())["config"]["precision"] == "fp32"
    for name in (
        "run.json",
        "split.json",
        "study.db",
        "diagnosis.json",
        "decisions.json",
        "calibration.json",
        "report.html",
    ):
        assert (out / name).is_file(), name
    # small data: the temperature is fitted on the fold models' out-of-fold logits
    assert "out-of-fold logits" in summary["calibration"]
    ids = json.loads((out / "split.json").read_text())["ids"]
    pooled = len(ids["train"]) + len(ids["dev"])
    assert json.loads((out / "calibration.json").read_text())["n"] == pooled
    # …which are the pooled train + dev rows, not a dev set of that size
    assert f" {pooled} dev examples" not in summary["calibration"]
    assert re.search(rf"(fitted on|all) {pooled} train \+ dev examples", summary["calibration"])
    chosen = summary["chosen"]
    assert (out / "models" / "best").read_text().strip() == chosen
    manifest = json.loads((out / "models" / chosen / "manifest.json").read_text())
    assert manifest["data"] == DATA and manifest["data_shape"] == [6]  # found again by errors
    steps = summary["decisions"]["steps"]
    assert steps[0]["problem"] == "baseline"
    assert summary["decisions"]["stop_reason"] in ("budget_spent", "no_knob_helps", "goal_reached")
    assert 0.0 <= summary["test_metrics"]["error"] <= 1.0
    # 600 examples: decisions rest on 5-fold cross-validation, said in the log and the report
    assert summary["decisions"]["validation"].startswith("5-fold cross-validation")
    assert "Errors estimated by 5-fold cross-validation" in (out / "report.html").read_text()
    # stderr is no terminal here: one plain line per finished step, each with the clock
    lines = [
        line for line in res.stderr.splitlines() if re.match(r"\[\d+:\d\d / 0:25\] step ", line)
    ]
    assert [int(line.split()[4]) for line in lines] == [s["index"] for s in steps]
    # every incumbent (the baseline and each kept variant) keeps its checkpoint (no --keep)
    kept = {s["kept"] for s in steps if s["kept"]}
    assert chosen in kept and sorted(p.name for p in (out / "models").iterdir()) == sorted(
        {"best", *kept}
    )
    # every model trained is a trial of the study
    import optuna

    study = optuna.load_study(study_name="autopilot", storage=f"sqlite:///{out / 'study.db'}")
    assert len(study.trials) == summary["models_trained"]
    # each trial names its step; every step of the loop with variants trained models (a polish
    # ensemble may reuse the seeds its re-measure trained, and then has no trial of its own; a
    # step whose variants would not finish in the time left says so and trains none — on a
    # loaded CI box the baseline took 13 s of the 25)
    on_trials = {t.user_attrs["step"] for t in study.trials}
    assert on_trials <= {s["index"] for s in steps}
    loop = [s for s in steps if s["problem"] != "polish"]
    assert {s["index"] for s in loop if s["variants"]} <= on_trials
    assert all("not tried" in s["why"] for s in loop if not s["variants"])
    # the same --out is refused, nothing overwritten
    again = run_cli("tune", DATA, "--budget", "5s", "--out", out)
    assert again.returncode == 2 and "already holds a run" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--strategy", "magic"], "--strategy 'magic' is unknown; accepted: autopilot"),
        (["--keep", "0"], "--keep 0: accepted is an integer ≥ 1"),
        (["--budget", "5"], "5"),
        (["--human-error", "4.2"], "write 4.2%"),
        (["--executor", "gpu"], "--executor 'gpu' is unknown"),
        (["--precision", "fp16"], "--precision 'fp16' is not a precision; accepted: auto"),
        (["--strategy", "tpe", "--precision", "half"], "--precision 'half' is not a precision"),
        (["--constraint", "latency_ms<100"], "--constraint 'latency_ms<100': --metric, --con"),
        (["--metric", "train-error"], "--metric 'train-error': --metric, --constraint and --sp"),
        (["--strategy", "tpe", "--refit"], "--refit/--no-refit is the autopilot's (it retrains"),
        (["--strategy", "tpe", "--no-refit"], "but --strategy is tpe: use --strategy autopilot"),
    ],
)
def test_tune_bad_input_is_one_line_exit_2(run_cli, tmp_path, args, message):
    res = run_cli("tune", DATA, "--out", tmp_path / "r", *args)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
    assert res.stderr.strip().count("\n") == 0
    assert not (tmp_path / "r").exists()


def test_a_model_no_better_than_the_most_frequent_class_is_told_so(run_cli, tmp_path):
    # labels that the inputs do not predict: 80 % one class, the rest the other
    rng = np.random.default_rng(0)
    rows = [
        f"{a:.3f},{b:.3f},{'pq'[int(rng.random() < 0.2)]}" for a, b in rng.normal(size=(300, 2))
    ]
    path = tmp_path / "noise.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "run"
    res = run_cli("tune", path, "--trials", "2", "--out", out, env={"OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr
    floor = json.loads((out / "decisions.json").read_text())["floor"]
    labels = [r.rsplit(",", 1)[1] for r in rows]
    ids = json.loads((out / "split.json").read_text())["ids"]
    pooled = [labels[int(i)] for i in ids["train"] + ids["dev"]]  # k-fold: train + dev pooled
    assert floor["label"] == "p" and floor["dev_error"] == pooled.count("q") / len(pooled)
    # off a terminal, tables are laid out for 140 columns: at rich's 80, a new user's `tune …
    # > out.txt` had its decision table's intervals cut mid-number ("(-2.94…-0.7… │")
    assert "Decision log" in res.stdout and not re.search(r"…\s*│", res.stdout), res.stdout
    assert 80 < max(map(len, res.stdout.splitlines())) <= 140  # its sentences too
    text = " ".join(res.stdout.split())  # the terminal wraps lines
    assert "floor: always predicting 'p' (the most frequent class) gives" in text
    assert re.search(  # each figure named: "no better than the floor 17.42 %" read as the floor's
        r"the chosen model's dev error, [\d.]+ %, is no lower than the floor's "
        rf"{100 * floor['dev_error']:.2f} %",
        text,
    )
    # the chosen model named by its folder and the label the step lines used ("v9" alone)
    log = json.loads((out / "decisions.json").read_text())
    label = [v["label"] for s in log["steps"] for v in s["variants"] if v["name"] == log["chosen"]]
    assert label[-1] != log["chosen"] and f"chosen model {log['chosen']} ({label[-1]}):" in text
    # said under --json too, and on stderr: it was the terminal summary's line only
    said = "is no lower than the floor's, always predicting 'p'"
    assert said in " ".join(res.stderr.split())
    res = run_cli("tune", path, "--trials", "2", "--out", tmp_path / "j", "--json",
                  env={"OMP_NUM_THREADS": "1"})  # fmt: skip
    assert any(said in note for note in json.loads(res.stdout)["notes"])
    html = (out / "report.html").read_text()
    assert re.search(r"always predicting \S{1,6}p\S{1,6} \(the most frequent class\) gives", html)
    # the note in run.json and the report too (stderr and --json only: the report, which a
    # user reads later, never said the model was no better than the floor)
    kept = json.loads((out / "run.json").read_text())["summary"]["notes"]
    assert any(said in note for note in kept)
    assert "is no lower than the floor&#39;s, always predicting" in html
    assert f"<dd>{log['chosen']} ({label[-1]})</dd>" in html  # the step's words, not "v1"
    assert labels.count("p") > 200


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        (["tune"], "tune chooses every model on dev"),
        (["tune", "--strategy", "tpe"], "tune chooses every model on dev"),
        (["learning-curve"], "a learning curve measures the dev error"),
    ],
)
def test_a_split_column_without_dev_rows_is_one_line_for_what_needs_dev(
    run_cli, tmp_path, command, needs
):
    # a Kaggle-style file: rows marked train or test, none dev (tune once stopped with
    # "internal error: TypeError"; learning-curve with an AttributeError)
    rows = "".join(
        f"{i % 5},{(i * 7) % 3},{'pq'[i % 2]},{'test' if i % 5 == 0 else 'train'}\n"
        for i in range(300)
    )
    data = tmp_path / "kaggle.csv"
    data.write_text("a,b,label,part\n" + rows)
    res = run_cli(*command, data, "--split-col", "part", "--out", tmp_path / "r")
    assert res.returncode == 2, res.stderr
    assert (
        f"kaggle.csv: the split has no dev examples (only train, test), and {needs}: mark some "
        "rows 'dev', or leave their split empty" in res.stderr
    )
    assert res.stderr.strip().count("\n") == 0 and not (tmp_path / "r").exists()


def test_a_split_column_without_test_rows_runs_and_says_no_test_error_will_judge(run_cli, tmp_path):
    rows = "".join(
        f"{i % 5},{(i * 7) % 3},{'pq'[i % 2]},{'dev' if i % 5 == 0 else 'train'}\n"
        for i in range(300)
    )
    data = tmp_path / "no_test.csv"
    data.write_text("a,b,label,part\n" + rows)
    res = run_cli("tune", data, "--split-col", "part", "--trials", "1", "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr
    assert "the split has no test examples: the chosen model's test error will not" in res.stderr


def test_a_search_that_keeps_no_model_exits_2_and_a_looser_constraint_resumes_it(run_cli, tmp_path):
    small = "builtin:synthetic?n=200&classes=2&features=4&seed=3"
    space = tmp_path / "space.yaml"
    space.write_text("epochs: {type: int, low: 1, high: 2}\nwidth: {type: int, low: 4, high: 8}\n")
    out = tmp_path / "run"
    args = ("tune", small, "--strategy", "random", "--space", space, "--out", out, "--quiet")
    res = run_cli(*args, "--trials", "2", "--constraint", "params<5")
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines()[-1] == (
        "orthotune: error: no model chosen: no completed trial meets --constraint params<5 (the "
        "trials table shows what each reached); fix: loosen the constraint and resume the trials "
        f"with --study random --out {out}"
    )
    assert "Traceback" not in res.stderr and (out / "study.db").is_file()  # the trials stay
    res = run_cli(
        *args, "--trials", "1", "--constraint", "params<100000", "--study", "random", "--json"
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["no_model"] == "" and summary["best_trial"] in (0, 1)  # an earlier trial
    record = json.loads((out / "run.json").read_text())
    assert "params<5" in record["argv"] and record["config"]["constraints"] == ["params<5"]
    [resumed] = record["resumes"]  # the second run, with what it was asked
    assert "params<100000" in resumed["argv"] and resumed["config"]["trials"] == 1
    assert resumed["config"]["constraints"] == ["params<100000"]
