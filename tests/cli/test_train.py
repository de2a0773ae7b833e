import json
import re

import pandas as pd
import pytest

# one thread per test process: these tiny models are fastest that way on a shared machine
ENV = {"OMP_NUM_THREADS": "1"}


@pytest.mark.slow
def test_train_then_predict_builtin_mnist1d_end_to_end(run_cli, tmp_path):
    run = tmp_path / "run"
    done = run_cli(
        "train",
        "builtin:mnist1d",
        "--arch",
        "cnn1d",
        "--batch-norm",
        "--epochs",
        "2",
        "--optimizer",
        "adam",
        "--lr",
        "0.003",
        "--out",
        run,
        "--json",
        "--seed",
        "1",
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["schema_version"] == 1 and summary["model"] == "cnn1d"
    assert summary["sizes"] == {"train": 3000, "train-dev": 0, "dev": 1000, "test": 1000}
    assert summary["stop_reason"] == "completed" and summary["epochs_run"] == 2
    # stderr is no terminal: one progress line per epoch, stdout the JSON alone
    epochs = [line for line in done.stderr.splitlines() if re.match(r"\[\d+:\d\d\] epoch ", line)]
    assert [line.split()[2] for line in epochs] == ["1/2:", "2/2:"]
    assert summary["human_error"] == pytest.approx(0.042)
    assert 0 < summary["errors"]["test"] < 0.9
    names = sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file())
    assert names == [
        "calibration.json",
        "diagnosis.json",
        "history/cnn1d.json",
        "models/best",
        "models/cnn1d/manifest.json",
        "models/cnn1d/weights.safetensors",
        "report.html",
        "run.json",
        "split.json",
        "test_scores.json",
    ]
    # the report of this real run: its sections are there, rendered from the run folder alone
    html = (run / "report.html").read_text()
    assert summary["report"] == str(run / "report.html")
    for section in (
        'id="summary"',
        'id="diagnosis"',
        'id="learning-curves"',
        'id="calibration"',
        'id="confusion"',  # test_scores.json, as tune writes it
    ):
        assert section in html, section
    record = json.loads((run / "run.json").read_text())
    assert record["command"] == "train" and record["summary"]["errors"] == summary["errors"]

    # temperature scaling on dev: the record, the summary and the checkpoint agree
    calibration = json.loads((run / "calibration.json").read_text())
    assert calibration["n"] == 1000 and calibration["ece_after"] is not None
    manifest = json.loads((run / "models" / "cnn1d" / "manifest.json").read_text())
    assert summary["temperature"] == manifest["temperature"] == calibration["temperature"]
    assert summary["ece_before"] == calibration["ece_before"]

    out = tmp_path / "pred.csv"
    done = run_cli("predict", run, "builtin:mnist1d", "--out", out, "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    predicted = json.loads(done.stdout)
    assert predicted["rows"] == 5000
    assert predicted["temperature"] == summary["temperature"]
    assert predicted["calibrated"] == (summary["temperature"] != 1.0)
    said = "calibrated by temperature scaling" if predicted["calibrated"] else "plain softmax"
    assert said in done.stderr
    frame = pd.read_csv(out, dtype={"y_true": str, "y_pred": str})
    assert list(frame.columns[:3]) == ["id", "y_pred", "confidence"]
    test = frame[frame["split"] == "test"]
    assert len(test) == 1000
    assert (test["y_true"] != test["y_pred"]).mean() == pytest.approx(summary["errors"]["test"])

    # the same RUN_DIR again is refused, and nothing there is touched
    before = (run / "run.json").read_bytes()
    again = run_cli("train", "builtin:mnist1d", "--epochs", "1", "--out", run, env=ENV)
    assert again.returncode == 2
    assert "already holds a run" in again.stderr and "Traceback" not in again.stderr
    assert (run / "run.json").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--optimizer", "adamx"], "--optimizer 'adamx' is not accepted: Input should be 'sgd'"),
        (["--dropout", "1.5"], "--dropout 1.5 is not accepted: dropout rate must be in [0, 1)"),
        (
            ["--beta", "1"],
            "--beta 1.0 is not accepted: Input should be less than 1 (accepted range [0, 1))",
        ),
        (["--precision", "half"], "--precision 'half' is not a precision; accepted: auto, fp32"),
        (["--ensemble", "0"], "--ensemble 0 is not accepted: give the number of models to average"),
        # settings that changed nothing, silently (a constant rate under --decay 0.5)
        (["--decay", "0.5"], "--decay 0.5 has no effect with schedule 'constant': accepted "),
        (["--schedule", "cosine", "--decay", "0.3"], "--decay 0.3 has no effect with schedule"),
        (["--optimizer", "sgd", "--beta1", "0.5"], "--beta1 0.5 has no effect with optimizer"),
        (["--hidden", "", "--batch-norm"], "--batch-norm has no effect: --hidden '' gives a"),
        (  # was killed for memory after 20 GB, its run folder left behind
            ["--ensemble", "100000"],
            "--ensemble 100000: 100,000 models of 12,300 weights each are more than the",
        ),
        (["--input-bins", "1"], "--input-bins 1 is not accepted: give 0 (no bins) or the number"),
        (  # was "internal error: ValueError: Expected more than 1 value per channel"
            ["--batch-size", "1", "--batch-norm"],
            "batch size 1 with batch normalization: a batch of one example has no batch",
        ),
        (
            ["--input-bins", "8", "--init-from", "elsewhere"],
            "--input-bins 8 with --init-from elsewhere: the checkpoint fixes the model's inputs",
        ),
    ],
)
def test_bad_flags_exit_2_with_one_line(run_cli, tmp_path, args, message):
    done = run_cli(
        "train",
        "builtin:synthetic?n=100",
        "--epochs",
        "1",
        *args,
        "--out",
        tmp_path / "run",
        env=ENV,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "run").exists()


