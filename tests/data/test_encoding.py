import json

import numpy as np
import pandas as pd
import pytest

from orthotune import InvalidInputError
from orthotune.data import (
    ArrayEncoding,
    LoadOptions,
    TableEncoding,
    describe_left_out,
    encode_array,
    encode_frame,
    load_dataset,
)


def test_saved_encoding_reproduces_training_features(table_csv):
    ds = load_dataset(str(table_csv), LoadOptions(id="id", weight="weight", source="site"))
    saved = json.loads(ds.encoding.model_dump_json())  # what is stored with a model
    encoding = TableEncoding.model_validate(saved)
    frame = pd.read_csv(table_csv, dtype=str)
    assert np.array_equal(encode_frame(frame, encoding), ds.x.numpy())
    # prediction files need not hold the label or any role column; column order is free
    new = pd.DataFrame({"color": ["green", "red"], "age": ["60", "1.5"]})
    assert encode_frame(new, encoding).tolist() == [[60.0, 0.0, 1.0, 0.0], [1.5, 0.0, 0.0, 1.0]]


def test_encode_frame_refuses_missing_columns_and_text_numbers(table_csv):
    ds = load_dataset(str(table_csv), LoadOptions(id="id", weight="weight", source="site"))
    enc = ds.encoding
    with pytest.raises(InvalidInputError, match=r"'color' used in training are missing"):
        encode_frame(pd.DataFrame({"age": [1]}), enc)
    with pytest.raises(InvalidInputError, match=r"column 'age' is numeric but row 1 holds.*'old'"):
        encode_frame(pd.DataFrame({"age": ["1", "old"], "color": ["red", "red"]}), enc)
    none = LoadOptions(id="id", weight="weight", source="site", impute="none")
    strict = load_dataset(str(table_csv), none)
    with pytest.raises(InvalidInputError, match=r"missing \(NaN\).*age \(1\).*--impute"):
        encode_frame(pd.DataFrame({"age": [None, 2.0], "color": ["red", "red"]}), strict.encoding)
    with pytest.raises(InvalidInputError, match=r"'purple', a category not seen in training"):
        frame = pd.DataFrame({"age": [1, 2], "color": ["red", "purple"]})
        encode_frame(frame, strict.encoding, file="p.csv")  # --impute none: strict


def test_new_rows_extra_columns_are_ignored_and_an_unseen_category_is_missing(
    table_csv, write_csv, caplog
):
    ds = load_dataset(str(table_csv), LoadOptions(id="id", weight="weight", source="site"))
    plain = encode_frame(pd.DataFrame({"age": [1, 2], "color": ["red", "blue"]}), ds.encoding)
    new = pd.DataFrame({"height": [9, 9], "color": ["red", "purple"], "age": [1, 2]})
    with caplog.at_level("WARNING", logger="orthotune.data"):
        x = encode_frame(new, ds.encoding, file="p.csv")
    assert x[0].tolist() == plain[0].tolist()  # extra column and order make no difference
    assert x[1].tolist() == [2.0, 0.0, 0.0, 0.0]  # no (missing) category in training: zeros
    assert "p.csv: column(s) ['height'] were not in the training data: ignored" in caplog.text
    assert "column 'color': 1 row(s) hold a category not seen in training ('purple'" in caplog.text
    # a column that had gaps in training has a (missing) category: the unseen value takes it
    gaps = load_dataset(str(write_csv("a,c,label\n1,x,p\n2,,q\n3,y,p\n", name="g.csv")))
    x = encode_frame(pd.DataFrame({"a": [2.0], "c": ["zzz"]}), gaps.encoding)
    assert x.tolist() == [[2.0, 0.0, 0.0, 1.0]]  # a, c=x, c=y, c=(missing)


def test_imputed_encoding_fills_new_data_with_training_values(write_csv):
    path = write_csv("a,c,label\n1,x,p\n,x,q\n5,y,p\n")
    ds = load_dataset(str(path), LoadOptions(impute="mean"))
    fills = {c.name: c.fill for c in ds.encoding.columns}
    assert fills == {"a": 3.0, "c": "x"}
    x = encode_frame(pd.DataFrame({"a": [None], "c": [None]}), ds.encoding)
    assert x.tolist() == [[3.0, 1.0, 0.0]]


