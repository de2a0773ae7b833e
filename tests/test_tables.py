"""The CSV dialect every reader of the package uses: delimiter and decimal mark, read from
the first lines of real files."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune._tables import CsvDialect, csv_dialect, read_columns, read_table


def _frame(n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": [0.5 + i / 7 for i in range(n)],
            "b": [-1.25 * i for i in range(n)],
            "kind": ["red, dark" if i % 3 else "blue; light" for i in range(n)],
            "label": ["yes" if i % 2 else "no" for i in range(n)],
        }
    )


@pytest.mark.parametrize(
    ("sep", "decimal"),
    [(",", "."), (";", ","), (";", "."), ("\t", "."), ("\t", ","), ("|", ".")],
)
def test_each_dialect_a_spreadsheet_writes_is_read_back(tmp_path, sep, decimal):
    frame = _frame()
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False, sep=sep, decimal=decimal)
    assert csv_dialect(path) == CsvDialect(sep, decimal)
    back = read_table(path, what="table")
    pd.testing.assert_frame_equal(back, frame)


def test_a_comma_file_with_delimiters_inside_quoted_text_stays_comma(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,kind,label\n1,"x;y|z",p\n2,"u;v|w",q\n')
    assert csv_dialect(path) == CsvDialect()


def test_integers_keep_the_decimal_point_and_a_ragged_file_keeps_its_headers_delimiter(tmp_path):
    ints = tmp_path / "ints.csv"
    ints.write_text("a;b;label\n1;2;p\n3;4;q\n")
    assert csv_dialect(ints) == CsvDialect(";", ".")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a;b;label\n1;2\n3;4;q;5\n")
    assert csv_dialect(ragged) == CsvDialect(";")  # the reader then names the ragged line
    one = tmp_path / "one.csv"
    one.write_text("label\np\nq\n")
    assert csv_dialect(one) == CsvDialect()


def test_a_sample_cut_mid_line_and_binary_bytes_do_not_mislead(tmp_path):
    big = tmp_path / "big.csv"
    _frame(5000).to_csv(big, index=False, sep=";", decimal=",")
    assert big.stat().st_size > 1 << 16  # the sample ends inside a line
    assert csv_dialect(big) == CsvDialect(";", ",")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    assert csv_dialect(binary) == CsvDialect()  # the reader, not the sniffer, will refuse it


def test_a_small_table_of_scores_may_be_semicolon_separated(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("set;error\ntrain;1%\ndev;5%\n")
    assert read_columns(path, what="errors table") == {
        "set": ["train", "dev"],
        "error": ["1%", "5%"],
    }
    path.write_text("set;error\ntrain;1%\ndev\n")
    with pytest.raises(InvalidInputError, match=r"line 3 has 1 cells but the header has 2"):
        read_columns(path, what="errors table")


def test_a_windows_1252_file_is_read_as_such_and_utf8_stays_utf8(tmp_path):
    frame = pd.DataFrame({"city": ["café", "zürich", "naïve"], "x": [1.5, 2.5, 3.5]})
    windows = tmp_path / "w.csv"
    frame.to_csv(windows, index=False, sep=";", decimal=",", encoding="cp1252")
    assert csv_dialect(windows) == CsvDialect(";", ",", "cp1252")
    pd.testing.assert_frame_equal(read_table(windows, what="table"), frame)
    utf8 = tmp_path / "u.csv"
    frame.to_csv(utf8, index=False, encoding="utf-8-sig")  # with a byte-order mark
    assert csv_dialect(utf8) == CsvDialect()
    assert read_columns(utf8, what="table")["city"] == ["café", "zürich", "naïve"]


def test_excels_unicode_text_and_its_sep_line_are_read_as_excel_meant_them(tmp_path):
    frame = pd.DataFrame({"city": ["café", "zürich", "naïve"], "x": [1.5, 2.5, 3.5]})
    unicode_text = tmp_path / "u16.csv"  # Excel's "Unicode text": tab-separated UTF-16
    frame.to_csv(unicode_text, index=False, sep="\t", encoding="utf-16")
    assert csv_dialect(unicode_text) == CsvDialect("\t", ".", "utf-16")
    assert csv_dialect(unicode_text).describe() == "tab-separated, UTF-16 text"
    pd.testing.assert_frame_equal(read_table(unicode_text, what="table"), frame)
    named = tmp_path / "sep.csv"  # Excel's first line naming the delimiter
    named.write_text("sep=;\n" + frame.to_csv(index=False, sep=";", decimal=","))
    assert csv_dialect(named) == CsvDialect(";", ",", "utf-8", skip=1, preamble="sep=;\n")
    pd.testing.assert_frame_equal(read_table(named, what="table"), frame)


def test_a_title_line_above_the_header_is_named_in_the_message(tmp_path):
    from orthotune.data import load_dataset

    path = tmp_path / "titled.csv"
    path.write_text("My survey results\n" + _frame().to_csv(index=False))
    with pytest.raises(InvalidInputError, match=r"its first line holds one cell: if a title"):
        load_dataset(str(path))


@pytest.mark.parametrize("compression", [".gz", ".bz2", ".xz"])
def test_a_compressed_csv_file_is_sniffed_and_read_through_its_compression(tmp_path, compression):
    from orthotune._tables import table_suffix

    frame = _frame()
    path = tmp_path / f"d.csv{compression}"
    frame.to_csv(path, index=False, sep=";", decimal=",")  # pandas compresses by the name
    assert table_suffix(path) == ".csv" and table_suffix(tmp_path / "d.tar.gz") == ".gz"
    assert csv_dialect(path) == CsvDialect(";", ",")
    pd.testing.assert_frame_equal(read_table(path, what="table"), frame)
    assert read_columns(path, what="table")["label"] == frame["label"].tolist()


def test_a_damaged_compressed_file_is_one_line(tmp_path):
    path = tmp_path / "d.csv.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(InvalidInputError, match=r"d.csv.gz' cannot be read"):
        read_table(path, what="table")


def test_a_damaged_small_table_is_one_line_too(tmp_path):
    path = tmp_path / "scores.csv.gz"
    path.write_bytes(b"\x1f\x8b broken")
    with pytest.raises(InvalidInputError, match=r"errors table '.*scores.csv.gz' cannot be read"):
        read_columns(path, what="errors table")


def test_a_space_separated_file_is_read_with_its_quotes_aligned_columns_and_rs_row_names(tmp_path):
    frame = _frame().drop(columns="kind").assign(city=["New York", "Rio de Janeiro"] * 10)
    spaced = tmp_path / "spaced.csv"
    frame.to_csv(spaced, index=False, sep=" ")  # "New York" quoted
    assert csv_dialect(spaced) == CsvDialect(" ")
    pd.testing.assert_frame_equal(read_table(spaced, what="table"), frame)
    aligned = tmp_path / "aligned.csv"
    aligned.write_text("     a      b  label\n   1,5  -2,5      p\n  10,0   3,0      q\n")
    assert csv_dialect(aligned) == CsvDialect(" ", ",")
    assert read_table(aligned, what="table")["b"].tolist() == [-2.5, 3.0]
    r_table = tmp_path / "r.csv"  # R's write.table: row names under no header cell
    r_table.write_text('"a" "label"\n"1" 0.5 "p"\n"2" 1.5 "q"\n')
    assert read_columns(r_table, what="scores") == {"a": ["0.5", "1.5"], "label": ["p", "q"]}
    assert read_table(r_table, what="table")["label"].tolist() == ["p", "q"]
    words = tmp_path / "words.csv"  # one column of words, or a ragged comma file: not spaces
    words.write_text("label\nvery good\nbad\n")
    assert csv_dialect(words) == CsvDialect()
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a b,label\n1 2,p\n3 4\n")
    assert csv_dialect(ragged) == CsvDialect()


def test_r_write_table_row_names_do_not_shift_the_label(tmp_path):
    """R's write.table writes a row name before each line's fields: the label, re-read as
    written by position, was its left neighbour's cells (classes blue/green/red, not no/yes)."""
    from orthotune.data import load_dataset

    g = np.random.default_rng(0)
    a = g.normal(size=60).round(3)
    colour = g.choice(["red", "green", "blue"], 60)
    label = np.where(a > 0, "yes", "no")
    lines = ['"a" "grp" "label"'] + [
        f'"{i + 1}" {a[i]} "{colour[i]}" "{label[i]}"' for i in range(60)
    ]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(str(tmp_path / "r.csv"))
    assert list(ds.class_names) == ["no", "yes"]
    assert [ds.class_names[k] for k in ds.y.tolist()] == label.tolist()
    (tmp_path / "empty.csv").write_text('"a" "grp" "label"\n')  # a header alone: no crash
    with pytest.raises(InvalidInputError):
        load_dataset(str(tmp_path / "empty.csv"))


