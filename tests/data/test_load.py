import numpy as np
import pandas as pd
import pytest
import torch

from orthotune import InvalidInputError
from orthotune.data import LoadOptions, TableEncoding, load_dataset
from orthotune.data._load import load_with_report


def test_csv_roles_categorical_and_string_labels(table_csv):
    ds = load_dataset(str(table_csv), LoadOptions(id="id", weight="weight", source="site"))
    assert ds.class_names == ("bird", "cat", "dog")  # sorted strings
    assert ds.y.tolist() == [1, 2, 1, 0, 2, 0]
    assert ds.ids.tolist() == ["a", "b", "c", "d", "e", "f"]
    assert ds.weights.tolist() == [1.0, 2.0, 0.5, 1.0, 1.0, 3.0]
    assert ds.source.tolist() == ["north", "south"] * 3
    assert ds.feature_names == ("age", "color=blue", "color=green", "color=red")
    assert ds.x.dtype == torch.float32 and ds.x.shape == (6, 4)
    assert ds.x[0].tolist() == [31.0, 0.0, 0.0, 1.0]  # age, then one-hot red
    assert ds.x[1].tolist() == [45.0, 1.0, 0.0, 0.0]
    assert isinstance(ds.encoding, TableEncoding)
    assert ds.encoding.target == "label" and ds.encoding.class_names == ["bird", "cat", "dog"]
    assert [c.kind for c in ds.encoding.columns] == ["numeric", "categorical"]


def test_default_ids_are_row_indices_and_drop_removes_a_column(table_csv):
    ds = load_dataset(str(table_csv), LoadOptions(drop=["id", "weight", "site", "color"]))
    assert ds.ids.tolist() == ["0", "1", "2", "3", "4", "5"]
    assert ds.feature_names == ("age",)
    assert ds.weights is None and ds.source is None and ds.preset_split is None


def test_integer_labels_sort_numerically(write_csv):
    path = write_csv("f,y\n1,10\n2,2\n3,10\n4,2\n5,1\n")
    ds = load_dataset(str(path))  # the target defaults to a column named y
    assert ds.class_names == ("1", "2", "10")
    assert ds.y.tolist() == [2, 1, 2, 1, 0]


def test_split_col_becomes_preset_split(write_csv):
    path = write_csv("f,label,part\n1,a,train\n2,b,TEST\n3,a,\n4,b,dev\n5,a,train-dev\n")
    ds = load_dataset(str(path), LoadOptions(split_col="part"))
    assert ds.preset_split.tolist() == ["train", "test", "", "dev", "train-dev"]
    # the names Hugging Face and Kaggle files give the parts, in any case (were refused)
    path = write_csv("f,label,part\n1,a,Training\n2,b,Validation\n3,a,val\n4,b,testing\n")
    ds = load_dataset(str(path), LoadOptions(split_col="part"))
    assert ds.preset_split.tolist() == ["train", "dev", "dev", "test"]
    assert ds.feature_names == ("f",)


def test_parquet_keeps_types(tmp_path):
    frame = pd.DataFrame(
        {
            "x1": [0.5, 1.5, 2.5, 3.5],
            "flag": [True, False, True, False],
            "kind": ["u", "v", "u", "v"],
            "label": [1, 0, 1, 0],
        }
    )
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    ds = load_dataset(str(path))
    assert ds.class_names == ("0", "1")
    assert ds.feature_names == ("x1", "flag", "kind=u", "kind=v")
    assert ds.x[0].tolist() == [0.5, 1.0, 1.0, 0.0]


def test_a_parquet_categorical_of_numbers_stays_categorical(tmp_path):
    """pandas 3 writes a categorical of integers as plain int64 (its metadata still says
    categorical): read back it was one number column where the frame had categories."""
    frame = pd.DataFrame(
        {
            "x1": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
            "zone": pd.Categorical([3, 7, 3, 9, 7, 9]),
            "label": ["a", "b", "a", "b", "a", "b"],
        }
    )
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    ds = load_dataset(str(path))
    assert ds.feature_names == ("x1", "zone=3", "zone=7", "zone=9")
    assert ds.x[1].tolist() == [1.5, 0.0, 1.0, 0.0]


