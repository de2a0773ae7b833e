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
    record = json.loads((out / "run.json").read_text())
    assert record["command"] == "learning-curve"
    assert record["finished"] and record["versions"]["torch"]  # were null and {}, as unfinished
    assert record["summary"]["sentence"] == curve["sentence"]
    again = run_cli("learning-curve", "builtin:synthetic", "--out", out)
    assert again.returncode == 2 and "already holds a run" in again.stderr
    report = run_cli("report", out)
    assert report.returncode == 0, report.stderr
    html = (out / "report.html").read_text()
    assert "Would more data help? (learning curve)" in html
    assert curve["sentence"][:40] in html


def test_a_table_with_missing_values_needs_no_flag(run_cli, tmp_path):
    # --impute auto is the default here too (it was none, refusing what tune accepts)
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    cells = [[f"{v:.3f}" for v in row] for row in x]
    for i in range(0, 400, 13):
        cells[i][1] = ""
    rows = [",".join(c) + f",{'pq'[int(x[i, 0] > 0)]}" for i, c in enumerate(cells)]
    path = tmp_path / "gaps.csv"
    path.write_text("a,b,c,label\n" + "\n".join(rows) + "\n")
    done = run_cli("learning-curve", path, "--epochs", "1", "--json", env={"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["points"]) == 5
    strict = run_cli("learning-curve", path, "--impute", "none")
    assert strict.returncode == 2 and "missing (NaN) values in 1 column(s): b (31)" in strict.stderr


def test_the_fit_line_says_how_the_sentence_uses_it(capsys, tmp_path):
    # "fit: dev error ≈ 885·n^(−2) + 0.306" beside "about 28.7 %" read as a contradiction: the
    # sentence adds the fit's change from n to 2n to the measured error, and the line says so
    import re

    import numpy as np

    from orthotune.cli.learning_curve import learning_curve

    rng = np.random.default_rng(0)
    x = rng.normal(size=(800, 2))
    y = np.where(x[:, 0] + 0.7 * rng.normal(size=800) > 0, "p", "q")
    path = tmp_path / "t.csv"
    path.write_text(
        "a,b,label\n" + "".join(f"{a:.3f},{b:.3f},{c}\n" for (a, b), c in zip(x, y, strict=True))
    )
    learning_curve(str(path), epochs=2, quiet=True)
    text = " ".join(capsys.readouterr().out.split())
    found = re.search(
        r"\(([\d.]+)% at (\d+), ([\d.]+)% at (\d+): its change, ([+-][\d.]+)%, is added to the "
        r"measured ([\d.]+)%\)",
        text,
    )
    assert found, text
    at, m, twice, m2, change, now = (float(v) for v in found.groups())
    assert m2 == 2 * m and abs(twice - at - change) <= 0.11  # each printed to 0.1 point
    assert f"now {now:.1f}% on its" in text or f"from {now:.1f}%" in text  # the sentence's own
