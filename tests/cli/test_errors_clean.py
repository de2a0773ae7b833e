"""``orthotune errors`` and ``orthotune clean`` as a user runs them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.analysis.conftest import blobs, predictions_frame


def test_errors_json_on_a_run_folder_saves_analysis(run_cli, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    predictions_frame().to_csv(run / "predictions.csv", index=False)
    done = run_cli("errors", run, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["schema_version"] == 1
    assert result["errors"]["classes"][0]["label"] == "b"
    assert result["mismatch"]["worst_source"] == "s2"
    assert result["imbalance"]["minority_classes"] == ["c"]
    assert result["imbalance"]["counted"] == "train"  # data inspect counts every row: said
    saved = json.loads((run / "analysis" / "errors.json").read_text())
    assert saved["errors"] == 12
    assert saved["classes"][0]["ceiling_error"] == pytest.approx(0.04)
    assert json.loads((run / "analysis" / "mismatch.json").read_text())["worst_source"] == "s2"
    assert (run / "analysis" / "imbalance.json").is_file()


@pytest.mark.slow
def test_errors_renders_tables(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    predictions_frame().to_csv(path, index=False)
    done = run_cli("errors", path)
    assert done.returncode == 0, done.stderr
    assert "ceiling" in done.stdout and "top confusions" in done.stdout
    # the imbalance remedies as a user types them, not the kinds' names
    said = " ".join(done.stdout.split())
    assert "remedies: weigh the classes equally (orthotune train --class-balance);" in said
    assert ":1 among the training rows, minorities c;" in said
    assert "class_weights" not in said and "augment_minority" not in said


def test_errors_tags_with_unknown_ids_exit_2(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    predictions_frame().to_csv(path, index=False)
    tags = tmp_path / "tags.csv"
    pd.DataFrame({"id": ["e1", "ghost7", "ghost8"], "tags": ["blurry"] * 3}).to_csv(
        tags, index=False
    )
    done = run_cli("errors", path, "--tags", tags)
    assert done.returncode == 2
    assert "ghost7, ghost8" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_errors_tags_on_no_mistake_say_so(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    predictions_frame().to_csv(path, index=False)
    tags = tmp_path / "tags.csv"  # e0 and e1: dev rows the model got right
    pd.DataFrame({"id": ["e0", "e1"], "tags": ["blurry"] * 2}).to_csv(tags, index=False)
    done = run_cli("errors", path, "--tags", tags)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())  # was silent: no table, no word
    assert "the --tags file tags none of the 12 misclassified dev example(s): tag those" in said


def test_errors_reads_a_spreadsheets_tags_file(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    predictions_frame().to_csv(path, index=False)
    tags = tmp_path / "tags.csv"  # Excel in a decimal-comma locale: ";" and its own header case
    tags.write_text("ID;Blurry;Dark\ne30;1;0\ne31;1;1\ne32;0;1\n")
    done = run_cli("errors", path, "--tags", tags, "--json")  # was "has no id column"
    assert done.returncode == 0, done.stderr
    counts = {t["tag"]: t["count"] for t in json.loads(done.stdout)["errors"]["tags"]}
    assert counts == {"Blurry": 2, "Dark": 2}


def test_errors_reads_a_split_named_validation_as_dev(run_cli, tmp_path):
    path = tmp_path / "p.csv"
    frame = predictions_frame()
    frame["split"] = frame["split"].replace({"dev": "Validation", "train": "training"})
    frame.to_csv(path, index=False)
    for asked in ([], ["--split", "validation"]):  # were: no dev rows; "not in the predictions"
        done = run_cli("errors", path, *asked, "--json")
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)["errors"]
        assert (result["split"], result["errors"], result["n"]) == ("dev", 12, 100)


def _noisy_csv(folder):
    data, _, _ = blobs(n=120, flip=0.1, seed=4)
    frame = pd.DataFrame(data.x.numpy(), columns=list(data.feature_names))
    frame["label"] = [data.class_names[int(k)] for k in data.y]
    folder.mkdir(exist_ok=True)
    path = folder / "noisy.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--apply", "remove"], "needs --out"),
        (["--apply", "relabel", "--out", "{dir}"], "is the directory of the input"),
        (["--apply", "remove", "--out", "{file}"], "is the input file itself"),
        (["--method", "magic"], "--method 'magic' is not accepted"),
        # clean draws no dev set: the flag was checked, then changed nothing
        (["--dev-source", "web"], "No such option: --dev-source"),
    ],
)
def test_clean_bad_input_exit_2(run_cli, tmp_path, extra, message):
    path = _noisy_csv(tmp_path / "in")
    args = [a.format(dir=path.parent, file=path) for a in extra]
    done = run_cli("clean", path, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_clean_remove_end_to_end(run_cli, tmp_path):
    path = _noisy_csv(tmp_path / "in")
    before = path.read_bytes()
    out = tmp_path / "out"
    done = run_cli(
        "clean", path, "--method", "cluster", "--apply", "remove", "--out", out, "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["apply"] == "remove"
    assert result["removed"] == len(result["issues"]["suspects"]) > 0
    assert path.read_bytes() == before
    assert len(pd.read_csv(out / "cleaned.csv")) == 120 - result["removed"]
    audit = pd.read_csv(out / "audit.csv", dtype=str)
    assert audit.columns[0] == "id"  # the audit log names every suspect by its id
    assert sorted(audit["id"]) == sorted(s["id"] for s in result["issues"]["suspects"])
    # on the terminal: the copy's dev error is no judge of the cleaning (a sweep's fell 8.2 →
    # 4.8 % while its test error on trusted labels rose 3.6 → 11.5 %)
    shown = run_cli("clean", path, "--method", "cluster", "--apply", "remove", "--out", out / "t")
    assert shown.returncode == 0, shown.stderr
    said = " ".join(shown.stdout.split())
    assert "judge the cleaning on rows whose labels you trust (--split-col test rows" in said
    # the rows not judged are said (a new user's 65,470 test rows were left out unsaid)
    frame = pd.read_csv(path)
    frame["split"] = ["train", "train", "dev", "test"] * 30
    frame.to_csv(tmp_path / "split.csv", index=False)
    args = ("--method", "cluster", "--split-col", "split", "--out", out / "s")
    shown = run_cli("clean", tmp_path / "split.csv", *args, "--json")
    assert shown.returncode == 0, shown.stderr
    flagged = len(json.loads(shown.stdout)["issues"]["suspects"])
    shown = run_cli("clean", tmp_path / "split.csv", *args[:-1], out / "u")
    assert (
        f"{flagged} suspect label(s) in 90 examples judged ({100 * flagged / 90:.1f} %; 120 in "
        "all: the 30 not judged are test rows (kept as given: the test set judges the model "
        "once) or a class's only example)"
    ) in " ".join(shown.stdout.split())


@pytest.mark.slow
def test_errors_on_a_fresh_train_run_predicts_its_own_data(run_cli, tmp_path):
    path = _noisy_csv(tmp_path / "in")
    run = tmp_path / "run"
    trained = run_cli("train", path, "--out", run, "--epochs", "3", "--json")
    assert trained.returncode == 0, trained.stderr
    done = run_cli("errors", run, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["errors"]["split"] == "dev"
    assert result["errors"]["n"] > 0
    assert (run / "analysis" / "predictions.csv").is_file()
    assert (run / "analysis" / "errors.json").is_file()


def test_clean_cli_default_is_the_measured_best_method():
    import inspect

    from orthotune.analysis import DEFAULT_METHOD, find_issues
    from orthotune.cli.clean import clean

    assert DEFAULT_METHOD == "iterative"  # bench/clean_default.py: the highest worst cell
    assert inspect.signature(clean).parameters["method"].default == DEFAULT_METHOD
    assert inspect.signature(find_issues).parameters["method"].default == DEFAULT_METHOD