def test_npz_with_optional_arrays(tmp_path):
    x = np.arange(24, dtype=np.float64).reshape(4, 2, 3)
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x=x,
        y=np.array(["b", "a", "b", "a"]),
        weights=np.array([1.0, 2.0, 1.0, 2.0]),
        source=np.array(["s", "t", "s", "t"]),
        ids=np.array([10, 11, 12, 13]),
    )
    ds = load_dataset(str(path))
    assert ds.input_shape == (2, 3)  # shape kept
    assert ds.x.dtype == torch.float32 and torch.equal(
        ds.x, torch.as_tensor(x, dtype=torch.float32)
    )
    assert ds.class_names == ("a", "b") and ds.y.tolist() == [1, 0, 1, 0]
    assert ds.ids.tolist() == ["10", "11", "12", "13"]
    assert ds.weights.tolist() == [1.0, 2.0, 1.0, 2.0]
    assert ds.source.tolist() == ["s", "t", "s", "t"]


def test_impute_mean_and_median(write_csv):
    path = write_csv("a,b,label\n1,x,p\n,x,q\n3,,p\n10,y,q\n")
    mean = load_dataset(str(path), LoadOptions(impute="mean"))
    assert mean.x[1, 0].item() == pytest.approx((1 + 3 + 10) / 3)
    assert mean.x[2, 1:].tolist() == [1.0, 0.0]  # missing category → most frequent ("x")
    median = load_dataset(str(path), LoadOptions(impute="median"))
    assert median.x[1, 0].item() == 3.0


def test_lenient_load_reports_nonfinite(write_csv):
    path = write_csv("a,b,label\n1,inf,p\n,2,q\n,3,p\n")
    loaded = load_with_report(str(path), allow_nonfinite=True)
    assert loaded.nonfinite.nan == {"a": 2} and loaded.nonfinite.inf == {"b": 1}
    # auto: a's NaN stay for the normalizer, a 0/1 "was missing" column follows a
    assert loaded.dataset.encoding.feature_names == ["a", "a (missing)", "b"]
    assert torch.isnan(loaded.dataset.x[1, 0]) and loaded.dataset.x[1, 1] == 1.0
    assert torch.isinf(loaded.dataset.x[0, 2])


def test_a_semicolon_file_with_decimal_commas_loads_as_its_comma_twin(tmp_path):
    frame = pd.DataFrame(
        {"a": [0.5, -1.25, 2.75, 3.0], "c": ["x", "y", "x", "y"], "label": ["p", "q", "p", "q"]}
    )
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.to_csv(tmp_path / "euro.csv", index=False, sep=";", decimal=",")
    plain = load_dataset(str(tmp_path / "plain.csv"))
    euro = load_dataset(str(tmp_path / "euro.csv"))
    assert euro.feature_names == plain.feature_names == ("a", "c=x", "c=y")
    assert torch.equal(euro.x, plain.x) and torch.equal(euro.y, plain.y)
    # percentages written with a decimal comma ("86,4%") are the numbers "86.4%" is: they were
    # text, distinct in almost every row, left out as an identifier
    rates = ["86.4%", "12.5%", "100%", "7.25%"]
    frame.assign(r=rates).to_csv(tmp_path / "plain_r.csv", index=False)
    euro_rates = "".join(
        f"{a};{c};{r.replace('.', ',')};{y}\n"
        for a, c, r, y in zip(
            ["0,5", "-1,25", "2,75", "3"], frame["c"], rates, frame["label"], strict=True
        )
    )
    (tmp_path / "euro_r.csv").write_text("a;c;r;label\n" + euro_rates)
    plain = load_dataset(str(tmp_path / "plain_r.csv"))
    euro = load_dataset(str(tmp_path / "euro_r.csv"))
    assert euro.feature_names == plain.feature_names == ("a", "c=x", "c=y", "r")
    assert torch.equal(euro.x, plain.x)


