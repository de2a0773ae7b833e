"""Every validation case: one InvalidInputError line naming file, column, row and the fix."""

import numpy as np
import pandas as pd
import pytest

from orthotune import InvalidInputError
from orthotune.data import LoadOptions, encode_frame, load_dataset

GOOD = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n"

CSV_CASES = [
    # (file text, options, message pattern)
    (
        "a,w,label\n1,2,x\n3,heavy,y\n",
        {"weight": "w"},
        r"--weight column 'w' holds text \('heavy' at row 1 \(file line 3\)\): give a column "
        r"of numbers",
    ),
    (
        "a,b,label\n1,2,x\n3,4,y,5,6\n",
        {},
        r"Expected 3 fields in line 3, saw 5\): quote the values that hold the delimiter",
    ),
    (
        "a,b,label\n1,2,x\n3,oops,y\n",
        {},
        r"column 'b' is numeric but row 1 \(file line 3\) "
        r"holds the text 'oops'.*--drop b",
    ),
    (
        "a,b,label\nu,2,x\n7,3,y\nv,4,x\n",
        {},
        r"column 'a' is text but row 1 \(file line 3\) holds "
        r"the number '7'.*--drop a",
    ),
    (
        "a,b,label\n1,2,x\n,4,y\n,6,x\n3,,y\n",
        {"impute": "none"},
        r"missing \(NaN\) values in 2 column\(s\): "
        r"a \(2\), b \(1\): use --impute auto \(the default\), mean or median",
    ),
    (
        "a,b,label\n1,inf,x\n3,-inf,y\n",
        {},
        r"infinite values \(or beyond ±3.4e38, float32's range\) in 1 column\(s\): b \(2\); "
        r"first in 'b' at row 0 \(file line 2\).*--drop b",
    ),
    (  # finite in the file, but training would read it as inf
        "a,b,label\n1,2,x\n3,1e39,y\n5,-1e308,x\n",
        {},
        r"infinite values \(or beyond ±3.4e38, float32's range\) in 1 column\(s\): b \(2\); "
        r"first in 'b' at row 1 \(file line 3\).*--drop b",
    ),
    ("a,b,label\n1,2,x\n3,4,x\n", {}, r"needs at least 2 classes to classify, found 1 \(x\)"),
    (
        "a,b,label\n1,2,\n3,4,\n",
        {},
        r"--target column 'label' is empty in 2 row\(s\), first at "
        r"row 0 \(file line 2\)",
    ),
    (
        GOOD,
        {"target": "klass"},
        r"--target 'klass' names a column that does not exist; "
        r"columns: a, b, label",
    ),
    (
        "a,b,outcome\n1,2,x\n3,4,y\n",
        {},
        r"no --target given and no column named "
        r"label/target/y/class; columns: a, b, outcome: give --target COL",
    ),
    (GOOD, {"drop": ["c"]}, r"--drop 'c' names a column that does not exist"),
    (GOOD, {"id": "key"}, r"--id 'key' names a column that does not exist"),
    (GOOD, {"weight": "w"}, r"--weight 'w' names a column that does not exist"),
    (GOOD, {"source": "site"}, r"--source 'site' names a column that does not exist"),
    (GOOD, {"split_col": "part"}, r"--split-col 'part' names a column that does not exist"),
    (GOOD, {"weight": "a", "drop": ["a"]}, r"column 'a' is given to both --weight and --drop"),
    (
        "a,w,label\n1,2,x\n3,-1,y\n",
        {"weight": "w"},
        r"weight column 'w' has 1 negative value"
        r"\(s\), first -1 at row 1 \(file line 3\): weights must be ≥ 0",
    ),
    ("a,w,label\n1,0,x\n3,0,y\n", {"weight": "w"}, r"weight column 'w' is zero for every row"),
    ("a,w,label\n1,1,x\n3,inf,y\n", {"weight": "w"}, r"weight column 'w' has 1 non-finite"),
    ("a,a,label\n1,2,x\n3,4,y\n", {}, r"duplicate column names a: rename the columns"),
    ("k,a,label\n1,2,x\n1,4,y\n", {"id": "k"}, r"--id column 'k' repeats the id '1' \(2 times"),
    (
        "a,p,label\n1,train,x\n3,holdout,y\n",
        {"split_col": "p"},
        r"--split-col 'p' holds 'holdout' "
        r"at row 1 \(file line 3\); accepted: train, train-dev, dev, test \(or testing, "
        r"train_dev, traindev, training, val, valid, validation, in any case\) or empty",
    ),
    ("a,label\n", {}, r"has no data rows"),
    (
        "a,n,label\n1,,x\n2,,y\n",
        {"impute": "none"},
        r"column 'n' is empty in every row: --drop n, fill it, or leave --impute at auto",
    ),
    ("k,label\n1,x\n2,y\n", {"id": "k"}, r"no feature columns are left"),
    (GOOD, {"dev_source": "web"}, r"--dev-source 'web' needs a source per example: give --source"),
    (
        "a,s,label\n1,u,x\n2,v,y\n",
        {"source": "s", "dev_source": "w"},
        r"--dev-source 'w' is not "
        r"a source of this data; sources: u, v",
    ),
    (
        'a,b,label\n"0,5",1.5,p\n"1,25",2.5,q\n"2,0",3.5,p\n',
        {},
        r"column 'a' holds numbers written with a decimal comma \(or a thousands "
        r"separator\), '0,5' at row 0 \(file line 2\).*one decimal mark.*--drop a",
    ),
    ('a,label\n1,p\n"0,5",q\n2,p\n', {}, r"column 'a' holds numbers written with a decimal"),
    (  # amounts distinct in every row, a few with separators: not an identifier left out
        "a,label\n" + "".join(f'"{i * 173.25:,.2f}",{"pq"[i % 2]}\n' for i in range(30)),
        {},
        r"column 'a' holds numbers written with a decimal comma \(or a thousands "
        r"separator\), '1,039.50' at row 6 \(file line 8\).*--drop a",
    ),
    (  # an accountant's negatives among numbers: not text left out
        "a,label\n"
        + "".join(f"{f'({i}.5)' if i % 3 else f'{i}.25'},{'pq'[i % 2]}\n" for i in range(30)),
        {},
        r"column 'a' holds negative numbers written in parentheses, '\(1.5\)' at row 1 "
        r"\(file line 3\): write them with a minus sign \(-1.5\), or --drop a",
    ),
    *(  # numbers as exports and locales decorate them, distinct in every row: not left out
        (
            "a,label\n" + "".join(f'"{fmt(i)}",{"pq"[i % 2]}\n' for i in range(30)),
            {},
            rf"column 'a' holds numbers written with other characters, {shown} at row {row} "
            rf"\(file line {row + 2}\): write plain numbers .*no unit, no digit grouping\), "
            r"or --drop a",
        )
        for fmt, shown, row in [
            (lambda i: f"{i * 173.25:.2f} kg", "'0.00 kg'", 0),
            (lambda i: f"{i * 173.25:,.2f}".replace(",", "'"), '"1\'039.50"', 6),
            (lambda i: f"{i * 173.25:,.2f}".replace(",", "\u00a0"), "'1\\\\xa0039.50'", 6),
            (lambda i: f"{i * 3.5}-" if i % 7 == 0 and i else f"{i * 3.5}", "'24.5-'", 7),
            (lambda i: f"\u2212{i * 3.5}" if i % 7 == 0 and i else f"{i * 3.5}", "'\u221224.5'", 7),
        ]
    ),
    (  # under ';' with decimal commas: named by its grouping, not by a mere '0,00'
        "a;label\n"
        + "".join(
            f"{i * 173.25:,.2f}".replace(",", "\u00a0").replace(".", ",") + f";{'pq'[i % 2]}\n"
            for i in range(30)
        ),
        {},
        r"column 'a' holds numbers written with other characters, '1\\xa0039,50' at row 6 ",
    ),
    (
        "5.1,3.5,setosa\n4.9,3.0,setosa\n6.2,2.9,versicolor\n",
        {},
        r"no --target given .* columns: 5.1, 3.5, setosa: give --target COL \(its first "
        r"line holds numbers, 5.1, 3.5, where column names belong: if the file has no header "
        r"line — many UCI .data files have none — add one\)",
    ),
    (  # UCI's adult.data: 6 numbers among 15 cells (the hint asked for more than half)
        "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White,"
        " Male, 2174, 0, 40, United-States, <=50K\n"
        "50, Self-emp, 83311, Bachelors, 13, Married, Exec, Husband, White, Male, 0, 0, 13,"
        " United-States, <=50K\n",
        {},
        r"give --target COL \(its first line holds numbers, 39, 77516, 13 …, where column "
        r"names belong",
    ),
    (  # a DataFrame's numbered columns saved as names are a header
        "0,1,2\n1.5,2.5,p\n3.5,4.5,q\n",
        {"target": "label"},
        r"--target 'label' names a column that does not exist; columns: 0, 1, 2: give one of "
        r"these$",
    ),
    (  # pixels numbered after their label: a header too
        "y,0,1,2\np,1.5,2.5,3.5\nq,3.5,4.5,5.5\n",
        {"target": "label"},
        r"columns: y, 0, 1, 2: give one of these$",
    ),
    ("a,b,Label \n1,2,p\n3,4,q\n", {"target": "label"}, r"give --target 'Label '"),
    (  # ISO months with a '-' among them: read as text, 39 months became 39 categories
        "month,label\n"
        + "".join(f"20{10 + i // 12}-{i % 12 + 1:02d}-01,{'pq'[i % 2]}\n" for i in range(39))
        + "-,p\n",
        {},
        r"column 'month' is a date column \(ISO 8601\) but row 39 \(file line 41\) holds the "
        r"text '-': fix that value \(leave it empty for missing",
    ),
    (  # the same '-' first: the first value alone decided that the column held no dates
        "month,label\n-,p\n"
        + "".join(f"20{10 + i // 12}-{i % 12 + 1:02d}-01,{'pq'[i % 2]}\n" for i in range(39)),
        {},
        r"column 'month' is a date column \(ISO 8601\) but row 0 \(file line 2\) holds the text",
    ),
    (
        "f,label\n" + "".join(f"{i},{i * 0.37 - 3:.4f}\n" for i in range(40)),
        {},
        r"the --target column holds 40 distinct numbers, some with fractions "
        r"\('-2.63'\): a continuous target.*bin it into classes",
    ),
]