def test_array_encoding_round_trip(tmp_path):
    x = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 8.0]])
    path = tmp_path / "a.npz"
    np.savez(path, x=x, y=np.array([0, 1, 0]))
    ds = load_dataset(str(path), LoadOptions(impute="median"))
    assert ds.x[0, 1].item() == 6.0
    enc = ArrayEncoding.model_validate_json(ds.encoding.model_dump_json())
    out, _ = encode_array(np.array([[np.nan, np.nan]]), enc)
    assert out.tolist() == [[3.0, 6.0]]
    with pytest.raises(InvalidInputError, match=r"shape \(3,\) but \(2,\) was expected"):
        encode_array(np.zeros((1, 3)), enc)


def test_impute_auto_adds_indicators_and_a_missing_category_and_fills_on_train(
    write_csv,
):
    import torch

    from orthotune.data import Normalizer, make_split
    from orthotune.data._prepare import prepare

    path = write_csv(
        "a,b,c,label,split\n1,7,x,p,train\n,8,x,q,train\n5,9,,p,train\n3,6,y,q,train\n"
        "100,,y,p,dev\n,5,x,q,test\n"
    )
    ds = load_dataset(str(path), LoadOptions(split_col="split"))  # auto is the default
    enc = ds.encoding
    assert enc.impute == "auto"
    assert enc.feature_names == [
        "a",
        "a (missing)",
        "b",
        "b (missing)",
        "c=x",
        "c=y",
        "c=(missing)",
    ]
    assert enc.filled() == [
        "a: 2 missing → filled from the row's other values, plus a 0/1 'was missing' column",
        "b: 1 missing → filled from the row's other values, plus a 0/1 'was missing' column",
        "c: 1 missing → the category '(missing)'",
    ]
    x = ds.x.numpy()
    assert np.isnan(x[1, 0]) and x[1, 1] == 1.0 and x[0, 1] == 0.0  # NaN left for the normalizer
    assert x[2, 4:].tolist() == [0.0, 0.0, 1.0]
    data = prepare(ds, make_split(ds, seed=0))
    norm = data.normalizer
    # the train median of a is median(1, 5, 3) = 3 — the dev row's 100 takes no part; it starts
    # the conditional fill, whose Gaussian is fitted on the train rows too
    assert norm.fill[0] == 3.0 and norm.fill[2] == 7.5
    assert norm.precision is not None and norm.precision.shape == (7, 7)
    train = ds.x[data.split.train].double().numpy()
    # observed values are only standardized, and no gap is left
    observed = ~np.isnan(train)
    z_train = data.train.x.double().numpy()
    assert np.allclose(z_train[observed], ((train - norm.mean) / norm._scale)[observed], atol=1e-5)
    assert not torch.isnan(data.train.x).any() and not torch.isnan(data.test.x).any()
    again = Normalizer.from_state_dict(json.loads(json.dumps(norm.state_dict())))
    assert again.fill.tolist() == norm.fill.tolist()
    # prediction rows: NaN where training had none (a → the median, no indicator), columns in
    # another order, ignored role columns
    new = pd.DataFrame({"c": [None, "y"], "b": [None, 1.0], "a": [2.0, None], "label": ["p", "q"]})
    out = encode_frame(new, enc)
    assert np.isnan(out[0, 2]) and out[0, 3] == 1.0 and out[0, 4:].tolist() == [0.0, 0.0, 1.0]
    assert out[1, 1] == 1.0 and out[1, 5] == 1.0


def test_the_filled_line_names_the_words_a_column_wrote_for_missing(write_csv):
    # a new user's ResumeNames: 'none' among 'some', '1', '2' … was 2,746 missing values of a
    # file without an empty cell, and the line did not say why
    rows = [("none", "1.5"), ("some", "?"), ("", "2"), ("1", "unknown"), ("none", "3"), ("2", "4")]
    text = "kind,amount,label\n" + "".join(f"{k},{a},{'pq'[i % 2]}\n" for i, (k, a) in
                                           enumerate(rows * 4))  # fmt: skip
    enc = load_dataset(str(write_csv(text)), LoadOptions()).encoding
    assert enc.filled() == [
        "kind: 12 missing (cells written 'none' among them) → the category '(missing)'",
        "amount: 8 missing (cells written '?', 'unknown' among them) → filled from the row's other "
        "values, plus a 0/1 'was missing' column",
    ]


def test_impute_none_still_refuses_missing_values_in_one_line(write_csv):
    path = write_csv("a,label\n1,p\n,q\n3,p\n")
    with pytest.raises(
        InvalidInputError, match=r"missing \(NaN\) values in 1 column\(s\): a \(1\).*--impute auto"
    ):
        load_dataset(str(path), LoadOptions(impute="none"))