def test_a_question_mark_is_a_missing_value(write_csv):
    from orthotune._errors import InvalidInputError

    path = write_csv("a,c,label\n1,x,p\n?,?,q\n3,y,p\n")
    ds = load_dataset(str(path))
    assert ds.feature_names == ("a", "a (missing)", "c=x", "c=y", "c=(missing)")
    assert ds.x[1, 1:].tolist() == [1.0, 0.0, 0.0, 1.0]  # missing in a, and in c
    assert ds.x[1, 0].isnan()  # filled later, from train (the Normalizer)
    with pytest.raises(InvalidInputError, match=r"missing \(NaN\) values in 2 column\(s\)"):
        load_dataset(str(path), LoadOptions(impute="none"))


def test_nameless_columns_a_trailing_delimiter_and_a_saved_index_are_left_out(
    tmp_path, write_csv, caplog
):
    trailing = write_csv(
        "a,b,label,\n" + "".join(f"{i},{i % 3},{'pq'[i % 2]},\n" for i in range(8))
    )
    assert load_dataset(str(trailing)).feature_names == ("a", "b")
    frame = pd.DataFrame({"a": np.arange(25) * 0.5, "label": ["p", "q"] * 12 + ["p"]})
    frame.to_csv(tmp_path / "indexed.csv")  # pandas writes its index as a nameless column
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(tmp_path / "indexed.csv"))
    assert ds.feature_names == ("a",)
    assert "column 'Unnamed: 0' holds 0…24, one number per row (a row id, or the index" in (
        caplog.text
    )
    assert "--drop 'Unnamed: 0' to say so" in caplog.text  # quoted: a shell splits it unquoted
    data = write_csv("a,,label\n" + "".join(f"{i},{i * 7 % 5},{'pq'[i % 2]}\n" for i in range(8)))
    assert load_dataset(str(data), LoadOptions(drop=[])).feature_names == ("a", "Unnamed: 1")


def test_a_gzipped_csv_loads_as_its_plain_twin_and_a_damaged_one_is_one_line(tmp_path):
    from orthotune._errors import InvalidInputError

    frame = pd.DataFrame({"a": [0.5, 1.5, 2.5, 3.5], "label": ["p", "q", "p", "q"]})
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.to_csv(tmp_path / "packed.csv.gz", index=False)
    plain, packed = (load_dataset(str(tmp_path / f)) for f in ("plain.csv", "packed.csv.gz"))
    assert torch.equal(plain.x, packed.x) and packed.class_names == ("p", "q")
    (tmp_path / "bad.csv.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(InvalidInputError, match=r"bad.csv.gz: cannot be read as CSV"):
        load_dataset(str(tmp_path / "bad.csv.gz"))


def test_a_zipped_csv_of_one_file_loads_as_its_plain_twin_and_others_are_one_line(tmp_path):
    import zipfile

    frame = pd.DataFrame({"a": [0.5, 1.5, 2.5, 3.5], "label": ["p", "q", "p", "q"]})
    frame.to_csv(tmp_path / "plain.csv", index=False)
    with zipfile.ZipFile(tmp_path / "train.csv.zip", "w") as archive:  # a Kaggle download
        archive.write(tmp_path / "plain.csv", "train.csv")
    packed = load_dataset(str(tmp_path / "train.csv.zip"))
    assert torch.equal(load_dataset(str(tmp_path / "plain.csv")).x, packed.x)
    with zipfile.ZipFile(tmp_path / "two.csv.zip", "w") as archive:
        archive.writestr("train.csv", "a,label\n1,p\n")
        archive.writestr("test.csv", "a,label\n1,p\n")
    with pytest.raises(InvalidInputError, match=r"two.csv.zip: is a ZIP archive of 2 files \("):
        load_dataset(str(tmp_path / "two.csv.zip"))
    (tmp_path / "bad.csv.zip").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InvalidInputError, match=r"bad.csv.zip: cannot be read as CSV"):
        load_dataset(str(tmp_path / "bad.csv.zip"))
    (tmp_path / "data.zip").write_bytes((tmp_path / "train.csv.zip").read_bytes())
    with pytest.raises(InvalidInputError, match=r"'.zip'; accepted: .*: unzip it and give"):
        load_dataset(str(tmp_path / "data.zip"))