@pytest.mark.parametrize(("text", "options", "match"), CSV_CASES)
def test_csv_problems_are_one_line_errors(write_csv, text, options, match):
    path = write_csv(text)
    with pytest.raises(InvalidInputError, match=match) as err:
        load_dataset(str(path), LoadOptions(**options))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(str(path))  # names the file


def test_a_text_column_of_identifiers_is_left_out_and_predict_reads_it_silently(write_csv, caplog):
    # Kaggle's Titanic: a name in every row, a ticket number in most
    rows = "\n".join(f"{i % 7},Name {i},T{i % 24},{'xy'[i % 2]}" for i in range(30))
    path = write_csv("a,who,ticket,label\n" + rows + "\n")
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert ds.feature_names[0] == "a" and not any("who" in f for f in ds.feature_names)
    assert "who" in ds.encoding.ignored and ds.encoding.columns[1].name == "ticket"
    assert "text column 'who' has 30 distinct values in 30 rows" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):
        x = encode_frame(
            pd.DataFrame({"a": [1], "who": ["Someone new"], "ticket": ["T3"]}), ds.encoding
        )
    assert x.shape == (1, len(ds.feature_names)) and caplog.text == ""


def test_a_column_empty_in_every_row_is_left_out_unless_impute_is_none(write_csv, caplog):
    # a spreadsheet export's blank column: nothing to learn from, so no reason to stop the run
    path = write_csv("a,blank,b,label\n1,,2,x\n2,,1,y\n3,,5,x\n4,,0,y\n")
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert ds.feature_names == ("a", "b") and "blank" in ds.encoding.ignored
    assert "column 'blank' is empty in every row: left out" in caplog.text
    # at prediction the column may hold anything, or be absent: it is not read
    for frame in (
        pd.DataFrame({"a": [1.0], "blank": ["note"], "b": [2.0]}),
        pd.DataFrame({"a": [1.0], "b": [2.0]}),
    ):
        assert encode_frame(frame, ds.encoding).tolist() == [[1.0, 2.0]]
    with pytest.raises(InvalidInputError, match=r"no feature column is left: 'blank' .*no value"):
        load_dataset(str(write_csv("blank,label\n,x\n,y\n", name="only.csv")))
    with pytest.raises(InvalidInputError, match=r"column 'blank' is empty in every row: --drop"):
        load_dataset(str(path), LoadOptions(impute="none"))