def test_a_delimiter_ending_every_data_line_does_not_shift_the_columns(tmp_path):
    """Rows written 'a,grp,label,' under a header 'a,grp,label': pandas made 'a' the index and
    every column read its right neighbour's cells — 'label' the empty last field, refused as
    empty in every row."""
    from orthotune.data import load_dataset

    g = np.random.default_rng(0)
    a = g.normal(size=60).round(3)
    colour = g.choice(["red", "green", "blue"], 60)
    label = np.where(a > 0, "yes", "no")
    frame = pd.DataFrame({"a": a, "grp": colour, "label": label})
    frame.to_csv(tmp_path / "clean.csv", index=False)
    for sep in (",", ";"):
        rows = [f"{a[i]}{sep}{colour[i]}{sep}{label[i]}{sep}" for i in range(60)]
        written = sep.join(frame.columns) + "\n" + "\n".join(rows)
        (tmp_path / "trail.csv").write_text(written)
        assert csv_dialect(tmp_path / "trail.csv") == CsvDialect(sep, trailing=True)
        with gzip.open(tmp_path / "trail.csv.gz", "wt") as handle:  # compressed: the same
            handle.write(written)
        clean = load_dataset(str(tmp_path / "clean.csv"))
        for name in ("trail.csv", "trail.csv.gz"):
            trail = load_dataset(str(tmp_path / name))
            assert torch.equal(clean.x, trail.x) and torch.equal(clean.y, trail.y), (sep, name)
            assert trail.feature_names == clean.feature_names
    # a row name before each line (R) is not a trailing delimiter: its last field is a label
    r_rows = [f"r{i},{a[i]},{colour[i]},{label[i]}" for i in range(60)]
    (tmp_path / "r.csv").write_text("a,grp,label\n" + "\n".join(r_rows) + "\n")
    r = load_dataset(str(tmp_path / "r.csv"))
    assert [r.class_names[k] for k in r.y.tolist()] == label.tolist()


