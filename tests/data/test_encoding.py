import json

import numpy as np
import pandas as pd
import pytest

from orthotune import InvalidInputError
from orthotune.data import (
    ArrayEncoding,
    LoadOptions,
    TableEncoding,
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


def test_encode_frame_refuses_missing_extra_and_unknown(table_csv):
    ds = load_dataset(str(table_csv), LoadOptions(id="id", weight="weight", source="site"))
    enc = ds.encoding
    with pytest.raises(InvalidInputError, match=r"'color' used in training are missing"):
        encode_frame(pd.DataFrame({"age": [1]}), enc)
    with pytest.raises(InvalidInputError, match=r"'height' were not in the training data"):
        encode_frame(pd.DataFrame({"age": [1], "color": ["red"], "height": [2]}), enc)
    with pytest.raises(InvalidInputError, match=r"'purple', a category not seen in training"):
        encode_frame(pd.DataFrame({"age": [1, 2], "color": ["red", "purple"]}), enc, file="p.csv")
    with pytest.raises(InvalidInputError, match=r"column 'age' is numeric but row 1 holds.*'old'"):
        encode_frame(pd.DataFrame({"age": ["1", "old"], "color": ["red", "red"]}), enc)
    with pytest.raises(InvalidInputError, match=r"missing \(NaN\).*age \(1\).*--impute"):
        encode_frame(pd.DataFrame({"age": [None, 2.0], "color": ["red", "red"]}), enc)


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