def test_a_nan_in_a_column_complete_in_training_gets_the_train_median(write_csv, caplog):
    from orthotune.data import make_split
    from orthotune.data._prepare import prepare

    path = write_csv("a,c,label\n1,x,p\n2,y,q\n3,x,p\n4,y,q\n5,x,p\n6,y,q\n")
    ds = load_dataset(str(path))
    assert ds.encoding.filled() == [] and ds.encoding.feature_names == ["a", "c=x", "c=y"]
    data = prepare(ds, make_split(ds, seed=0))
    train_a = ds.x[data.split.train, 0].numpy()
    out = encode_frame(pd.DataFrame({"a": [None], "c": [None]}), ds.encoding, file="new.csv")
    assert out[0, 1:].tolist() == [0.0, 0.0]  # no category: all zeros
    # filled, and said (a new user's blank annual_income went into a prediction unsaid)
    assert caplog.messages == [
        "new.csv: missing values in column(s) that had none in training: a (1), c (1): filled "
        "as the model fills any (--impute auto)"
    ]
    filled = data.normalizer(torch_tensor(out))[0, 0].item()
    expected = (np.median(train_a) - data.normalizer.mean[0]) / data.normalizer._scale[0]
    assert filled == pytest.approx(expected, abs=1e-5)


def torch_tensor(x):
    import torch

    return torch.from_numpy(x)


def test_an_iso_date_column_is_one_number_of_days_in_training_and_prediction(write_csv):
    path = write_csv(
        "d,t,c,label\n"
        "1970-01-02,2024-03-01T12:00:00Z,x,p\n"
        "1970-01-11,2024-03-01 18:00,x,q\n"
        ",2024-03-02,y,p\n"
        "1971-01-01,2024-03-03T00:00:00+02:00,y,q\n"
    )
    ds = load_dataset(str(path))
    assert [c.kind for c in ds.encoding.columns] == ["date", "date", "categorical"]
    assert ds.feature_names == ("d", "d (missing)", "t", "c=x", "c=y")
    assert ds.x[:, 0].tolist()[:2] == [1.0, 10.0] and ds.x[3, 0].item() == 365.0
    assert ds.x[2, 0].isnan() and ds.x[2, 1].item() == 1.0  # filled from train later
    base = 19783.0  # 2024-03-01 in days since 1970
    assert ds.x[:, 2].tolist() == pytest.approx([base + 0.5, base + 0.75, base + 1, base + 1.9167])
    new = pd.DataFrame({"d": ["1970-01-03"], "t": ["2024-03-01"], "c": ["x"]})
    assert encode_frame(new, ds.encoding)[0, [0, 2]].tolist() == [2.0, base]
    with pytest.raises(
        InvalidInputError, match=r"column 'd' is a date column \(ISO 8601, as in training\) but"
    ):
        encode_frame(new.assign(d=["03/01/1970"]), ds.encoding, file="p.csv")


def test_times_of_day_are_the_days_share_in_training_and_prediction(write_csv):
    times = ["02:30", "19:30:36", "9:00", "23:59:59.5"]  # were one category each
    path = write_csv("at,label\n" + "".join(f"{t},{'pq'[i % 2]}\n" for i, t in enumerate(times)))
    ds = load_dataset(str(path))
    assert [c.kind for c in ds.encoding.columns] == ["date"] and ds.feature_names == ("at",)
    assert ds.x[:, 0].tolist() == pytest.approx([2.5 / 24, 19.51 / 24, 9 / 24, 1 - 0.5 / 86400])
    new = pd.DataFrame({"at": ["12:00"]})
    assert encode_frame(new, ds.encoding)[0, 0] == pytest.approx(0.5)
    with pytest.raises(InvalidInputError, match=r"column 'at' is a date column .* text '25:00'"):
        encode_frame(new.assign(at=["25:00"]), ds.encoding, file="p.csv")


def test_dates_in_other_formats_stay_text_and_the_warning_says_how_to_write_them(write_csv, caplog):
    # every day and month 12 or less: March or January? (an order the values tell is read below)
    rows = "".join(
        f"{m:02d}/{d:02d}/2024,{d},{'pq'[d % 2]}\n" for m in range(1, 13) for d in range(1, 13)
    )
    path = write_csv("d,n,label\n" + rows)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert ds.feature_names == ("n",) and "d" in ds.encoding.ignored
    assert "dates not in ISO 8601?): left out" in caplog.text
    assert "write dates as YYYY-MM-DD" in caplog.text
    with pytest.raises(InvalidInputError, match=r"no feature column is left: 'd'.*YYYY-MM-DD"):
        only = "".join(f"{line.split(',')[0]},{line.split(',')[2]}\n" for line in rows.split())
        load_dataset(str(write_csv("d,label\n" + only, name="d.csv")))