def test_input_bins_on_signals_is_refused_in_one_line(run_cli, tmp_path):
    done = run_cli("train", "builtin:mnist1d", "--input-bins", "8", "--epochs", "1",
                   "--out", tmp_path / "run", env=ENV)  # fmt: skip
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "bins apply to feature vectors only; drop --input-bins" in done.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_train_with_input_bins_saves_them_and_predict_uses_them(run_cli, tmp_path):
    run = tmp_path / "run"
    done = run_cli("train", "builtin:breast-cancer", "--input-bins", "8", "--epochs", "3",
                   "--out", run, "--json", env=ENV)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    width = summary["spec"]["input_shape"][0]
    manifest = json.loads((run / "models" / "mlp" / "manifest.json").read_text())
    bins = manifest["normalization"]["bins"]
    assert len(bins["edges"]) == 30 and width == 30 + len(bins["mean"]) > 30
    out = tmp_path / "pred.csv"
    pred = run_cli("predict", run, "builtin:breast-cancer", "--out", out, env=ENV)
    assert pred.returncode == 0, pred.stderr
    rows = pd.read_csv(out)
    dev = rows[rows["split"] == "dev"]
    dev_error = float((dev["y_pred"].astype(str) != dev["y_true"].astype(str)).mean())
    assert dev_error == pytest.approx(summary["errors"]["dev"], abs=1e-6)