def _mixed_frame(n: int = 60) -> pd.DataFrame:
    """A DataFrame as analysts hold them: categories with gaps, a float column with gaps,
    booleans, times, plain text, an integer column name, a non-default index, and two rows
    without a label."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "city": pd.Categorical(rng.choice(["a", "b", None], n)),
            "income": rng.normal(50, 10, n),
            3: rng.random(n) > 0.5,
            "joined": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "plan": rng.choice(["basic", "pro"], n).astype(object),
            "label": rng.choice(["no", "yes"], n).astype(object),
        },
        index=[f"c{i}" for i in range(n)],
    )
    frame.loc[frame.index[::7], "income"] = np.nan
    frame.loc[frame.index[[5, 9]], "label"] = None
    return frame


def test_a_dataframe_loads_as_the_parquet_file_its_run_keeps(tmp_path):
    from orthotune.data import frame_file

    frame = _mixed_frame()
    before = frame.copy()
    ds = load_dataset(frame, LoadOptions(target="label"))
    assert frame.equals(before)  # the user's frame is not changed
    assert ds.name == "DataFrame" and len(ds) == 58  # the two rows without a label left out
    assert ds.feature_names == (
        "age",
        "city=a",
        "city=b",
        "city=(missing)",
        "income",
        "income (missing)",
        "3",
        "joined",
        "plan=basic",
        "plan=pro",
    )
    assert ds.ids[:6].tolist() == ["0", "1", "2", "3", "4", "6"]  # rows by position, as a file
    kept = load_dataset(
        str(frame_file(frame, tmp_path / "data.parquet")), LoadOptions(target="label")
    )
    assert torch.equal(torch.nan_to_num(kept.x, nan=-1.0), torch.nan_to_num(ds.x, nan=-1.0))
    assert torch.equal(kept.y, ds.y) and kept.ids.tolist() == ds.ids.tolist()
    assert kept.class_names == ds.class_names and kept.feature_names == ds.feature_names


def test_a_frames_category_of_numbers_is_categories_in_the_frame_and_its_runs_file(tmp_path):
    from orthotune.data import frame_file

    rng = np.random.default_rng(0)
    codes = rng.choice([94105, 10001, 60601, 2139], 80)
    frame = pd.DataFrame({"a": rng.normal(size=80), "zip": pd.Categorical(codes)})
    frame["label"] = np.where(np.isin(codes, [94105, 2139]), "yes", "no")
    # declared categories: zip codes were one number, 2139 < 94105 learned as a magnitude
    ds = load_dataset(frame, LoadOptions(target="label"))
    assert ds.feature_names == ("a", "zip=10001", "zip=2139", "zip=60601", "zip=94105")
    kept = load_dataset(str(frame_file(frame, tmp_path / "d.parquet")), LoadOptions(target="label"))
    assert kept.feature_names == ds.feature_names and torch.equal(kept.x, ds.x)
    plain = load_dataset(frame.astype({"zip": "int64"}), LoadOptions(target="label"))
    assert plain.feature_names == ("a", "zip")  # numbers not declared categories stay numbers


def test_a_bad_dataframe_is_one_line_naming_it():
    frame = _mixed_frame().assign(plan=["basic", "pro"] * 29 + ["basic", 2.5])  # a one-off
    with pytest.raises(
        InvalidInputError,
        match=r"^DataFrame: column 'plan' is text but row 59 holds the number '2.5'",
    ):
        load_dataset(frame, LoadOptions(target="label"))
    with pytest.raises(InvalidInputError, match=r"^DataFrame: --target 'y' names a column that"):
        load_dataset(_mixed_frame(), LoadOptions(target="y"))
    with pytest.raises(InvalidInputError, match=r"DATA is a list; accepted: a file path"):
        load_dataset([[1, 2], [3, 4]])


def test_labels_held_as_python_objects_are_labels():
    from orthotune.data import dataset_from_arrays

    x = np.random.default_rng(0).normal(size=(6, 2))
    text = pd.Series(["cat", "dog"] * 3)
    for y in (text.to_numpy(), text.astype("category").to_numpy(), text.astype("string")):
        assert dataset_from_arrays(x, np.asarray(y)).class_names == ("cat", "dog")
    codes = np.array([2, 10] * 3, dtype=object)  # integers sort as numbers: 2 before 10
    assert dataset_from_arrays(x, codes).class_names == ("2", "10")
    gap = np.array(["a", None, "b", "a", "b", "a"], dtype=object)
    with pytest.raises(InvalidInputError, match=r"label column 'y' is empty in 1 row\(s\)"):
        dataset_from_arrays(x, gap)
    lists = np.empty(6, dtype=object)
    lists[:] = [[1, 2]] * 6
    with pytest.raises(InvalidInputError, match=r"array 'y' has dtype object: give integer"):
        dataset_from_arrays(x, lists)


def test_a_frames_durations_are_seconds_and_cells_no_file_holds_are_refused():
    frame = pd.DataFrame(
        {
            "wait": pd.to_timedelta([1, 90, 3600, 5], unit="s"),
            "label": ["p", "q", "p", "q"],
        }
    )
    ds = load_dataset(frame)
    assert ds.feature_names == ("wait",)
    assert ds.x[:, 0].tolist() == [1.0, 90.0, 3600.0, 5.0]  # one number, not 4 categories
    complex_column = pd.DataFrame({"z": np.ones(4) * 1j, "label": list("pqpq")})
    with pytest.raises(InvalidInputError, match=r"column 'z' holds complex numbers"):
        load_dataset(complex_column)
    lists = pd.DataFrame({"tags": [["a"], ["b"], ["a", "b"], []], "label": list("pqpq")})
    with pytest.raises(InvalidInputError, match=r"column 'tags' holds a list at row 0: give one"):
        load_dataset(lists)


def test_a_parquet_files_list_column_is_refused_as_the_frames_is(tmp_path):
    rows = pd.DataFrame({"f": np.arange(8.0), "label": list("pq") * 4})
    rows["emb"] = [np.array([v, -v]) for v in range(8)]  # an embedding per row
    rows.to_parquet(tmp_path / "e.parquet")  # it was read as text and left out (exit 0)
    with pytest.raises(InvalidInputError, match=r"e.parquet: column 'emb' holds a ndarray at row"):
        load_dataset(str(tmp_path / "e.parquet"))


def test_a_frames_sparse_column_is_its_dense_values_in_the_runs_parquet_file(tmp_path):
    from orthotune.data import frame_file

    values = [0.0, 0.0, 2.5, 0.0, 0.0, 1.0]
    frame = pd.DataFrame({"s": pd.arrays.SparseArray(values), "label": list("pqpqpq")})
    kept = load_dataset(str(frame_file(frame, tmp_path / "data.parquet")))  # pyarrow refused it
    assert kept.x[:, 0].tolist() == values == load_dataset(frame).x[:, 0].tolist()


def test_arrays_with_gaps_are_filled_by_default_as_an_npz_files_are(tmp_path):
    from orthotune.data import Normalizer, dataset_from_arrays

    x = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 8.0], [7.0, 6.0]])
    y = np.array([0, 1, 0, 1])
    np.savez(tmp_path / "gaps.npz", x=x, y=y)
    loaded = dataset_from_arrays(x, y).x
    torch.testing.assert_close(loaded, load_dataset(str(tmp_path / "gaps.npz")).x, equal_nan=True)
    assert np.isnan(loaded[0, 1].item())  # left to the Normalizer, fitted on train only
    norm = Normalizer.fit(loaded[1:])  # "train": rows 1–3, whose median of feature 1 is 6
    z = norm.apply(loaded[:1])
    assert z[0, 1].item() == pytest.approx((6.0 - 6.0) / np.std([4.0, 8.0, 6.0]), abs=1e-12)
    with pytest.raises(InvalidInputError, match=r"missing \(NaN\) values"):
        dataset_from_arrays(x, y, impute="none")


def test_signal_gaps_are_filled_from_the_training_examples_only(tmp_path):
    """A NaN-padded series' fill was each position's median over every row of the file, test
    rows included: the same training rows beside other test rows trained another model."""
    from orthotune.data import Normalizer, make_split, prepare

    g = np.random.default_rng(0)
    x = g.normal(size=(100, 1, 16))
    x[:40, 0, 12:] = np.nan  # the training and dev series are 12 long, NaN-padded
    x[:5, 0, 10:12] = np.nan
    split = np.array(["train"] * 32 + ["dev"] * 8 + ["test"] * 60)
    fills = []
    for tail in (0.0, 50.0):  # the test series differ, and only they
        x[40:, 0, 12:] = tail
        np.savez(tmp_path / "s.npz", x=x, y=np.array(["a", "b"] * 50), split=split)
        ds = load_dataset(str(tmp_path / "s.npz"))
        data = prepare(ds, make_split(ds, seed=0))
        fills.append(data.normalizer.fill)
        assert not torch.isnan(data.train.x).any() and not torch.isnan(data.test.x).any()
    assert np.array_equal(fills[0], fills[1])
    expected = np.nanmedian(x[:32, 0, 10], axis=0)  # position 10 over the 32 training rows
    assert fills[0][10] == pytest.approx(expected) and fills[0][12] == 0.0  # none in training
    again = Normalizer.from_state_dict(data.normalizer.state_dict())
    torch.testing.assert_close(again.apply(ds.x[:5]), data.normalizer.apply(ds.x[:5]))


def test_an_array_feature_empty_in_every_example_is_filled_with_zero_quietly(tmp_path):
    import warnings

    from orthotune.data import Normalizer

    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    x[:, 1] = np.nan  # a sensor that never reported
    np.savez(tmp_path / "a.npz", x=x, y=np.array([0, 1] * 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "All-NaN slice" reached the user's terminal
        ds = load_dataset(str(tmp_path / "a.npz"))
        z = Normalizer.fit(ds.x).apply(ds.x)
    assert z[:, 1].tolist() == [0.0] * 6 and ds.x[:, 0].tolist() == x[:, 0].tolist()


def test_a_line_with_too_few_cells_is_named_before_what_it_causes(tmp_path, caplog):
    rows = [f"{i * 0.1:.1f},{i % 3},{'pq'[i % 2]}" for i in range(30)]
    rows[9] = "0.5,yes"  # a value left out: pandas pads the line, the label goes missing
    path = tmp_path / "ragged.csv"
    path.write_text("f1,f2,label\n" + "\n".join(rows) + "\n")
    with (
        caplog.at_level("WARNING", logger="orthotune.data"),
        pytest.raises(InvalidInputError, match=r"column 'f2' is numeric but row 9"),
    ):
        load_dataset(str(path))
    assert "row 9 (file line 11) holds 2 cell(s) where the header names 3" in caplog.text
    caplog.clear()
    rows[9] = "0.5,1,"  # an empty last cell, with its delimiter: no warning
    path.write_text("f1,f2,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(path))
    assert "cell(s) where the header names" not in caplog.text


def test_a_dot_between_thousands_beside_whole_numbers_in_a_semicolon_file_is_warned_about(
    write_csv, caplog
):
    values = ["6.411", "763", "8.476", "12", "1.250", "999"] * 4
    body = "".join(f"{v};{i % 3};{'pq'[i % 2]}\n" for i, v in enumerate(values))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("price;n;label\n" + body, name="eu.csv")))
    price = ds.x[0, list(ds.feature_names).index("price")].item()
    assert price == pytest.approx(6.411)  # read as pandas reads it, but said:
    assert (
        "eu.csv: column 'price' holds '6.411' at row 0 (file line 2) beside '763': read as "
        "6.411; if the dot separates thousands there, write plain numbers (6411), or --drop "
        "price" in caplog.text
    )
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):  # a comma file's dot is a point,
        load_dataset(str(write_csv("price,n,label\n" + body.replace(";", ","), name="c.csv")))
        decimals = body.replace("6.411", "0.411")  # and "0.411" is no grouped number
        load_dataset(str(write_csv("price;n;label\n" + decimals, name="d.csv")))
    assert "separates thousands" not in caplog.text