def test_dates_whose_values_tell_day_from_month_are_dates_in_training_and_prediction(write_csv):
    """A sweep's openintro birds wrote ``9/30/1990 0:00:00``: 3,104 categories, pooled to 255,
    the date lost in 80 % of the rows. A day beyond 12 in one place, none in the other, tells
    the order; new rows are read in it, even where their own values would not tell."""
    us = ["9/30/1990 0:00:00", "1/2/1991 12:00:00 AM", "12/31/1999 1:30 PM", "", "2/29/2000"]
    eu = ["30.09.1990", "01.02.1991 14:05", "31.12.1999", "05.06.2001", "29.02.2000"]
    rows = "".join(f"{a},{b},{'pq'[i % 2]}\n" for i, (a, b) in enumerate(zip(us, eu, strict=True)))
    ds = load_dataset(str(write_csv("us,eu,label\n" + rows)))
    us_col, eu_col = ds.encoding.columns[:2]
    assert (us_col.kind, us_col.day_first, eu_col.kind, eu_col.day_first) == (
        "date",
        False,
        "date",
        True,
    )
    at = 7577.0  # 1990-09-30 in days since 1970
    assert ds.x[[0, 1, 2, 4], 0].tolist() == pytest.approx([at, at + 94, 10956 + 13.5 / 24, 11016])
    assert ds.x[3, 0].isnan()  # missing: filled from train later, said by its indicator
    assert ds.x[:, 2].tolist() == pytest.approx(
        [at, at + 124 + 14 / 24 + 5 / 1440, 10956, 11478, 11016]
    )
    saved = type(ds.encoding).model_validate_json(ds.encoding.model_dump_json())  # the manifest
    new = pd.DataFrame({"us": ["1/2/1991 0:00:00"], "eu": ["01.02.1991"]})  # 1 and 2: either
    assert encode_frame(new, saved)[0, [0, 2]].tolist() == [at + 94, at + 124]
    with pytest.raises(
        InvalidInputError,
        match=r"column 'us' is a date column \(MM/DD/YYYY, as in training\) but row 0 holds the "
        r"text '1991-01-02'",
    ):
        encode_frame(new.assign(us=["1991-01-02"]), saved, file="p.csv")
    # a day that does not exist among them is named as a slip among ISO dates is, in its form
    slips = "".join(f"{d}/{m}/1990,{m},{'pq'[m % 2]}\n" for m in range(1, 13) for d in (13, 20))
    with pytest.raises(
        InvalidInputError,
        match=r"column 'd' is a date column \(DD/MM/YYYY\) but row 24 \(file line 26\) holds "
        r"the text '31/02/1990': fix that value",
    ):
        load_dataset(str(write_csv("d,n,label\n" + slips + "31/02/1990,2,p\n", name="s.csv")))
    # no order told, or both, or not dates: text as before
    for values in (["03/01/2024", "04/02/2024"], ["13/01/2024", "01/13/2024"], ["1/2/3", "x"]):
        cells = "".join(f"{v},{i},{'pq'[i % 2]}\n" for i, v in enumerate(values * 3))
        table = load_dataset(str(write_csv("d,n,label\n" + cells, name="t.csv")))
        assert table.encoding.columns[0].kind == "categorical", values


def test_a_saved_index_with_gaps_or_shuffled_is_left_out_as_row_numbers_are(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"f": rng.normal(size=60), "label": list("pq") * 30})
    kept = frame.drop(index=range(3, 60, 7))  # rows left out: the index has gaps
    for name, table in (("filtered", kept), ("shuffled", kept.sample(frac=1, random_state=0))):
        table.to_csv(tmp_path / f"{name}.csv")  # its index as a nameless first column
        table.to_parquet(tmp_path / f"{name}.parquet")  # as __index_level_0__
        r_style = table.rename_axis("rownames").reset_index()  # Rdatasets' files
        r_style.to_csv(tmp_path / f"{name}-r.csv", index=False)
        for file in (f"{name}.csv", f"{name}.parquet", f"{name}-r.csv"):
            assert load_dataset(str(tmp_path / file)).feature_names == ("f",), file  # was 2
    # "X" or "index" first, increasing: an index too; not increasing, a feature named so
    x_first = kept.rename_axis("X").reset_index()
    x_first.to_csv(tmp_path / "x.csv", index=False)
    assert load_dataset(str(tmp_path / "x.csv")).feature_names == ("f",)
    x_first.sample(frac=1, random_state=0).to_csv(tmp_path / "x-shuffled.csv", index=False)
    assert load_dataset(str(tmp_path / "x-shuffled.csv")).feature_names == ("X", "f")
    later = kept.reset_index()[["f", "index", "label"]]  # not the first column: a feature
    later.to_csv(tmp_path / "later.csv", index=False)
    assert load_dataset(str(tmp_path / "later.csv")).feature_names == ("f", "index")