def test_a_space_separated_file_trains_like_its_comma_copy(tmp_path):
    from orthotune.data import load_dataset

    frame = _frame(60).drop(columns="kind")
    frame.to_csv(tmp_path / "comma.csv", index=False)
    frame.to_csv(tmp_path / "space.csv", index=False, sep=" ")
    comma, space = (load_dataset(str(tmp_path / f"{n}.csv")) for n in ("comma", "space"))
    assert torch.equal(comma.x, space.x) and torch.equal(comma.y, space.y)
    assert space.feature_names == comma.feature_names == ("a", "b")


def test_a_small_table_with_decimal_commas_reads_its_numbers_with_points(tmp_path):
    path = tmp_path / "classifiers.csv"  # was "accuracy of A '0,9' is not a rate"
    path.write_text("name;accuracy;latency_ms\nA;0,9;50\nB;91,5%;80,5\nC,x;0,95;1,5e3\n")
    cells = read_columns(path, what="table")
    assert cells["accuracy"] == ["0.9", "91.5%", "0.95"]
    assert cells["latency_ms"] == ["50", "80.5", "1.5e3"]
    assert cells["name"] == ["A", "B", "C,x"]  # text keeps its commas
    only_percent = tmp_path / "percent.csv"  # no other cell says the decimal mark is a comma
    only_percent.write_text("\ufeffclassifier;accuracy;latency_ms\r\nA;94,5%;70\r\nB;95,0%;95\r\n")
    assert read_columns(only_percent, what="table")["accuracy"] == ["94.5%", "95.0%"]