def test_a_ticket_column_of_numbers_and_codes_is_left_out_but_a_slip_in_numbers_is_refused(
    write_csv, caplog
):
    # Kaggle's Titanic tickets: mostly numbers, a quarter codes with letters, nearly all distinct
    tickets = [f"PC {1000 + i}" if i % 4 == 0 else str(113000 + 7 * i) for i in range(200)]
    rows = "".join(f"{i % 3},{t},{'xy'[i % 2]}\n" for i, t in enumerate(tickets))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("a,ticket,label\n" + rows, name="t.csv")))
    assert ds.feature_names == ("a",) and "ticket" in ds.encoding.ignored
    assert "text column 'ticket' has 200 distinct values in 200 rows" in caplog.text
    # one slip among 200 distinct prices is a value to fix, not a reason to lose the column
    prices = [str(10.5 + i) if i != 57 else "12.5o" for i in range(200)]
    slip = "".join(f"{i % 3},{p},{'xy'[i % 2]}\n" for i, p in enumerate(prices))
    with pytest.raises(
        InvalidInputError, match=r"column 'price' is numeric but row 57 .* holds the text '12.5o'"
    ):
        load_dataset(str(write_csv("a,price,label\n" + slip, name="p.csv")))


def test_numbers_among_many_names_are_names_and_among_few_kinds_a_slip(write_csv, caplog):
    # openintro's seattlepets: 3 pets of 52,036 named "2", "99" and "1" among 13,926 names
    names = [f"pet{i % 40}" for i in range(200)]
    names[17], names[90] = "2", "99"
    rows = "".join(f"{i % 3},{n},{'xy'[i % 2]}\n" for i, n in enumerate(names))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("a,name,label\n" + rows, name="pets.csv")))
    assert "name=2" in ds.feature_names and "name=99" in ds.feature_names
    assert (
        "column 'name' holds 2 number(s) among 40 kinds of text ('2', '99'): read as category "
        "names like the rest" in caplog.text
    )
    few = [f"plan{i % 5}" for i in range(200)]  # among 5 kinds of text a number stays a slip
    few[59] = "2.5"
    rows = "".join(f"{i % 3},{n},{'xy'[i % 2]}\n" for i, n in enumerate(few))
    with pytest.raises(
        InvalidInputError, match=r"column 'plan' is text but row 59 .*holds the number '2.5'"
    ):
        load_dataset(str(write_csv("a,plan,label\n" + rows, name="plans.csv")))