def test_numbers_and_text_among_few_repeated_values_are_codes_read_as_categories(write_csv):
    grades = ["K", *map(str, range(1, 13))]  # was: "is numeric but row 0 holds the text 'K'"
    rows = "".join(f"{grades[i % 13]},{i % 7},{'pq'[i % 2]}\n" for i in range(52))
    ds = load_dataset(str(write_csv("grade,f,label\n" + rows)))
    assert ds.feature_names[:13] == tuple(f"grade={g}" for g in sorted(grades))
    assert ds.x[0, ds.feature_names.index("grade=K")].item() == 1.0
    # new rows whose grades are all numbers, read as floats beside a gap: the same categories
    new = pd.DataFrame({"grade": [3.0, None, 12.0], "f": [1, 2, 3]})
    x = encode_frame(new, ds.encoding).tolist()
    assert [r[ds.feature_names.index("grade=3")] for r in x] == [1.0, 0.0, 0.0]
    assert [r[ds.feature_names.index("grade=12")] for r in x] == [0.0, 0.0, 1.0]
    slip = rows.replace("K,", "7,").replace("7,", "7o,", 1)  # one "7o" among numbers: a slip
    with pytest.raises(InvalidInputError, match=r"column 'grade' is numeric but .* '7o': fix"):
        load_dataset(str(write_csv("grade,f,label\n" + slip, name="slip.csv")))


def test_a_column_of_row_numbers_is_left_out_with_a_warning(write_csv, caplog):
    rows = "".join(f"{i + 1},{(i * 7) % 5},{'pq'[i % 2]}\n" for i in range(30))
    path = write_csv("PassengerId,f,label\n" + rows)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert ds.feature_names == ("f",) and "PassengerId" in ds.encoding.ignored
    assert "column 'PassengerId' holds 1…30, one number per row (a row id, or the index" in (
        caplog.text
    )
    # said on stderr only before: now the encoding (so run.json and the report) names it too
    assert describe_left_out(ds) == ["PassengerId"] and ds.encoding.left_out == ["PassengerId"]
    named = load_dataset(str(path), LoadOptions(id="PassengerId"))
    assert describe_left_out(named) == []  # named by an option: no column left out
    assert "--id PassengerId" in caplog.text and "'f'" not in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):
        x = encode_frame(pd.DataFrame({"PassengerId": [900], "f": [3]}), ds.encoding)
        assert x.tolist() == [[3.0]]
        load_dataset(str(path), LoadOptions(id="PassengerId"))
    assert caplog.text == ""  # predict reads it silently; --id names the rows by it
    shuffled = "".join(f"{(i * 7) % 30},{i % 4},{'pq'[i % 2]}\n" for i in range(30))  # 0…29
    with pytest.raises(InvalidInputError, match=r"no feature column is left: 'n' identif"):
        load_dataset(
            str(
                write_csv(
                    "n,label\n"
                    + "".join(
                        line.split(",")[0] + "," + line.split(",")[2] + "\n"
                        for line in shuffled.split()
                    ),
                    name="n.csv",
                )
            )
        )
    assert load_dataset(str(write_csv("n,f,label\n" + shuffled, name="s.csv"))).feature_names == (
        "f",
    )


def test_numbered_rows_from_another_start_are_a_feature_with_a_warning(write_csv, caplog):
    # an invoice number 5000…5299 in a file sorted by its label separated it, without a word
    rows = "".join(f"{5000 + i},{i % 7},{'pq'[i >= 20]}\n" for i in range(40))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("record_no,f,label\n" + rows)))
    assert ds.feature_names == ("record_no", "f")
    assert "column 'record_no' holds 5000…5039, each once, as numbered rows do" in caplog.text
    caplog.clear()
    spaced = "".join(f"{5000 + 2 * i},{i % 7},{'pq'[i >= 20]}\n" for i in range(40))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv("amount,f,label\n" + spaced, name="a.csv")))
    assert "numbered rows" not in caplog.text


