"""``orthotune learning-curve``: bad input in one line, and a real small curve into a run folder
that ``orthotune report`` draws."""

import json

import pytest

SMALL = "builtin:synthetic?n=150&noise=0"  # 90 training examples: below the 240 needed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((SMALL,), "needs at least 240"),
        ((SMALL, "--fractions", "1/4,1/2,1"), "needs at least 120"),
        (("builtin:synthetic", "--fractions", "a,b"), "--fractions 'a,b' is not a list"),
        (("builtin:synthetic", "--fractions", "1/2,1"), "at least 3 different fractions"),
        (("builtin:synthetic", "--epochs", "0"), "--epochs 0 is not accepted"),
        (("builtin:synthetic", "--from", "no/such/run"), "no/such/run"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, args, message):
    done = run_cli("learning-curve", *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_learning_curve_writes_a_run_folder_the_report_draws(run_cli, tmp_path):
    out = tmp_path / "lc"
    done = run_cli(
        "learning-curve",
        "builtin:synthetic?n=1000&classes=3&features=8&noise=0.05",
        "--epochs",
        "3",
        "--json",
        "--out",
        out,
        env={"OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr
    curve = json.loads(done.stdout)
    assert [p["fraction"] for p in curve["points"]] == [0.125, 0.25, 0.5, 0.75, 1.0]
    assert curve["sentence"]
    assert "starting model" in curve["configuration"]
    stored = json.loads((out / "analysis" / "learning_curve.json").read_text())
    assert stored == curve
    assert json.loads((out / "run.json").read_text())["command"] == "learning-curve"
    again = run_cli("learning-curve", "builtin:synthetic", "--out", out)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    report = run_cli("report", out)
    assert report.returncode == 0, report.stderr
    html = (out / "report.html").read_text()
    assert "Would more data help? (learning curve)" in html
    assert curve["sentence"][:40] in html