def test_a_refusal_counts_a_columns_stray_texts_and_names_every_column_refused(write_csv):
    # seattlepets again: 71 ZIP+4 codes among 52,122 zip codes, refused one value per run
    zips = [str(98100 + i % 50) for i in range(200)]
    zips[5], zips[60], zips[61], zips[150] = "98115-4820", "98112-4729", "98115-4820", "98146-1"
    plans = [f"plan{i % 5}" for i in range(200)]
    plans[7] = "3"
    rows = "".join(
        f"{z},{p},{i % 7},{'xy'[i % 2]}\n" for i, (z, p) in enumerate(zip(zips, plans, strict=True))
    )
    path = write_csv("zip,plan,a,label\n" + rows, name="z.csv")
    with pytest.raises(InvalidInputError) as err:
        load_dataset(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: column 'zip' is numeric but 4 of its values are text "
                              "('98115-4820', '98112-4729', '98146-1'; the first at row 5 (file "
                              "line 7)): fix those values")  # fmt: skip
    assert (
        "--drop zip; and column 'plan' is text but row 7 (file line 9) holds the number '3'"
        in message
    )
    assert message.count(str(path)) == 1 and "\n" not in message
    # a repeated header line is the line's fault: said once, not once per column
    repeated = write_csv("a,b,label\n1,2,x\na,b,label\n3,4,y\n", name="twice.csv")
    with pytest.raises(InvalidInputError, match=r"repeats the header line") as err:
        load_dataset(str(repeated))
    assert "; and" not in str(err.value)


def test_a_table_of_identifiers_only_is_refused(write_csv):
    rows = "\n".join(f"name{i},{'xy'[i % 2]}" for i in range(30))
    path = write_csv("who,label\n" + rows + "\n")
    with pytest.raises(
        InvalidInputError,
        match=r"no feature column is left: 'who' identif\(ies\) the rows \(row numbers, or a "
        r"distinct text in almost every row\).*add columns to learn from",
    ):
        load_dataset(str(path))


