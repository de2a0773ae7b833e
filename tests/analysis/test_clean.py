from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from orthotune._errors import InvalidInputError
from orthotune.analysis import (
    MANY_SUSPECTS,
    FitRecipe,
    apply_cleaning,
    check_out_dir,
    find_issues,
)
from orthotune.data import LoadOptions, load_dataset
from tests.analysis.conftest import blobs

FAST = FitRecipe(steps=100, batch_size=32)


@pytest.fixture(scope="module")
def noisy_csv(tmp_path_factory):
    data, flipped, _ = blobs(n=180, flip=0.1, seed=5)
    folder = tmp_path_factory.mktemp("in")
    frame = pd.DataFrame(data.x.numpy(), columns=list(data.feature_names))
    frame["label"] = [data.class_names[int(k)] for k in data.y]
    path = folder / "noisy.csv"
    frame.to_csv(path, index=False)
    loaded = load_dataset(str(path), LoadOptions())
    issues = find_issues(loaded, method="confident", recipe=FAST)
    return path, loaded, issues, flipped


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_remove_writes_cleaned_copy_and_audit_never_the_input(noisy_csv, tmp_path):
    path, data, issues, flipped = noisy_csv
    before = _digest(path)
    outcome = apply_cleaning(data, issues, data=str(path), apply="remove", out=tmp_path / "o")
    assert _digest(path) == before
    cleaned = pd.read_csv(outcome.cleaned_path)
    assert len(cleaned) == len(data) - len(issues.suspects)
    assert outcome.removed == len(issues.suspects) > 0
    audit = pd.read_csv(outcome.audit_path, dtype=str, keep_default_na=False)
    assert list(audit.columns) == ["id", "old_label", "new_label", "action", "method", "score"]
    assert (audit.action == "removed").all() and (audit.new_label == "").all()
    assert set(audit.id) == {s.id for s in issues.suspects}
    assert (tmp_path / "o" / "label_issues.json").is_file()
    # most removed rows were planted flips
    removed_rows = [s.index for s in issues.suspects]
    assert flipped[removed_rows].mean() >= 0.8


def test_relabel_rewrites_only_the_suspects_labels(noisy_csv, tmp_path):
    path, data, issues, _ = noisy_csv
    outcome = apply_cleaning(data, issues, data=str(path), apply="relabel", out=tmp_path / "o")
    original = pd.read_csv(path)
    cleaned = pd.read_csv(outcome.cleaned_path)
    assert len(cleaned) == len(original)
    changed = np.flatnonzero(cleaned.label.to_numpy() != original.label.to_numpy())
    assert sorted(changed.tolist()) == sorted(s.index for s in issues.suspects)
    for s in issues.suspects:
        assert cleaned.label[s.index] == s.suggested_label
    assert outcome.relabeled == len(issues.suspects)


def test_npz_copy_loads_back(tmp_path):
    data, _, _ = blobs(n=120, flip=0.1, seed=2)
    src = tmp_path / "in" / "d.npz"
    src.parent.mkdir()
    np.savez(src, x=data.x.numpy(), y=np.array(data.class_names)[data.y.numpy()])
    loaded = load_dataset(str(src))
    issues = find_issues(loaded, method="cluster", recipe=FAST)
    outcome = apply_cleaning(loaded, issues, data=str(src), apply="remove", out=tmp_path / "o")
    back = load_dataset(outcome.cleaned_path)
    assert len(back) == len(loaded) - len(issues.suspects)
    kept = sorted(set(range(len(loaded))) - {s.index for s in issues.suspects})
    assert back.ids.tolist() == loaded.ids[kept].tolist()


def test_apply_without_out_is_refused():
    with pytest.raises(
        InvalidInputError, match="--apply remove writes a cleaned copy and needs --out"
    ):
        check_out_dir("data.csv", None, apply="remove")


