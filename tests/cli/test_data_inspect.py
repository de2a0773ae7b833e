import json

import pytest


def test_inspect_mnist1d_json(run_cli):
    out = run_cli("data", "inspect", "builtin:mnist1d", "--json", "--seed", "1")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # nothing but JSON on stdout
    assert report["n"] == 5000 and report["input_shape"] == [1, 40]
    assert report["human_error"] == 0.042
    sizes = {p["name"]: p["size"] for p in report["split"]["parts"]}
    assert sizes == {"train": 3000, "train-dev": 0, "dev": 1000, "test": 1000}
    assert report["split"]["seed"] == 1 and report["split"]["preset"] == 1000
    assert report["split"]["rule"].startswith("dev = test = min(")  # 4,000 left to the policy


def test_a_split_column_that_places_every_row_is_the_rule(run_cli, tmp_path):
    rows = "\n".join(
        f"{i % 9},{'pq'[i % 2 == 0]},{('train', 'dev', 'test')[i % 3]}" for i in range(30)
    )
    path = tmp_path / "d.csv"
    path.write_text("size,label,part\n" + rows + "\n")
    out = run_cli("data", "inspect", path, "--split-col", "part", "--json")
    assert out.returncode == 0, out.stderr
    split = json.loads(out.stdout)["split"]
    assert split["rule"] == "every example's part is given by the split column"
    assert split["preset"] == 30 and split["notes"] == ["30 examples keep their preset part"]


def test_inspect_csv_renders_tables(run_cli, tmp_path):
    rows = "\n".join(f"{i % 9},{'ab'[i % 2]},{'pq'[i % 3 == 0]}" for i in range(40))
    path = tmp_path / "d.csv"
    path.write_text("size,kind,outcome\n" + rows + "\n")
    out = run_cli(
        "data", "inspect", path, "--target", "outcome", "--split-ratios", "70/15/15", "--train-dev"
    )
    assert out.returncode == 0, out.stderr
    for text in (
        "classes per part",
        "split (seed 0)",
        "ratios 70/15/15",
        "train-dev",
        "duplicates",
    ):
        assert text in out.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "file does not exist"),
        (
            "a,label\n1,x\n-,y\n",
            [],
            "column 'a' is numeric but row 1 (file line 3) holds the text '-'",
        ),
        (
            "a,label\n1,x\n2,y\n",
            ["--target", "klass"],
            "--target 'klass' names a column that does not exist; columns: a, label",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(run_cli, tmp_path, content, args, message):
    path = tmp_path / "d.csv"
    if content is not None:
        path.write_text(content)
    out = run_cli("data", "inspect", path, *args)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert message in out.stderr
    assert out.stdout == ""


def test_inspect_says_how_a_spreadsheet_file_was_read_and_which_columns_are_dates(
    run_cli, tmp_path
):
    import json

    path = tmp_path / "d.csv"
    rows = "".join(f"{i},5;2024-01-{i + 1:02d};café;{'pq'[i % 2]}\n" for i in range(12))
    path.write_bytes(("f;when;c;label\n" + rows).encode("cp1252"))
    out = run_cli("data", "inspect", path)
    assert out.returncode == 0, out.stderr
    assert "semicolon-separated, decimal comma, Windows-1252 text" in out.stdout
    assert "when (days since 1970, UTC)" in out.stdout
    report = json.loads(run_cli("data", "inspect", path, "--json").stdout)
    assert report["read_as"] == "semicolon-separated, decimal comma, Windows-1252 text"
    assert report["dates"] == ["when"]
    plain = tmp_path / "p.csv"
    plain.write_text("f,label\n1,p\n2,q\n3,p\n4,q\n5,p\n6,q\n")
    assert json.loads(run_cli("data", "inspect", plain, "--json").stdout)["read_as"] == ""


def test_inspect_lists_what_loading_left_out_among_its_warnings_once(run_cli, tmp_path):
    import json

    path = tmp_path / "k.csv"
    rows = "".join(f"{i + 1},Name {i},{i % 3},{'' if i == 5 else 'pq'[i % 2]}\n" for i in range(40))
    path.write_text("PassengerId,Name,a,Survived\n" + rows)
    out = run_cli("data", "inspect", path, "--target", "Survived", "--json")
    assert out.returncode == 0, out.stderr
    warnings = json.loads(out.stdout)["warnings"]
    assert warnings[0].startswith("1 of 40 rows have no --target value (the first: row 5 (file")
    assert any(w.startswith("column 'PassengerId' holds 1…40") for w in warnings)
    assert any(
        w.startswith("text column 'Name' has 39 distinct values in 39 rows") for w in warnings
    )
    assert out.stderr == ""  # said once, in the report, not also as log lines
    text = run_cli("data", "inspect", path, "--target", "Survived")
    assert "left out" in text.stdout and "left out" not in text.stderr
    assert "2, imbalance ratio 1.05 (all rows)" in text.stdout  # errors counts training rows


def test_inspect_says_what_it_warned_of_before_a_refusal(run_cli, tmp_path):
    rows = [f"{i * 0.1:.1f},{i % 3},{'pq'[i % 2]}" for i in range(30)]
    rows[9] = "0.5,yes"  # a value left out: the warning names the line the error comes from
    path = tmp_path / "ragged.csv"
    path.write_text("f1,f2,label\n" + "\n".join(rows) + "\n")
    res = run_cli("data", "inspect", path)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert "row 9 (file line 11) holds 2 cell(s) where the header names 3" in lines[0]
    assert lines[-1].startswith("orthotune: error:") and "holds the text 'yes'" in lines[-1]


def test_a_table_of_many_classes_shows_thirty_and_says_where_the_rest_are(run_cli, tmp_path):
    """1,000 classes printed 1,000 rows; --json still lists every class."""
    import json

    rows = "".join(f"{i % 7},{i % 3},c{i % 60:02d}\n" for i in range(600))
    data = tmp_path / "k60.csv"
    data.write_text("a,b,label\n" + rows)
    shown = run_cli("data", "inspect", data)
    assert shown.returncode == 0, shown.stderr
    assert "… 30 more (--json lists every class)" in shown.stdout
    import re

    assert re.search(r"^│ c29 +│", shown.stdout, re.M) and not re.search(
        r"^│ c30 +│", shown.stdout, re.M
    )
    listed = json.loads(run_cli("data", "inspect", data, "--json").stdout)
    assert len(listed["classes"]) == 60
