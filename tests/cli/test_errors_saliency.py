"""``orthotune errors RUN_DIR --saliency [--mask FILE]`` on real runs (images and 1-D signals)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

ENV = {"OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory, cli):
    run = tmp_path_factory.mktemp("saliency") / "digits"
    done = cli("train", "builtin:digits", "--arch", "cnn2d", "--epochs", "2", "--out", run, env=ENV)
    assert done.returncode == 0, done.stderr
    return run


@pytest.mark.slow
def test_saliency_with_a_mask_on_images_end_to_end(digits_run, tmp_path, run_cli):
    mask = np.zeros((8, 8))
    mask[1:7, 2:6] = 1  # the object: the middle of the 8×8 digit (1×8×8 given as 8×8)
    np.savez(tmp_path / "mask.npz", mask=mask)
    done = run_cli(
        "errors", digits_run, "--saliency", "--mask", tmp_path / "mask.npz", "--json", env=ENV
    )
    assert done.returncode == 0, done.stderr
    sal = json.loads(done.stdout)["saliency"]
    assert sal["method"] == "integrated_gradients" and sal["input_shape"] == [1, 8, 8]
    assert sal["split"] == "dev" and sal["misclassified"] > 0
    assert 0 < len(sal["examples"]) <= 12
    first = sal["examples"][0]
    assert len(first["values"]) == len(first["attribution"]) == 64
    assert first["true_label"] != first["predicted_label"]
    assert 0.0 <= first["outside_share"] <= 1.0 and 0.0 <= sal["mean_outside_share"] <= 1.0
    assert set(sal["deletion"]["area"]) == {"integrated_gradients", "input_x_gradient"}
    # the record, the drawing and the report's section
    saved = json.loads((digits_run / "analysis" / "saliency.json").read_text())
    assert saved["examples"] == sal["examples"]
    assert (digits_run / "analysis" / "saliency.svg").read_text().lstrip().startswith("<?xml")
    html = (digits_run / "report.html").read_text()
    assert 'id="saliency"' in html and "outside the object" in html
    assert 'id="calibration"' in html


def _in_process(capsys, *args):
    """``orthotune ARGS`` in this process (no start-up cost): (exit code, stderr)."""
    from orthotune.cli._main import main

    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    return stop.value.code, capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (np.ones((8, 7)), r"has shape \(8, 7\), not \(1, 8, 8\)"),
        ("missing", r"mask.npz does not exist"),
        ("other", r"holds other but no 'mask'"),
    ],
)
def test_a_bad_mask_is_one_line_exit_2_and_saves_nothing(
    digits_run, tmp_path, capsys, mask, message
):
    path = tmp_path / "mask.npz"
    if isinstance(mask, np.ndarray):
        np.savez(path, mask=mask)
    elif mask == "other":
        np.savez(path, other=np.ones((8, 8)))
    before = sorted(p.name for p in digits_run.rglob("*"))
    code, err = _in_process(capsys, "errors", digits_run, "--mask", path)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert re.search(message, lines[0]), lines[0]
    assert sorted(p.name for p in digits_run.rglob("*")) == before


@pytest.mark.slow
def test_saliency_of_1d_signals(tmp_path, run_cli):
    run = tmp_path / "mnist1d"
    done = run_cli(
        "train", "builtin:mnist1d", "--arch", "cnn1d", "--batch-norm", "--epochs", "1",
        "--out", run, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_cli("errors", run, "--saliency", env=ENV)
    assert done.returncode == 0, done.stderr
    assert "where the model looks (integrated_gradients)" in done.stdout
    sal = json.loads((run / "analysis" / "saliency.json").read_text())
    assert sal["input_shape"] == [1, 40] and sal["mask"] is None
    assert len(sal["examples"][0]["attribution"]) == 40
    assert 'id="saliency"' in (run / "report.html").read_text()


@pytest.mark.slow
def test_saliency_of_a_table_with_gaps_draws_them_as_missing(tmp_path, run_cli):
    """A table's gaps stay NaN in the inputs as loaded: the drawing failed on them
    ("Axis limits cannot be NaN or Inf") and the record now says None for each. Run from
    another folder than the training's, whose DATA was relative ("file does not exist")."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    x[::3, 0] = np.nan  # a gap in every third row
    label = np.where(np.nan_to_num(x[:, 1]) + rng.normal(0, 1, 300) > 0, "p", "q")
    rows = "".join(
        ",".join("" if np.isnan(v) else f"{v:.4f}" for v in r) + f",{c}\n"
        for r, c in zip(x, label, strict=True)
    )
    table = tmp_path / "gaps.csv"
    table.write_text("a,b,c,d,label\n" + rows)
    run = tmp_path / "run"
    done = run_cli("train", "gaps.csv", "--epochs", "2", "--out", run, cwd=tmp_path, env=ENV)
    assert done.returncode == 0, done.stderr
    (tmp_path / "elsewhere").mkdir()  # DATA was relative to tmp_path: found as errors finds it
    done = run_cli("errors", run, "--saliency", cwd=tmp_path / "elsewhere", env=ENV)
    assert done.returncode == 0, done.stderr
    examples = json.loads((run / "analysis" / "saliency.json").read_text())["examples"]
    assert any(None in e["values"] for e in examples)  # the gap, as a missing value
    assert (run / "analysis" / "saliency.svg").is_file()
    assert 'id="saliency"' in (run / "report.html").read_text()


def test_saliency_needs_a_run_folder(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_text("id,y_true,y_pred\n1,a,b\n")
    code, err = _in_process(capsys, "errors", path, "--saliency")
    assert code == 2
    assert err.startswith("orthotune: error: --saliency needs a run folder")
    assert len(err.strip().splitlines()) == 1