def test_out_equal_to_input_directory_or_file_is_refused(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,label\n1,x\n")
    with pytest.raises(InvalidInputError, match="is the directory of the input"):
        check_out_dir(str(data), tmp_path, apply="remove")
    with pytest.raises(InvalidInputError, match="is the input file itself"):
        check_out_dir(str(data), data, apply="relabel")


def test_unknown_apply_mode_is_refused():
    with pytest.raises(InvalidInputError, match="--apply 'fix' is not accepted"):
        check_out_dir("d.csv", "o", apply="fix")


def test_out_holding_an_earlier_clean_or_any_file_is_refused(tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "audit.csv").write_text("id\n")
    with pytest.raises(InvalidInputError, match=r"already holds audit\.csv; accepted: a new or"):
        check_out_dir("in/d.csv", tmp_path / "o", apply="remove")
    (tmp_path / "mine").mkdir()  # the user's own files: this clean's would be mixed among them
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    with pytest.raises(InvalidInputError, match=r"already holds thesis\.tex; accepted: a new or"):
        check_out_dir("in/d.csv", tmp_path / "mine", apply="none")
    (tmp_path / "empty").mkdir()
    assert check_out_dir("in/d.csv", tmp_path / "empty", apply="none") == (tmp_path / "empty")


def test_the_cleaned_copy_of_a_semicolon_file_keeps_its_dialect(noisy_csv, tmp_path):
    from orthotune._tables import CsvDialect, csv_dialect

    path, data, issues, _ = noisy_csv
    euro = tmp_path / "euro.csv"
    pd.read_csv(path).to_csv(euro, index=False, sep=";", decimal=",")
    outcome = apply_cleaning(data, issues, data=str(euro), apply="remove", out=tmp_path / "o")
    assert csv_dialect(outcome.cleaned_path) == CsvDialect(";", ",")
    cleaned = pd.read_csv(outcome.cleaned_path, sep=";", decimal=",")
    kept = np.setdiff1d(np.arange(len(data)), [s.index for s in issues.suspects])
    pd.testing.assert_frame_equal(cleaned, pd.read_csv(path).iloc[kept].reset_index(drop=True))


def test_the_cleaned_copy_of_an_excel_utf8_file_keeps_its_byte_order_mark(noisy_csv, tmp_path):
    path, data, issues, _ = noisy_csv
    excel = tmp_path / "excel.csv"  # Excel's "CSV UTF-8": without its BOM, Excel shows ZÃ¼rich
    pd.read_csv(path).to_csv(excel, index=False, encoding="utf-8-sig")
    outcome = apply_cleaning(data, issues, data=str(excel), apply="remove", out=tmp_path / "o")
    assert Path(outcome.cleaned_path).read_bytes().startswith(b"\xef\xbb\xbf")
    plain = apply_cleaning(data, issues, data=str(path), apply="remove", out=tmp_path / "p")
    assert not Path(plain.cleaned_path).read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_cleaned_copy_keeps_the_files_header_line_ends_and_sep_line(noisy_csv, tmp_path):
    # a sweep's copy of a file whose lines end with a delimiter gained a header cell
    # "Unnamed: 4", lost its "sep=;" line and turned CRLF into LF
    path, data, issues, _ = noisy_csv
    lines = path.read_text().splitlines()
    windows = tmp_path / "windows.csv"
    windows.write_bytes(
        ("sep=;\r\n" + "".join(line.replace(",", ";") + ";\r\n" for line in lines)).encode()
    )
    outcome = apply_cleaning(data, issues, data=str(windows), apply="remove", out=tmp_path / "o")
    removed = {s.index + 1 for s in issues.suspects}  # line 0 is the header
    kept = [line.replace(",", ";") + ";" for i, line in enumerate(lines) if i not in removed]
    assert (
        removed
        and Path(outcome.cleaned_path).read_bytes()
        == ("sep=;\r\n" + "".join(line + "\r\n" for line in kept)).encode()
    )


@pytest.mark.parametrize(
    ("suffix", "written"), [(".tsv", ".tsv"), (".pq", ".pq"), (".csv.gz", ".csv")]
)
def test_a_tsv_pq_or_gz_file_is_cleaned_into_a_copy_of_its_kind(
    noisy_csv, tmp_path, suffix, written
):
    path, _, _, _ = noisy_csv
    frame = pd.read_csv(path)
    other = tmp_path / f"noisy{suffix}"
    if suffix == ".pq":
        frame.to_parquet(other, index=False)
    else:
        frame.to_csv(other, index=False, sep="\t" if suffix == ".tsv" else ",")
    data = load_dataset(str(other), LoadOptions())
    issues = find_issues(data, method="confident", recipe=FAST)
    outcome = apply_cleaning(data, issues, data=str(other), apply="remove", out=tmp_path / "o")
    assert outcome.cleaned_path == str(tmp_path / "o" / f"cleaned{written}")  # uncompressed
    back = load_dataset(outcome.cleaned_path, LoadOptions())
    assert len(back) == len(data) - len(issues.suspects)


def test_a_capitalised_label_column_found_by_the_loader_is_the_one_relabeled(noisy_csv, tmp_path):
    path, _, _, _ = noisy_csv
    frame = pd.read_csv(path).rename(columns={"label": "Label"})
    other = tmp_path / "caps.csv"
    frame.to_csv(other, index=False)
    data = load_dataset(str(other), LoadOptions())  # no --target: "Label" is found
    issues = find_issues(data, method="confident", recipe=FAST)
    outcome = apply_cleaning(data, issues, data=str(other), apply="relabel", out=tmp_path / "o")
    cleaned = pd.read_csv(outcome.cleaned_path)
    assert list(cleaned.columns) == list(frame.columns) and outcome.relabeled > 0
    changed = np.flatnonzero(cleaned["Label"].to_numpy() != frame["Label"].to_numpy())
    assert sorted(changed.tolist()) == sorted(s.index for s in issues.suspects)


def test_rows_without_a_label_stay_untouched_and_the_suspects_rows_are_the_files(
    noisy_csv, tmp_path
):
    path, _, _, _ = noisy_csv
    frame = pd.read_csv(path)
    # three rows to predict, among the first ones: every later row moves in the data set
    blank = frame.iloc[:3].assign(label=None)
    mixed = pd.concat([blank, frame], ignore_index=True)
    other = tmp_path / "mixed.csv"
    mixed.to_csv(other, index=False)
    data = load_dataset(str(other), LoadOptions())
    issues = find_issues(data, method="confident", recipe=FAST)
    outcome = apply_cleaning(data, issues, data=str(other), apply="relabel", out=tmp_path / "o")
    cleaned = pd.read_csv(outcome.cleaned_path)
    assert len(cleaned) == len(mixed) and cleaned.label[:3].isna().all()
    given, now = mixed.label.fillna("").to_numpy(), cleaned.label.fillna("").to_numpy()
    changed = np.flatnonzero(given != now)
    assert sorted(changed.tolist()) == sorted(s.index + 3 for s in issues.suspects)
    assert outcome.relabeled == len(issues.suspects) > 0
    removed = apply_cleaning(data, issues, data=str(other), apply="remove", out=tmp_path / "r")
    kept = pd.read_csv(removed.cleaned_path)
    assert len(kept) == len(mixed) - len(issues.suspects) and kept.label[:3].isna().all()


@pytest.mark.parametrize("method", ["confident", "cluster"])
def test_a_table_with_missing_values_is_cleaned_its_gaps_filled_as_tune_fills_them(
    noisy_csv, tmp_path, method
):
    path, _, _, flipped = noisy_csv
    frame = pd.read_csv(path)
    feature = frame.columns[0]
    frame.loc[frame.index[::9], feature] = np.nan  # --impute auto leaves these NaN in x
    holey = tmp_path / "holey.csv"
    frame.to_csv(holey, index=False)
    data = load_dataset(str(holey), LoadOptions())
    assert bool(data.x.isnan().any())
    # failed: confident with a NaN loss at step 0, cluster in k-means' refusal of NaN
    issues = find_issues(data, method=method, **({"recipe": FAST} if method == "confident" else {}))
    rows = [s.index for s in issues.suspects]
    assert rows and flipped[rows].mean() >= 0.6  # still finds the planted flips


@pytest.mark.parametrize(("flip", "warned"), [(0.05, False), (0.3, True)])
def test_many_suspects_come_with_a_warning_to_look_before_applying(caplog, flip, warned):
    data, _, _ = blobs(n=300, flip=flip, seed=2)
    with caplog.at_level("WARNING", logger="orthotune.analysis"):
        issues = find_issues(data, method="cluster")
    assert (issues.suspect_rate > MANY_SUSPECTS) is warned
    said = "look mislabeled, more than label noise usually is" in caplog.text
    assert said is warned
    if warned:
        assert f"{len(issues.suspects)} of 300 examples" in caplog.text


def test_a_class_of_one_example_is_refused_not_relabeled():
    from orthotune.data import dataset_from_arrays

    x = np.random.default_rng(0).normal(size=(30, 3))
    unique = dataset_from_arrays(x, np.array([f"u{i}" for i in range(30)]), name="unique.csv")
    # every row its own class: each was "mislabeled" and relabeled to another row's (exit 0)
    with pytest.raises(InvalidInputError, match=r"unique.csv: class 'u0' has 1 example \(and"):
        find_issues(unique, method="confident")
    with pytest.raises(InvalidInputError, match=r"\(and 29 more such classes\)"):
        find_issues(unique)


def test_a_long_tails_single_examples_are_left_unjudged_with_a_warning(caplog):
    data, _, _ = blobs(120, classes=3, flip=0.0)
    y = data.y.clone()
    y[:2] = torch.tensor([3, 4])  # two classes of one example each, beside three of 40
    tail = dataclasses.replace(data, y=y, class_names=(*data.class_names, "rare1", "rare2"))
    with caplog.at_level("WARNING", logger="orthotune"):
        issues = find_issues(tail, method="confident", recipe=FitRecipe(steps=200))
    # no test rows here (clean judges every row): the warning names none
    assert "class 'rare1' has 1 example (and 1 more such classes)" in caplog.text
    assert "those examples are not judged" in caplog.text
    assert {s.index for s in issues.suspects}.isdisjoint({0, 1})
    assert issues.num_examples == 120 and issues.judged == 118  # the rate's denominator
    assert issues.suspect_rate == len(issues.suspects) / 118


def test_a_class_losing_a_quarter_of_its_examples_is_named_in_a_warning(caplog):
    """A sweep's imbalanced table (9.4 % spam, no flipped label): 128 of 275 spam rows flagged,
    4.7 % of all rows, and no warning — ``--apply remove`` would take half the rare class."""
    from orthotune.analysis._methods import _warn_class_share

    data, _, _ = blobs(200, classes=2, flip=0.0)
    y = data.y.numpy()
    counts = np.bincount(y, minlength=2)
    rare = [int(i) for i in np.flatnonzero(y == 1)]
    common = [int(i) for i in np.flatnonzero(y == 0)]
    with caplog.at_level("WARNING", logger="orthotune"):
        _warn_class_share(data, _issues(data, dict.fromkeys(rare[:30], "c0")), counts)
    share = 100 * 30 / counts[1]
    assert f"30 of the {counts[1]} examples labelled 'c1' ({share:.0f} %) look mislabeled" in (
        caplog.text
    )
    caplog.clear()
    few = dict.fromkeys(rare[:9], "c0")  # 9 of a class: below the count that makes a warning
    many = dict.fromkeys(common[: int(0.2 * counts[0])], "c1")  # a fifth: below the share
    with caplog.at_level("WARNING", logger="orthotune"):
        _warn_class_share(data, _issues(data, {**few, **many}), counts)
    assert "look mislabeled" not in caplog.text


def _issues(data, picks: dict[int, str]):
    """Suspects at the data set's rows ``picks`` (row → suggested class), as a method finds."""
    from orthotune.analysis import LabelIssues, Suspect

    names = list(data.class_names)
    suspects = [
        Suspect(id=str(data.ids[i]), index=i, given_label=names[int(data.y[i])],
                suggested_label=new, score=0.9)
        for i, new in picks.items()
    ]  # fmt: skip
    return LabelIssues(method="test", num_examples=len(data), class_names=names, suspects=suspects)


def test_a_csv_copy_keeps_every_other_cell_as_the_file_writes_it(tmp_path):
    """Leading zeros, 'NA' / 'None' text, an integer column with a blank, a leading space and a
    class spelled 'red ' came back as 37, empty cells, 1.0, 'padded' and a new class 'red'."""
    rng = np.random.default_rng(0)
    lines = ["zip,country,visits,note,x,label"]
    for i in range(40):
        label = "" if i == 5 else ("red " if i % 2 else "white")  # row 5: no label (left out)
        visits = "" if i % 7 == 0 else str(i % 9)
        lines.append(f"{i * 37:05d},{['NA', 'None', 'US'][i % 3]},{visits},"
                     f"{' padded' if i % 4 else 'plain'},{rng.normal():.2f},{label}")  # fmt: skip
    src = tmp_path / "in" / "d.csv"
    src.parent.mkdir()
    src.write_text("\n".join(lines) + "\n")
    data = load_dataset(str(src), LoadOptions(target="label"))
    assert list(data.class_names) == ["red", "white"]
    # data-set row 9 is file row 10 (row 5 has no label): relabelled; row 2 removed
    issues = _issues(data, {9: "red", 2: "red"})
    outcome = apply_cleaning(data, issues, data=str(src), apply="relabel", out=tmp_path / "r")
    want = list(lines)
    for row in (2, 10):  # file rows (data rows + the header line)
        want[row + 1] = want[row + 1][: -len("white")] + "red "
    assert Path(outcome.cleaned_path).read_text().splitlines() == want
    outcome = apply_cleaning(data, issues, data=str(src), apply="remove", out=tmp_path / "d")
    assert outcome.removed == 2
    kept = [line for k, line in enumerate(lines) if k - 1 not in (2, 10)]
    assert Path(outcome.cleaned_path).read_text().splitlines() == kept


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_true_false_labels_are_relabelled_in_kind(tmp_path, kind):
    """A True/False label column: pd.to_numeric('False') was an internal error, after an audit
    saying 'relabeled' had been written."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=30), "label": np.arange(30) % 3 == 0})
    src = tmp_path / "in" / f"d.{kind}"
    src.parent.mkdir()
    frame.to_csv(src, index=False) if kind == "csv" else frame.to_parquet(src, index=False)
    data = load_dataset(str(src), LoadOptions(target="label"))
    given = data.class_names[int(data.y[4])]
    flipped = next(c for c in data.class_names if c != given)
    outcome = apply_cleaning(data, _issues(data, {4: flipped}), data=str(src), apply="relabel",
                             out=tmp_path / "o")  # fmt: skip
    back = (
        pd.read_csv(outcome.cleaned_path)
        if kind == "csv"
        else pd.read_parquet(outcome.cleaned_path)
    )
    assert back.label.dtype == bool
    assert np.flatnonzero(back.label != frame.label).tolist() == [4]


def test_a_parquet_copy_keeps_its_saved_index_and_its_label_type(tmp_path):
    """A named index (sample ids) was dropped from the copy; a category label came back str."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=30), "label": pd.Categorical(["x", "y", "z"] * 10)})
    frame.index = pd.Index([f"S{i:03d}" for i in range(30)], name="sample_id")
    src = tmp_path / "in" / "d.parquet"
    src.parent.mkdir()
    frame.to_parquet(src)
    data = load_dataset(str(src), LoadOptions(target="label", drop=["sample_id"]))
    issues = _issues(data, {0: "y"})
    back = pd.read_parquet(apply_cleaning(data, issues, data=str(src), apply="relabel",
                                          out=tmp_path / "r").cleaned_path)  # fmt: skip
    assert back.index.name == "sample_id" and back.index.tolist() == frame.index.tolist()
    assert back.label.dtype == "category" and back.label.iloc[0] == "y"
    back = pd.read_parquet(apply_cleaning(data, issues, data=str(src), apply="remove",
                                          out=tmp_path / "d").cleaned_path)  # fmt: skip
    assert back.index.tolist() == frame.index[1:].tolist()


def test_an_npz_copy_keeps_its_own_arrays(tmp_path):
    """The copy was the prepared data: NaN filled in, float64 → float32, int labels → text,
    'X' → 'x'. Now the file's arrays, with 'ids' added so the audit's ids name the rows."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3)) + 1e-9
    x[::7, 1] = np.nan
    y = np.arange(40) % 2
    src = tmp_path / "in" / "d.npz"
    src.parent.mkdir()
    np.savez(src, X=x, y=y)
    data = load_dataset(str(src))
    issues = _issues(data, {3: "0", 8: "1"})
    with np.load(apply_cleaning(data, issues, data=str(src), apply="relabel",
                                out=tmp_path / "r").cleaned_path) as back:  # fmt: skip
        assert sorted(back.files) == ["X", "ids", "y"]
        assert back["X"].dtype == np.float64 and np.array_equal(back["X"], x, equal_nan=True)
        assert back["y"].dtype == y.dtype
        assert np.flatnonzero(back["y"] != y).tolist() == [3, 8]
    with np.load(apply_cleaning(data, issues, data=str(src), apply="remove",
                                out=tmp_path / "d").cleaned_path) as back:  # fmt: skip
        kept = np.setdiff1d(np.arange(40), [3, 8])
        assert np.array_equal(back["X"], x[kept], equal_nan=True)
        assert back["ids"].tolist() == [str(i) for i in kept]