def test_a_column_of_many_categories_keeps_the_frequent_ones_and_pools_the_rest(write_csv, caplog):
    from orthotune.data._encoding import MAX_CATEGORIES, OTHER_CATEGORY

    # 300 zip codes over 1,200 rows: codes 0–199 frequent (5 rows each), 200–299 twice each
    zips = [f"z{i % 200:03d}" for i in range(1000)] + [f"z{200 + i // 2:03d}" for i in range(200)]
    rows = "".join(f"{i % 7},{z},{'pq'[i % 2]}\n" for i, z in enumerate(zips))
    path = write_csv("f,zip,label\n" + rows)
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    zip_col = ds.encoding.columns[1]
    assert zip_col.other and len(zip_col.categories) == MAX_CATEGORIES == 256
    assert zip_col.categories[-1] == OTHER_CATEGORY and "z000" in zip_col.categories
    assert "z254" in zip_col.categories and "z299" not in zip_col.categories  # ties: name order
    assert "'zip' has 300 categories: the 255 most frequent are kept, the other 45" in caplog.text
    assert "2 rows each at the cut: those kept are the first in name order" in caplog.text
    other = ds.feature_names.index(f"zip={OTHER_CATEGORY}")
    assert ds.x[:, other].sum().item() == 90  # the 45 rarest codes, 2 rows each
    new = encode_frame(pd.DataFrame({"f": [1, 2], "zip": ["z299", "never"]}), ds.encoding)
    assert new[:, other].tolist() == [1.0, 1.0]  # rare and unseen alike
    ids = "".join(f"{i % 7},id{i % 600},{'pq'[i % 2]}\n" for i in range(1000))  # 600 of 1,000
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("f,who,label\n" + ids, name="ids.csv")))
    assert ds.feature_names == ("f",) and "who" in ds.encoding.ignored
    assert "text column 'who' has 600 distinct values in 1000 rows" in caplog.text
    assert "left out; --drop who to say so" in caplog.text
    # 185 countries of 57 rows each (dslabs' gapminder): every one keeps its feature, no warning
    countries = "".join(f"{i % 7},c{i % 185:03d},{'pq'[i % 2]}\n" for i in range(185 * 57))
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("f,country,label\n" + countries, name="gap.csv")))
    assert len(ds.encoding.columns[1].categories) == 185 and not ds.encoding.columns[1].other
    assert "categories" not in caplog.text
    # 150 names in 200 rows: more than half the rows, an identifier as before the cap moved
    names = "".join(f"{i % 7},n{i % 150},{'pq'[i % 2]}\n" for i in range(200))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("f,name,label\n" + names, name="names.csv")))
    assert ds.feature_names == ("f",) and "name" in ds.encoding.ignored


def test_percentages_read_as_the_numbers_written_in_training_and_prediction(write_csv):
    path = write_csv("rate,label\n12.5%,p\n-3 %,q\n100%,p\n,q\n7,p\n")
    ds = load_dataset(str(path))
    assert ds.encoding.columns[0].kind == "numeric"
    assert ds.x[[0, 1, 2, 4], 0].tolist() == [12.5, -3.0, 100.0, 7.0]
    assert encode_frame(pd.DataFrame({"rate": ["45.5%"]}), ds.encoding)[0, 0] == 45.5
    with pytest.raises(InvalidInputError, match=r"column 'rate' is numeric but row 0 holds"):
        encode_frame(pd.DataFrame({"rate": ["high"]}), ds.encoding)


@pytest.mark.parametrize("name", ["ID", "patient_id", "sample.id", "customerID", "userId"])
def test_whole_numbers_named_like_an_identifier_are_a_feature_with_a_warning(
    write_csv, caplog, name
):
    codes = [1002945 + 137 * (i % 20) for i in range(30)]  # like biopsy's sample codes
    rows = "".join(f"{c},{i % 3},{'pq'[i % 2]}\n" for i, c in enumerate(codes))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv(f"{name},f,label\n" + rows)))
    assert ds.feature_names == (name, "f")
    message = f"column {name!r} is named like an identifier and holds 20 distinct whole numbers"
    assert f"{message} in 30 rows: it is a feature" in caplog.text
    assert f"--drop {name} if it only names the rows" in caplog.text and "'f'" not in caplog.text