@pytest.mark.slow
def test_config_file_with_flags_on_top(run_cli, tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "model:\n  hidden: [8]\n  dropout: 0.1\ntrain:\n  epochs: 2\n"
        "  optimizer: momentum\n  lr: 0.05\n"
    )
    done = run_cli(
        "train",
        "builtin:synthetic?n=200",
        "--config",
        config,
        "--lr",
        "0.02",
        "--batch-size",
        "m",
        "--out",
        tmp_path / "run",
        "--json",
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["spec"]["hidden"] == [8] and summary["spec"]["dropout"] == 0.1
    assert summary["config"]["optimizer"] == "momentum" and summary["config"]["lr"] == 0.02
    assert summary["config"]["batch_size"] is None and summary["epochs_run"] == 2
    assert summary["config"]["precision"] == "fp32"  # auto: an MLP keeps float32


@pytest.mark.slow
def test_precision_from_the_config_file_or_the_flag(run_cli, tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text("train:\n  epochs: 1\n  precision: bf16\n")
    runs = {}
    for name, extra in (("file", []), ("flag", ["--precision", "fp32"])):
        done = run_cli(
            "train", "builtin:synthetic?n=200", "--config", config, *extra,
            "--out", tmp_path / name, "--json", env=ENV,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        runs[name] = json.loads(done.stdout)["config"]["precision"]
    assert runs == {"file": "bf16", "flag": "fp32"}
    # the documented default, written in the file, was refused ("Input should be 'fp32' or
    # 'bf16'"), with and without a flag
    config.write_text("train:\n  epochs: 1\n  precision: auto\n")
    for name, extra in (("auto", []), ("auto-flag", ["--precision", "fp32"])):
        done = run_cli(
            "train", "builtin:synthetic?n=200", "--config", config, *extra,
            "--out", tmp_path / name, "--json", env=ENV,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["config"]["precision"] == "fp32"  # an MLP: float32


def test_the_summary_counts_the_best_dev_epoch_from_1_as_the_progress_lines_do(run_cli, tmp_path):
    done = run_cli("train", "builtin:digits", "--epochs", "3", "--out", tmp_path / "r", env=ENV)
    assert done.returncode == 0, done.stderr
    last = [line for line in done.stderr.splitlines() if " epoch 3/3: " in line][-1]
    best = re.search(r"best dev error [\d.]+ % \(epoch (\d)\)", last).group(1)
    assert f"best dev epoch {best})" in " ".join(done.stdout.split())


@pytest.mark.slow
def test_a_model_that_reads_chosen_features_trains_and_predicts_on_full_width_rows(
    run_cli, tmp_path
):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 80))
    frame = pd.DataFrame(x, columns=[f"c{j}" for j in range(80)])
    frame["label"] = np.where(x[:, 3] - x[:, 50] > 0, "up", "down")
    frame.to_csv(tmp_path / "wide.csv", index=False)
    config = tmp_path / "cfg.yaml"
    config.write_text(
        "model:\n  hidden: [16]\n  select: 4\ntrain:\n  epochs: 40\n  optimizer: adam\n  lr: 0.01\n"
    )
    run = tmp_path / "run"
    args = ("train", tmp_path / "wide.csv", "--target", "label", "--config", config)
    done = run_cli(*args, "--out", run, "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["spec"]["select"] == 4 and summary["errors"]["dev"] < 0.1
    # new rows: columns in another order, no label; the model reads its 4 columns by name
    frame.drop(columns="label").iloc[:, ::-1].to_csv(tmp_path / "new.csv", index=False)
    pred = run_cli("predict", run, tmp_path / "new.csv", "--out", tmp_path / "p.csv", env=ENV)
    assert pred.returncode == 0, pred.stderr
    got = pd.read_csv(tmp_path / "p.csv")
    assert (got["y_pred"] == frame["label"]).mean() > 0.9
    # more features than the data has: one line, exit 2
    config.write_text("model:\n  select: 80\n")
    bad = run_cli(*args, "--out", tmp_path / "bad", env=ENV)
    assert bad.returncode == 2
    assert re.search(r"select=80 needs an mlp on vectors of more than 80 features", bad.stderr)
    assert len(bad.stderr.strip().splitlines()) == 1


def test_with_weights_the_table_says_its_loss_is_weighted_and_its_errors_are_not(run_cli, tmp_path):
    """The loss column was the weighted log loss beside unweighted errors, unlabelled."""
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    label = np.where(x[:, 0] + rng.normal(scale=0.8, size=300) > 0, "hi", "lo")
    w = rng.choice([0.5, 1.0, 3.0], size=300)
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "w": w, "label": label}).to_csv(
        data, index=False
    )
    done = run_cli("train", data, "--weight", "w", "--epochs", "3", "--out", tmp_path / "r",
                   "--json", env=ENV)  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["loss_weighted"] is True
    recorded = json.loads((tmp_path / "r" / "run.json").read_text())["summary"]
    assert recorded["report"] == summary["report"] and summary["report"]  # was null in run.json
    plain = run_cli("train", data, "--epochs", "1", "--out", tmp_path / "p", env=ENV)
    assert "weighted loss" not in plain.stdout and " loss " in " ".join(plain.stdout.split())
    shown = run_cli("train", data, "--weight", "w", "--epochs", "1", "--out", tmp_path / "s",
                    env=ENV)  # fmt: skip
    text = " ".join(shown.stdout.split())
    assert "weighted loss" in text
    assert "the loss weighs each example by --weight; error and accuracy count each once" in text