def test_file_problems(tmp_path):
    with pytest.raises(
        InvalidInputError,
        match=r"missing.csv: file does not exist: check the "
        r"path",
    ):
        load_dataset(str(tmp_path / "missing.csv"))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InvalidInputError, match=r"empty.csv: file is empty \(0 bytes\)"):
        load_dataset(str(tmp_path / "empty.csv"))
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(
        InvalidInputError,
        match=r"unsupported data file extension '.xlsx'; "
        r"accepted: a .csv \(or .tsv; .*\), .parquet or .npz.*: save it as CSV from the "
        r"spreadsheet",
    ):
        load_dataset(str(tmp_path / "data.xlsx"))
    (tmp_path / "data.json").write_text("x")
    with pytest.raises(InvalidInputError, match=r"'.json'; .*: convert the file or rename it"):
        load_dataset(str(tmp_path / "data.json"))
    (tmp_path / "wine.data").write_text("1 2 3\n")
    with pytest.raises(InvalidInputError, match=r"'.data'; .*: if it is a table of text lines, "):
        load_dataset(str(tmp_path / "wine.data"))
    for folder in ("dir.csv", "plain_folder"):
        (tmp_path / folder).mkdir()
        with pytest.raises(InvalidInputError, match=rf"{folder}: a folder with no images"):
            load_dataset(str(tmp_path / folder))
    import gzip
    import zipfile

    (tmp_path / "packed.csv").write_bytes(gzip.compress(b"a,label\n1,x\n2,y\n"))
    with pytest.raises(
        InvalidInputError, match=r"packed.csv: is compressed \(gz\) .*rename it .*packed.csv.gz"
    ):
        load_dataset(str(tmp_path / "packed.csv"))
    with zipfile.ZipFile(tmp_path / "zipped.csv", "w") as archive:
        archive.writestr("inner.csv", "a,label\n1,x\n2,y\n")
    zipped = r"zipped.csv: is a ZIP archive .*: unzip it \(or rename it .*zipped.csv.zip"
    with pytest.raises(InvalidInputError, match=zipped):
        load_dataset(str(tmp_path / "zipped.csv"))
    (tmp_path / "bad.parquet").write_bytes(b"this is not parquet at all")
    with pytest.raises(InvalidInputError, match=r"bad.parquet: cannot be read as Parquet"):
        load_dataset(str(tmp_path / "bad.parquet"))
    (tmp_path / "bad.npz").write_bytes(b"PK not a zip")
    with pytest.raises(InvalidInputError, match=r"bad.npz: cannot be read as NPZ"):
        load_dataset(str(tmp_path / "bad.npz"))
    # bytes that are text neither in UTF-8 nor in Windows-1252 (0x81 is undefined there)
    (tmp_path / "odd.csv").write_bytes(b"a,label\n1,caf\x81\n2,x\n")
    with pytest.raises(InvalidInputError, match=r"odd.csv: cannot be read as CSV.*UTF-8"):
        load_dataset(str(tmp_path / "odd.csv"))
    (tmp_path / "latin.csv").write_bytes("a,label\n1,caf\xe9\n2,x\n".encode("latin-1"))
    assert load_dataset(str(tmp_path / "latin.csv")).class_names == ("café", "x")
    # what a clone or a download leaves where the data should be
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 2048\n"
    for name in ("lfs.csv", "lfs.parquet"):
        (tmp_path / name).write_text(pointer)
        with pytest.raises(InvalidInputError, match=rf"{name}: is a Git LFS pointer .*lfs pull"):
            load_dataset(str(tmp_path / name))
    (tmp_path / "page.csv").write_text("\n  <!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
    with pytest.raises(InvalidInputError, match=r"page.csv: is a web page .*download the file"):
        load_dataset(str(tmp_path / "page.csv"))


def test_parquet_duplicate_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays(
        [pa.array([1, 2]), pa.array([3, 4]), pa.array(["x", "y"])], names=["a", "a", "label"]
    )
    pq.write_table(table, tmp_path / "dup.parquet")
    with pytest.raises(InvalidInputError, match=r"dup.parquet: duplicate column names a"):
        load_dataset(str(tmp_path / "dup.parquet"))


NPZ_CASES = [
    ({"x": np.zeros((3, 2))}, r"has no array 'y' \(found: x\): save the labels as 'y'"),
    (
        {"x": np.zeros((3, 2)), "y": np.arange(3), "labels": np.arange(3)},
        r"unknown array\(s\) 'labels'; accepted: x, y, weights, source, ids, split",
    ),
    ({"x": np.array([["a"], ["b"]]), "y": np.arange(2)}, r"array 'x' has dtype <U1, not numeric"),
    (
        {"x": np.zeros(3), "y": np.arange(3)},
        r"array 'x' has shape \(3,\); accepted: \[n, "
        r"features\]",
    ),
    (
        {"x": np.zeros((3, 2)), "y": np.arange(4)},
        r"array 'y' has shape \(4,\), 4 values for the 3 examples of 'x': give one value per "
        r"example, 'y' of shape \(3,\)",
    ),
    (
        {"x": np.array([[1.0], [np.nan], [np.nan]]), "y": np.arange(3)},
        r"missing \(NaN\) values "
        r"in 1 column\(s\): x\[0\] \(2\)",
    ),
    (
        {"x": np.zeros((2, 1)), "y": np.arange(2), "weights": np.array([0.0, 0.0])},
        r"weight column 'weights' is zero for every row",
    ),
    (
        {"x": np.zeros((2, 1)), "y": np.zeros(2)},
        r"d.npz: needs at least 2 classes to classify, found 1 \(0\): check its array 'y'$",
    ),
    (  # two 1s in a row: scores or several labels, not one class per row
        {"x": np.zeros((2, 1)), "y": np.array([[1, 0], [1, 1]])},
        # it read "has shape (2, 2) but 'x' has 2 examples": a contradiction, as written
        r"array 'y' has shape \(2, 2\), 2 values per example: give one value per "
        r"example, 'y' of shape \(2,\)",
    ),
    (
        {"x": np.zeros((3, 1)), "y": np.array([0.0, np.nan, 1.0])},
        r"label column 'y' is empty in 1 row\(s\), first at row 1",
    ),
]


@pytest.mark.parametrize(("arrays", "match"), NPZ_CASES)
def test_npz_problems(tmp_path, arrays, match):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    with pytest.raises(InvalidInputError, match=match):
        load_dataset(str(path), LoadOptions(impute="none"))


def test_one_hot_and_column_labels_are_read_as_class_indices(tmp_path, caplog):
    """Keras' ``to_categorical`` labels and a column of labels (shape [n, 1]) are the same
    classes as the plain labels; the one-hot ones with a warning. An upper-case ``X`` is x."""
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    plain = np.array([2, 0, 1, 2])
    np.savez(tmp_path / "plain.npz", x=x, y=plain)
    np.savez(tmp_path / "hot.npz", x=x, y=np.eye(3)[plain])
    np.savez(tmp_path / "col.npz", X=x, y=plain[:, None].astype(float))  # scikit-learn's X
    want = load_dataset(str(tmp_path / "plain.npz"))
    with caplog.at_level("WARNING"):
        hot = load_dataset(str(tmp_path / "hot.npz"))
    assert "hot.npz: array 'y' shaped (4, 3) holds one 1 per row (one-hot)" in caplog.text
    col = load_dataset(str(tmp_path / "col.npz"))
    for got in (hot, col):
        assert got.class_names == want.class_names == ("0", "1", "2")
        assert got.y.tolist() == want.y.tolist() == plain.tolist()


def test_a_file_named_npz_that_is_no_archive_says_so(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello\n")  # numpy blamed "pickled (object) data" in it
    with pytest.raises(InvalidInputError, match=r"notes.npz: is not an NPZ archive .*b'hello"):
        load_dataset(str(path))


def test_npz_with_python_objects_is_refused(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, x=np.array([{"a": 1}, {"b": 2}], dtype=object), y=np.arange(2))
    with pytest.raises(
        InvalidInputError,
        match=r"obj.npz: cannot be read as NPZ.*no Python "
        r"objects",
    ):
        load_dataset(str(path))


def test_column_options_do_not_apply_to_npz_or_builtins(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x=np.zeros((4, 1)), y=np.arange(4) % 2)
    with pytest.raises(InvalidInputError, match=r"--target applies only to CSV and Parquet"):
        load_dataset(str(path), LoadOptions(target="y"))
    with pytest.raises(InvalidInputError, match=r"builtin:digits: --drop applies only to CSV"):
        load_dataset("builtin:digits", LoadOptions(drop=["a"]))
    with pytest.raises(InvalidInputError, match=r"d.npz: --target, --drop apply only to CSV"):
        load_dataset(str(path), LoadOptions(target="y", drop=["a"]))


def test_parquet_stray_text_in_numeric_object_column(tmp_path):
    frame = pd.DataFrame({"a": ["1", "2", "two", "4"], "label": ["x", "y", "x", "y"]})
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.raises(
        InvalidInputError,
        match=r"column 'a' is numeric but row 2 holds the text "
        r"'two'",
    ):
        load_dataset(str(tmp_path / "t.parquet"))


def test_many_whole_numbers_and_a_few_fractions_are_classes(write_csv):
    whole = "".join(f"{i * 3},{i % 25}\n" for i in range(100))  # 25 classes named by numbers
    assert len(load_dataset(str(write_csv("f,label\n" + whole, name="w.csv"))).class_names) == 25
    few = "".join(f"{i * 3},{(i % 3) / 2}\n" for i in range(30))  # 0.0, 0.5, 1.0: three classes
    classes = load_dataset(str(write_csv("f,label\n" + few, name="h.csv"))).class_names
    assert classes == ("0", "0.5", "1")  # by value, as 0.0 and 1.0 alone are


def test_a_header_name_with_spaces_around_it_is_found_as_the_default_target(write_csv):
    spaced = write_csv("a,b, Label\n1,2,p\n3,4,q\n5,6,p\n", name="s.csv")
    assert load_dataset(str(spaced)).class_names == ("p", "q")


def test_a_question_mark_label_is_no_class_but_a_row_without_a_label(write_csv, caplog):
    rows = [f"{i % 4},{'?' if i == 7 else ' ? ' if i == 9 else 'pq'[i % 2]}" for i in range(40)]
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("a,label\n" + "\n".join(rows) + "\n")))
    assert ds.class_names == ("p", "q") and len(ds.y) == 38
    assert "2 of 40 rows have no --target value (the first: row 7 (file line 9))" in caplog.text