@pytest.mark.parametrize(
    ("name", "codes"),
    [(n, 30) for n in ("VALID", "paid", "acid", "grid", "PAID")] + [("StoreID", 7)],
)
def test_names_that_only_end_in_id_and_shared_codes_are_no_identifier(
    write_csv, caplog, name, codes
):
    rows = "".join(f"{1000 + 37 * (i % codes)},{'pq'[i % 2]}\n" for i in range(30))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv(f"{name},label\n" + rows)))
    assert "identifier" not in caplog.text


def test_images_saved_channels_last_become_channels_first_with_a_warning(tmp_path, caplog):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5, 7, 3)).astype(np.float32)  # [n, height, width, RGB]
    path = tmp_path / "hwc.npz"
    np.savez(path, x=x, y=np.array([0, 1] * 3))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert "read as images saved channels last" in caplog.text
    assert tuple(ds.input_shape) == (3, 5, 7)
    # example 4, channel 2, row 1, column 6 is the file's x[4, 1, 6, 2]
    assert ds.x[4, 2, 1, 6].item() == x[4, 1, 6, 2]
    enc = ArrayEncoding.model_validate_json(ds.encoding.model_dump_json())
    assert enc.channels_last and enc.input_shape == [5, 7, 3]
    out, _ = encode_array(x[:2], enc)  # prediction takes the training layout
    assert out.shape == (2, 3, 5, 7) and np.array_equal(out, ds.x[:2].numpy())


def test_channels_first_images_and_signals_are_read_as_given(tmp_path, caplog):
    for shape in [(4, 3, 5, 7), (4, 1, 6, 6), (4, 4, 9, 3), (4, 2, 50)]:
        path = tmp_path / "a.npz"
        np.savez(path, x=np.zeros(shape), y=np.array([0, 1, 0, 1]))
        with caplog.at_level("WARNING", logger="orthotune.data"):
            ds = load_dataset(str(path))
        assert tuple(ds.input_shape) == shape[1:]
        assert not ds.encoding.channels_last
    assert caplog.text == ""


@pytest.mark.parametrize(
    ("shape", "said"),
    [
        ((4, 28, 28), ["read as 28 channels of length 28", "save x shaped [n, 1, 28, 28]"]),
        # BasicMotions saved [n, length, channels] ([80, 100, 6], as Keras and tslearn save
        # series) trained as 100 channels of 6 samples, with no word
        ((4, 100, 6), ["read as 100 channels of 6 samples each", "x.transpose(0, 2, 1) instead"]),
    ],
)
def test_a_signal_layout_that_looks_like_another_is_read_as_given_with_a_word(
    tmp_path, caplog, shape, said
):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.zeros(shape), y=np.array([0, 1, 0, 1]))
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(path))
    assert tuple(ds.input_shape) == shape[1:]
    assert all(words in caplog.text for words in said), caplog.text


def test_categories_that_differ_only_in_case_are_kept_apart_and_named(write_csv, caplog):
    rows = "".join(
        f"{s},{c},{'pq'[i % 2]}\n"
        for i, (s, c) in enumerate(
            [("Male", "x"), ("male", "y"), ("MALE", "x"), ("Female", "y"), ("female", "x")] * 4
        )
    )
    with caplog.at_level("WARNING", logger="orthotune.data"):
        ds = load_dataset(str(write_csv("sex,c,label\n" + rows)))
    [sex] = [e for e in ds.encoding.columns if e.name == "sex"]
    assert sex.categories == ["Female", "MALE", "Male", "female", "male"]  # not merged
    assert (
        "column 'sex' holds categories that differ only in case, a final '.' or spaces: "
        "'Female' / 'female'; "
        "'MALE' / 'Male' / 'male'; they are kept apart — if they are one category, write them "
        "alike" in caplog.text
    )
    assert "column 'c'" not in caplog.text  # 'x' and 'y' differ otherwise


