import numpy as np
import pandas as pd
import pytest

from orthotune._errors import InvalidInputError
from orthotune._rundir import RunDir
from orthotune.data import LoadOptions
from orthotune.train._predict import load_predictor, predict, summarize, write_predictions


def _table(n=240, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    label = np.where(a + (colour == "red") > 0.5, "yes", "no")
    return pd.DataFrame(
        {"key": [f"k{i}" for i in range(n)], "a": a, "colour": colour, "label": label}
    )


def _train(tmp_path, data, options=None):
    """``orthotune train`` (the API: the train job over the shared pipeline), an MLP 16."""
    import orthotune

    summary = orthotune.train(
        data,
        out=tmp_path / "run",
        model={"hidden": (16,)},
        training={"epochs": 20, "lr": 0.02, "batch_size": 32},
        seed=0,
        device="cpu",
        id=(options or LoadOptions()).id,
    )
    return RunDir.open(summary.run_dir), summary


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("table")
    path = tmp / "train.csv"
    _table().to_csv(path, index=False)
    run, summary = _train(tmp, str(path), LoadOptions(id="key"))
    return tmp, path, run, summary


def test_predictions_on_the_training_file_carry_ids_labels_and_split(table_run):
    _, path, run, summary = table_run
    predictor = load_predictor(run.path)
    frame = predict(predictor, str(path))
    assert list(frame.columns) == ["id", "y_pred", "confidence", "p_no", "p_yes", "y_true", "split"]
    assert frame["id"].iloc[3] == "k3"
    np.testing.assert_allclose(frame[["p_no", "p_yes"]].sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(frame["confidence"], frame[["p_no", "p_yes"]].max(axis=1))
    for part in ("train", "dev", "test"):
        rows = frame[frame["split"] == part]
        error = (rows["y_true"] != rows["y_pred"]).mean()
        assert error == pytest.approx(summary.errors[part]), part


def test_the_training_file_edited_after_the_run_gets_no_split_column(tmp_path, caplog):
    path = tmp_path / "d.csv"
    _table(n=120).drop(columns="key").to_csv(path, index=False)
    run, _ = _train(tmp_path, str(path))
    assert "split" in predict(load_predictor(run.path), str(path)).columns
    _table(n=120).drop(columns="key").iloc[10:].to_csv(path, index=False)  # rows 0…9 removed
    with caplog.at_level("WARNING", logger="orthotune"):
        frame = predict(load_predictor(run.path), str(path))
    # rows were matched by number: 44 of 60 "test" rows had been trained on, nothing said
    assert "split" not in frame.columns and len(frame) == 110
    assert "d.csv has changed since the run was trained (its sha256 is not run.json's)" in (
        caplog.text
    )


def test_unlabelled_rows_get_predictions_without_y_true(table_run, tmp_path):
    _, _, run, _ = table_run
    new = _table(n=10, seed=5).drop(columns=["label"])
    new.to_csv(tmp_path / "new.csv", index=False)
    predictor = load_predictor(run.model_dir("mlp"))
    frame = predict(predictor, str(tmp_path / "new.csv"))
    assert "y_true" not in frame and "split" not in frame and len(frame) == 10
    out = write_predictions(frame, tmp_path / "p.parquet")
    assert pd.read_parquet(out)["y_pred"].isin(["yes", "no"]).all()
    assert summarize(predictor, "new.csv", frame, out).labelled == 0


def test_an_npz_without_labels_gets_predictions_by_its_ids(tmp_path):
    """New examples saved as x alone (and ids): predicted as the same examples with labels
    are, a model trained on one-hot labels naming its classes 0 … K−1; labelled examples of
    one class are examples to predict too."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1)
    np.savez(tmp_path / "train.npz", x=x, y=np.eye(3)[y])
    run, _ = _train(tmp_path, str(tmp_path / "train.npz"))
    predictor = load_predictor(run.path)
    new = x[:6].copy()
    new[2, 3] = np.nan  # a gap: filled with training's value, as with labels
    np.savez(tmp_path / "new.npz", x=new, ids=np.array([f"n{i}" for i in range(6)]))
    np.savez(tmp_path / "labelled.npz", x=new, y=np.eye(3)[y[:6]])
    frame = predict(predictor, str(tmp_path / "new.npz"))
    assert frame["id"].tolist() == [f"n{i}" for i in range(6)] and "y_true" not in frame
    assert set(frame.columns) >= {"p_0", "p_1", "p_2"}
    both = predict(predictor, str(tmp_path / "labelled.npz"))
    assert both["y_true"].tolist() == [str(v) for v in y[:6]]
    np.testing.assert_allclose(frame[["p_0", "p_1", "p_2"]], both[["p_0", "p_1", "p_2"]])
    np.savez(tmp_path / "one.npz", x=new, y=np.full(6, 2))  # one class: the model's classes
    assert predict(predictor, str(tmp_path / "one.npz"))["y_true"].tolist() == ["2"] * 6
    np.savez(tmp_path / "narrow.npz", x=new[:, :3])
    with pytest.raises(InvalidInputError, match=r"narrow.npz: examples have shape \(3,\) but"):
        predict(predictor, str(tmp_path / "narrow.npz"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns=["colour"]), r"feature column\(s\) 'colour' used in training"),
        (  # named by its line in the file, as training names one; no --drop, --impute:
            # predict takes neither (it said "use --impute …, or --drop a")
            lambda f: f.assign(a="old"),
            r"column 'a' is numeric but row 0 \(file line 2\) holds the text 'old': fix that "
            r"value \(leave it empty: a missing value, filled as in training\)$",
        ),
        (
            lambda f: f.assign(a=[float("inf")] * len(f)),
            r"first in 'a' at row 0 \(file line 2\): replace them with finite numbers$",
        ),
    ],
)
def test_data_whose_features_differ_is_refused_by_name(table_run, tmp_path, change, message):
    _, _, run, _ = table_run
    change(_table(n=20, seed=1)).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InvalidInputError, match=message):
        predict(load_predictor(run.path), str(tmp_path / "bad.csv"))


def test_new_rows_with_an_extra_column_and_an_unseen_colour_are_predicted(table_run, tmp_path):
    _, _, run, _ = table_run
    frame = _table(n=20, seed=1)
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.assign(extra=1.0).to_csv(tmp_path / "extra.csv", index=False)
    predictor = load_predictor(run.path)
    plain, extra = (predict(predictor, str(tmp_path / f)) for f in ("plain.csv", "extra.csv"))
    np.testing.assert_array_equal(extra["p_yes"], plain["p_yes"])
    frame.loc[0, "colour"] = "purple"
    frame.to_csv(tmp_path / "purple.csv", index=False)
    purple = predict(predictor, str(tmp_path / "purple.csv"))
    assert len(purple) == 20 and purple["y_pred"].isin(["yes", "no"]).all()
    assert purple["p_yes"].iloc[0] != plain["p_yes"].iloc[0]  # read as no colour at all
    np.testing.assert_array_equal(purple["p_yes"].iloc[1:], plain["p_yes"].iloc[1:])


def test_a_table_model_refuses_arrays_and_an_array_model_refuses_other_shapes(table_run, tmp_path):
    _, _, run, _ = table_run
    with pytest.raises(InvalidInputError, match="trained on table columns"):
        predict(load_predictor(run.path), "builtin:digits")
    array_run, _ = _train(tmp_path, "builtin:synthetic?n=200&features=6")
    with pytest.raises(
        InvalidInputError,
        match=r"shape \(1, 8, 8\) but the model was trained on "
        r"shape \(6,\)",
    ):
        predict(load_predictor(array_run.path), "builtin:digits")
    frame = predict(load_predictor(array_run.path), "builtin:synthetic?n=200&features=6")
    assert frame["split"].isin(["train", "dev", "test"]).all()


def test_output_extension_is_checked(table_run, tmp_path):
    with pytest.raises(InvalidInputError, match=r"accepted: \.csv, \.parquet"):
        write_predictions(pd.DataFrame({"id": [1]}), tmp_path / "p.xlsx")


def test_probabilities_are_softmax_of_logits_over_the_checkpoints_temperature(table_run, tmp_path):
    from scipy.special import softmax

    from orthotune.train import load_checkpoint, save_checkpoint

    _, path, run, _ = table_run
    plain = load_predictor(run.path)
    assert plain.manifest.temperature == 1.0
    model, manifest = load_checkpoint(run.model_dir("mlp"))
    save_checkpoint(tmp_path / "hot", model, manifest.model_copy(update={"temperature": 2.5}))
    hot = load_predictor(tmp_path / "hot")
    p1 = predict(plain, str(path))[["p_no", "p_yes"]].to_numpy()
    p2 = predict(hot, str(path))[["p_no", "p_yes"]].to_numpy()
    # log p1 = logits − logsumexp(logits) per row, so softmax(log p1 / T) = softmax(logits / T)
    np.testing.assert_allclose(p2, softmax(np.log(p1) / 2.5, axis=1), atol=1e-9)
    frame = predict(hot, str(path))
    summary = summarize(hot, str(path), frame, tmp_path / "p.csv")
    assert summary.calibrated and summary.temperature == 2.5
    assert not summarize(plain, str(path), frame, tmp_path / "p.csv").calibrated


def test_new_rows_from_a_semicolon_spreadsheet_get_the_same_predictions(table_run, tmp_path):
    _, path, run, _ = table_run
    predictor = load_predictor(run.path)
    euro = tmp_path / "euro.csv"
    pd.read_csv(path).to_csv(euro, index=False, sep=";", decimal=",")
    assert ";" in euro.read_text().splitlines()[0] and "," in euro.read_text().splitlines()[1]
    plain, other = predict(predictor, str(path)), predict(predictor, str(euro))
    np.testing.assert_allclose(other["p_yes"], plain["p_yes"], rtol=0, atol=1e-12)
    assert other["id"].tolist() == plain["id"].tolist()
    tsv = tmp_path / "rows.tsv"
    pd.read_csv(path).to_csv(tsv, index=False, sep="\t")
    np.testing.assert_allclose(predict(predictor, str(tsv))["p_yes"], plain["p_yes"], atol=1e-12)
    packed = tmp_path / "rows.csv.gz"
    pd.read_csv(path).to_csv(packed, index=False)
    np.testing.assert_allclose(predict(predictor, str(packed))["p_yes"], plain["p_yes"], atol=1e-12)


def test_a_class_too_rare_for_test_counts_in_no_macro_f1(tmp_path):
    import json

    from sklearn.metrics import f1_score

    frame = _table(n=240, seed=3)
    frame.loc[:1, "label"] = "rare"  # two examples: too few for train, dev and test
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    run, _ = _train(tmp_path, str(path), LoadOptions(id="key"))
    split = json.loads((run.path / "split.json").read_text())
    assert {"k0", "k1"} <= set(split["ids"]["train"])
    scores = json.loads(run.test_scores_json.read_text())
    assert scores["labels"] == ["no", "rare", "yes"]  # every class kept there
    predictor = load_predictor(run.path)
    rows = predict(predictor, str(path))
    test = rows[rows["split"] == "test"]
    assert "rare" not in set(test["y_true"])
    expected = f1_score(test["y_true"], test["y_pred"], average="macro")  # classes seen on test
    headline = predictor.manifest.metrics["test_macro_f1"]  # what summaries carry
    assert headline == pytest.approx(expected)
    assert headline == pytest.approx(scores["macro"]["fbeta"])  # it counted rare as an F1 of 0


def test_new_rows_without_the_runs_id_column_are_named_by_row(table_run, tmp_path, caplog):
    _, path, run, _ = table_run  # trained with --id key
    new = tmp_path / "new.csv"
    pd.read_csv(path).drop(columns=["key", "label"]).head(5).to_csv(new, index=False)
    predictor = load_predictor(run.path)
    with caplog.at_level("WARNING"):
        frame = predict(predictor, str(new))  # "--id 'key': no such column … leave --id out"
    assert frame["id"].tolist() == ["0", "1", "2", "3", "4"]
    assert "new.csv has no column 'key' (the run's --id): its rows are named by their row" in (
        caplog.text
    )
    with pytest.raises(InvalidInputError, match=r"--id 'nope': .* has no such column"):
        predict(predictor, str(new), options={"id": "nope"})  # one the user gave: refused


def test_labels_written_as_floats_match_their_classes(tmp_path):
    frame = _table(200, seed=3)
    frame["label"] = (frame["label"] == "yes").astype(int)  # classes 0 and 1
    frame.to_csv(tmp_path / "train.csv", index=False)
    run, _ = _train(tmp_path, str(tmp_path / "train.csv"))
    new = frame.assign(label=frame["label"].astype(float))
    new.loc[:4, "label"] = np.nan  # pandas writes 1.0, 0.0 and '' for rows to label later
    new.to_csv(tmp_path / "new.csv", index=False)
    predictor = load_predictor(run.path)
    predictions = predict(predictor, str(tmp_path / "new.csv"))
    summary = summarize(predictor, str(tmp_path / "new.csv"), predictions, tmp_path / "p.csv")
    assert summary.labelled == 195 and summary.unknown_labels == 0  # "never learned '1.0'"
    wrong = new["label"].iloc[5:].astype(int).astype(str) != predictions["y_pred"].iloc[5:]
    assert summary.error == pytest.approx(wrong.mean())
    # y_true as its class is named: compared as text with y_pred, the error is the same
    # (written 1.0 beside y_pred 1, every row differed)
    assert set(predictions["y_true"].iloc[5:]) <= {"0", "1"}
    assert predictions["y_true"].iloc[:5].tolist() == [""] * 5
    differ = predictions["y_true"].iloc[5:] != predictions["y_pred"].iloc[5:]
    assert differ.mean() == pytest.approx(summary.error)


def test_examples_to_predict_name_what_is_wrong_with_them(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 6)).astype("float32")
    np.savez(tmp_path / "train.npz", x=x, y=(x[:, 0] > 0).astype(int))
    run, _ = _train(tmp_path, str(tmp_path / "train.npz"))
    predictor = load_predictor(run.path)
    np.savez(tmp_path / "one.npz", x=x[0])  # one example saved flat
    with pytest.raises(InvalidInputError, match=r"array 'x' has shape \(6,\) and dtype float32"):
        predict(predictor, str(tmp_path / "one.npz"))  # "has no array 'y': save the labels"
    np.savez(tmp_path / "text.npz", x=x.astype(str))
    with pytest.raises(InvalidInputError, match=r"array 'x' has shape \(120, 6\) and dtype <U"):
        predict(predictor, str(tmp_path / "text.npz"))