def test_rows_without_a_label_are_left_out_and_every_message_names_the_files_lines(
    write_csv, caplog
):
    # pandas' saved index, a passenger number and three rows to predict (no label)
    rows = [f"{i},{i + 1},{i % 5},{'' if i in (0, 3, 50) else 'pq'[i % 2]}" for i in range(60)]
    path = write_csv(",PassengerId,a,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert "3 of 60 rows have no --target value (the first: row 0 (file line 2)): left out" in (
        caplog.text
    )
    assert len(ds.y) == 57 and ds.feature_names == ("a",)  # index and row numbers found still
    assert "column 'PassengerId' holds 2…60" in caplog.text
    assert ds.ids[:3].tolist() == ["1", "2", "4"]  # the file's rows
    rows[40] = "40,41,oops,q"  # a stray value after the left-out rows: named by its file line
    with pytest.raises(InvalidInputError, match=r"row 40 \(file line 42\) holds the text 'oops'"):
        load_dataset(
            str(write_csv(",PassengerId,a,label\n" + "\n".join(rows) + "\n", name="s.csv"))
        )
    # a row to predict is encoded as the end of the run will (its predictions file): a sum row
    # under a numeric column is refused at load, not after the budget is spent
    rows[40] = "40,41,2,q"
    with pytest.raises(InvalidInputError, match=r"row 60 \(file line 62\) holds the text 'Total'"):
        load_dataset(str(write_csv(",PassengerId,a,label\n" + "\n".join([*rows, ",,Total,"]))))


def test_classes_that_differ_only_in_case_are_named_in_a_warning(write_csv, caplog):
    names = ["yes", "YES", "no", "No", "<=50K", "<=50K.", "not  sure", "Not sure"]
    rows = "".join(f"{i % 3},{names[i % 8]}\n" for i in range(40))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("a,label\n" + rows)))
    assert len(ds.class_names) == 8  # the file decides
    assert (
        "classes that differ only in case, a final '.' or spaces: '<=50K' / '<=50K.', "
        "'No' / 'no', 'Not sure' / 'not  sure', 'YES' / 'yes'"
    ) in caplog.text


def test_a_feature_that_gives_the_label_in_every_row_is_named(write_csv, caplog):
    # "outcome" beside "label": learned from to 0 % error, without a word
    rows = "".join(f"{i % 7},{'yn'[i % 3 == 0]},{'pq'[i % 3 == 0]}\n" for i in range(60))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("a,outcome,label\n" + rows)))
    assert ds.feature_names == ("a", "outcome=n", "outcome=y")  # kept: said, not dropped
    assert "column(s) 'outcome' give the label in every row" in caplog.text
    assert "'a'" not in caplog.text.split("give the label")[0].split("column(s)")[-1]