def test_whole_numbers_float32_cannot_tell_apart_are_named(write_csv, caplog):
    rows = "".join(
        f"2024{m:02d}{d:02d},{d % 3},{'pq'[d % 2]}\n" for m in (1, 2) for d in range(1, 29)
    )
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv("day,n,label\n" + rows)))
    assert (
        "column 'day' holds numbers that float32, the precision the network reads, cannot tell "
        "apart (26 of its 56 distinct values merge with another, e.g. 20240103 and 20240104): "
        "write dates as YYYY-MM-DD" in caplog.text
    )
    caplog.clear()
    rng = np.random.default_rng(0)  # a million measurements: some closer than 1e-7, no matter
    table = pd.DataFrame({"x": rng.random(200_000), "label": rng.integers(0, 2, 200_000)})
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(table)
    assert "float32" not in caplog.text
    # a count of about a billion: 1 of 200 distinct values merges (23115919 beside 23115921),
    # a relative 1e-7 that no network reads (a sweep's gapminder population)
    counts = [23115919 + 1000 * i for i in range(199)] + [23115921]
    table = pd.DataFrame({"population": counts, "label": ["p", "q"] * 100})
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(table)
    assert "float32" not in caplog.text


def test_new_rows_keep_a_date_column_as_dates_and_a_time_column_as_times(write_csv):
    days = "".join(f"2024-03-{d:02d},{d % 3},{'pq'[d % 2]}\n" for d in range(1, 29))
    dates = load_dataset(str(write_csv("when,n,label\n" + days, name="dates.csv"))).encoding
    clocks = "".join(f"{h:02d}:30,{h % 3},{'pq'[h % 2]}\n" for h in range(24))
    times = load_dataset(str(write_csv("when,n,label\n" + clocks, name="times.csv"))).encoding
    [when] = [c for c in times.columns if c.name == "when"]
    assert when.kind == "date" and when.clock
    with pytest.raises(  # an internal error: TypeError, the column's texts were None
        InvalidInputError,
        match=r"column 'when' is a date column \(ISO 8601, as in training\) but row 0 holds the "
        r"number 19783: write it as a date, YYYY-MM-DD",
    ):
        encode_frame(pd.DataFrame({"when": [19783], "n": [1]}), dates)
    with pytest.raises(  # was read as 1970-01-01 14:30
        InvalidInputError, match=r"column 'when' held dates in training but row 0 holds a time"
    ):
        encode_frame(pd.DataFrame({"when": ["14:30"], "n": [1]}), dates)
    with pytest.raises(InvalidInputError, match=r"held times of day in training but row 0 holds"):
        encode_frame(pd.DataFrame({"when": ["2024-01-01 14:30"], "n": [1]}), times)
    assert encode_frame(pd.DataFrame({"when": ["06:00"], "n": [1]}), times)[0, 0] == 0.25


def test_a_new_category_in_a_pooled_column_reads_as_other_with_a_warning(caplog):
    cities = [f"c{i % 300:03d}" for i in range(1200)]
    frame = pd.DataFrame({"city": cities, "label": ["p", "q"] * 600})
    ds = load_dataset(frame)
    [city] = [c for c in ds.encoding.columns if c.name == "city"]
    assert city.other
    with caplog.at_level("WARNING", logger="orthotune.data"):
        x = encode_frame(pd.DataFrame({"city": ["never_seen"]}), ds.encoding, file="new.csv")
    assert x[0, city.categories.index("(other)")] == 1.0
    assert (  # nothing was said
        "new.csv: column 'city': 1 row(s) hold a category not among the 255 that training kept "
        "('never_seen' …): read as '(other)'" in caplog.text
    )
    # a column that also had missing cells keeps the same 255 (a sweep's birds: "256", where
    # tune had said "the 255 most frequent are kept")
    frame.loc[7, "city"] = None
    gappy = load_dataset(frame).encoding
    [city] = [c for c in gappy.columns if c.name == "city"]
    assert "(missing)" in city.categories
    caplog.clear()
    with caplog.at_level("WARNING", logger="orthotune.data"):
        encode_frame(pd.DataFrame({"city": ["never_seen"]}), gappy, file="new.csv")
    assert "not among the 255 that training kept" in caplog.text, caplog.text


def test_an_identifier_whose_values_repeat_is_said_when_it_has_many(write_csv, caplog):
    """A user_id of 49,000 values in 200,000 rows (about 4 rows a user) was a numeric feature,
    unsaid: the warning wanted more than half the rows distinct. ``--id`` is offered only for
    unique values (it refuses repeats)."""
    rows = "".join(f"{7000 + i // 4},{i % 3},{'pq'[i % 2]}\n" for i in range(800))  # 200 users
    with caplog.at_level("WARNING", logger="orthotune.data"):
        load_dataset(str(write_csv("user_id,f,label\n" + rows)))
    assert (
        "column 'user_id' is named like an identifier and holds 200 distinct whole numbers in "
        "800 rows: it is a feature; --drop user_id if it only names the rows" in caplog.text
    )
    assert "--id user_id" not in caplog.text