def test_a_label_written_na_none_or_null_is_a_class_not_a_missing_value(write_csv):
    # "NA" is North America: pandas read it as missing, and 1 row in 3 was left out unlabelled
    names = ["NA", "EU", "None", "null", "N/A"]
    rows = "".join(f"{i % 7},{names[i % 5]}\n" for i in range(50)) + "3,\n4,?\n"
    ds = load_dataset(str(write_csv("a,region\n" + rows)), LoadOptions(target="region"))
    assert ds.class_names == ("EU", "N/A", "NA", "None", "null") and len(ds) == 50


def test_whole_number_labels_beyond_float_precision_stay_exact():
    from orthotune.data import dataset_from_arrays

    x = np.arange(40.0).reshape(20, 2)
    big = np.array([2**53, 2**53 + 1] * 10, dtype=np.int64)  # one class through float64
    assert dataset_from_arrays(x, big).class_names == ("9007199254740992", "9007199254740993")
    huge = np.array([2**62 + 5, 7] * 10, dtype=np.int64)  # was named 4611686018427387904
    assert dataset_from_arrays(x, huge).class_names == ("7", "4611686018427387909")


def test_labels_written_apart_that_become_one_class_are_named_in_a_warning(write_csv, caplog):
    from orthotune.data import dataset_from_arrays

    x = np.arange(60.0).reshape(30, 2)
    y = np.array(["cat", "cat ", "dog", "007", "7", "dog"] * 5)  # merged without a word before
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = dataset_from_arrays(x, y, name="tune(X, y)")
    assert ds.class_names == ("007", "7", "cat", "dog")  # among text, "007" stays itself
    assert "'cat' / 'cat ' → 'cat'" in caplog.text and "read as one class" in caplog.text
    caplog.clear()
    numbers = np.array(["007", "7", "8", "1e1", "10", "8"] * 5)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        assert dataset_from_arrays(x, numbers).class_names == ("7", "8", "10")
    assert "'007' / '7' → '7'; '10' / '1e1' → '10'" in caplog.text
    caplog.clear()
    floats = np.array(["1", "1.0", "2.5", "2.50", "1", "2.5"] * 5)  # 1 / 1.0 were two classes
    with caplog.at_level("WARNING", logger="orthotune.data"):  # beside 2.5, one beside 2
        assert dataset_from_arrays(x, floats).class_names == ("1", "2.5")
    assert "'1' / '1.0' → '1'; '2.5' / '2.50' → '2.5'" in caplog.text
    caplog.clear()
    spaced = "".join(f"{i % 5},{['yes ', 'no', 'yes'][i % 3]}\n" for i in range(30))
    with caplog.at_level("WARNING", logger="orthotune.data"):  # a table's, as written
        load_dataset(str(write_csv("a,label\n" + spaced)))
    assert "'yes' / 'yes ' → 'yes'" in caplog.text
    caplog.clear()
    leading = "".join(f"{i % 5}, {['yes', 'no'][i % 2]}\n" for i in range(30))
    leading += "".join(f"{i % 5},{['yes', 'no'][i % 2]}\n" for i in range(30))
    with caplog.at_level("WARNING", logger="orthotune.data"):  # a leading space merged unsaid
        ds = load_dataset(str(write_csv("a, label\n" + leading)))  # and a header 'a, label'
    assert ds.class_names == ("no", "yes")
    assert "' no' / 'no' → 'no'; ' yes' / 'yes' → 'yes'" in caplog.text
    caplog.clear()
    rows = "".join(f"{i % 5},{'ab'[i % 2]}\n" for i in range(40))  # one way each: no warning
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv("a,label\n" + rows)))
    assert "read as one class" not in caplog.text


def test_a_header_line_repeated_mid_file_is_named_as_such(write_csv):
    # two exports concatenated: the second one's header sits among the rows
    body = "".join(f"{i % 4},{i % 3},{'pq'[i % 2]}\n" for i in range(30))
    with pytest.raises(
        InvalidInputError,
        match=r"row 30 \(file line 32\) repeats the header line \(column 'a' holds its own "
        r"name there\), as when CSV files are concatenated: remove that line",
    ):
        load_dataset(str(write_csv("a,b,label\n" + body + "a,b,label\n" + body)))


@pytest.mark.parametrize(
    ("labels", "warned"),
    [
        (list(range(1950, 1975)), True),  # years: a quantity
        ([3 * i for i in range(25)], True),  # whole numbers with gaps (a rounded price)
        (list(range(25)), False),  # class codes 0…K−1
        (list(range(1, 26)), False),  # class codes 1…K
        ([f"c{i}" for i in range(25)], False),  # names
        (list(range(1950, 1960)), False),  # few values: classes, whatever they are
    ],
)
def test_many_whole_numbers_that_are_no_class_codes_get_a_warning(
    write_csv, caplog, labels, warned
):
    rows = "".join(f"{i % 7},{label}\n" for i in range(2) for label in labels)
    path = write_csv("a,label\n" + rows)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(path))
    said = f"holds {len(labels)} distinct whole numbers ({labels[0]} … {labels[-1]})"
    assert (said in caplog.text) is warned
    assert caplog.text.count("distinct whole numbers") == int(warned)  # once, not per check


def test_a_gap_word_among_distinct_numbers_is_missing_and_a_stray_dash_a_value_to_fix(write_csv):
    # 'unknown' in every 5th row of 250 distinct numbers: once read as an identifier column
    # and left out, then refused as a value to fix; it is a missing value, as '?' and 'n/a' are
    rows = "".join(f"{'unknown' if i % 5 == 0 else i * 1.37:},{'xy'[i % 2]}\n" for i in range(250))
    ds = load_dataset(str(write_csv("a,label\n" + rows)))
    assert ds.feature_names == ("a", "a (missing)") and ds.x[:, 1].sum().item() == 50
    dash = rows.replace("unknown", "-", 1).replace("unknown", "")  # one '-' among numbers
    with pytest.raises(InvalidInputError, match=r"column 'a' is numeric but row 0 .* '-': fix"):
        load_dataset(str(write_csv("a,label\n" + dash, name="dash.csv")))


def test_amounts_with_a_currency_sign_are_refused_by_name(write_csv):
    rows = "".join(f'"${1000 + 37 * i:,}",{"xy"[i % 2]}\n' for i in range(60))
    path = write_csv("price,label\n" + rows)
    with pytest.raises(
        InvalidInputError,
        match=r"column 'price' holds amounts written with a currency sign, '\$1,000' at row 0",
    ):
        load_dataset(str(path))
    # one "$1,200" among plain numbers: an IndexError (internal error, exit 1), or the wrong row
    lines = [f"{10.5 + 3.7 * i:.2f},{'xy'[i % 2]}\n" for i in range(40)]
    lines[17] = '"$1,200",y\n'
    one = "".join(lines)
    with pytest.raises(InvalidInputError, match=r"'\$1,200' at row 17 \(file line 19\)"):
        load_dataset(str(write_csv("price,label\n" + one, name="one.csv")))


def test_a_parquet_files_saved_index_is_a_column_and_a_duration_is_seconds(tmp_path, caplog):
    import pandas as pd

    n = 40
    frame = pd.DataFrame(
        {
            "f": [(i * 7) % 11 for i in range(n)],
            "wait": pd.to_timedelta([i % 9 for i in range(n)], unit="min"),
            "label": ["pq"[i % 2] for i in range(n)],
        },
        index=pd.Index([f"r{i}" for i in range(n)], name="rowname"),  # R's row names
    )
    frame.to_parquet(tmp_path / "named.parquet")  # the index is stored as column 'rowname'
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(tmp_path / "named.parquet"))
    assert "text column 'rowname' has 40 distinct values in 40 rows" in caplog.text
    assert ds.feature_names == ("f", "wait")  # the row names left out; one duration column
    assert ds.encoding.columns[1].kind == "numeric"
    assert sorted(set(ds.x[:, 1].tolist())) == [60.0 * k for k in range(9)]


def test_a_feature_that_holds_the_parts_of_a_split_is_named_with_the_flag(write_csv, caplog):
    """A column 'split' of train/dev/test read as a feature with no word (an 'id' one is
    warned of): the model learned each row's part, and another split was drawn."""
    rows = "".join(
        f"{i},{['train', 'Validation', 'test'][i % 3]},{'ab'[i % 2]}\n" for i in range(60)
    )
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv("a,part,label\n" + rows)))
    assert (
        "column 'part' holds the parts train/dev/test: it is read as a feature, and a split of "
        "orthotune's own is drawn; give --split-col part to keep the file's split (or --drop "
        "part)" in caplog.text
    )
    caplog.clear()
    colours = "".join(f"{i},{['train', 'red'][i % 2]},{'ab'[i % 2]}\n" for i in range(60))
    with caplog.at_level("WARNING", logger="orthotune.data"):  # 'red' is no part: no word
        load_dataset(str(write_csv("a,kind,label\n" + colours)))
    assert "holds the parts" not in caplog.text


def test_an_infinite_array_value_names_no_drop_option(tmp_path):
    """An NPZ file's inf said "or --drop 'x[0,3]'", an option NPZ files and predict refuse."""
    from orthotune.data import dataset_from_arrays

    x = np.zeros((6, 2, 5))
    x[5, 0, 3] = np.inf
    y = np.array([0, 1] * 3)
    np.savez(tmp_path / "sig.npz", x=x, y=y)
    loads = (lambda: load_dataset(str(tmp_path / "sig.npz")), lambda: dataset_from_arrays(x, y))
    for load in loads:
        with pytest.raises(InvalidInputError, match=r"x\[0,3\].*with finite numbers$") as err:
            load()
        assert "--drop" not in str(err.value)


def test_series_of_unequal_length_saved_as_objects_are_told_to_pad_with_nan(tmp_path):
    """aeon gives unequal-length series as a list of arrays; saved, NumPy makes an object
    array, and the line said only "no Python objects"."""
    ragged = np.empty(3, dtype=object)
    ragged[:] = [np.zeros((1, 5)), np.zeros((1, 7)), np.zeros((1, 6))]
    np.savez(tmp_path / "ragged.npz", x=ragged, y=np.array([0, 1, 0]))
    with pytest.raises(InvalidInputError, match=r"pad the shorter ones with NaN to one length"):
        load_dataset(str(tmp_path / "ragged.npz"))
