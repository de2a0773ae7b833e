"""After a refit on train + dev, error analysis reads dev mistakes of a model that had not seen
those examples (``analysis/predictions.csv``, ``write_held_out_predictions``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import orthotune
from orthotune.analysis import read_predictions, write_held_out_predictions


def _noisy_table(path, n, flipped=0.15, seed=0):
    """Two classes split by x₀ > 0.5, ``flipped`` of the labels swapped: a model that learns
    a row's label by heart errs less on it than one that had not seen it."""
    g = np.random.default_rng(seed)
    x = g.uniform(size=(n, 4))
    y = (x[:, 0] > 0.5).astype(int)
    y = np.where(g.random(n) < flipped, 1 - y, y)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(label=np.array(["no", "yes"])[y])
    frame.to_csv(path, index=False)
    return str(path)


def test_after_a_refit_the_dev_rows_are_predicted_by_the_model_before_it(tmp_path):
    data = _noisy_table(tmp_path / "noisy.csv", n=3500)  # 2,100 training rows: no k-fold
    result = orthotune.tune(data, trials=2, seed=0, out=tmp_path / "run")
    assert result.decisions.refit.startswith("refit on")
    preds = read_predictions(tmp_path / "run")  # the file tune wrote, not one made later
    assert (tmp_path / "run" / "analysis" / "predictions.csv").is_file()
    dev = preds.select(preds.split == "dev")
    # the chosen configuration's dev error before its refit, as the run reports it
    assert float((dev.y_pred != dev.y_true).mean()) == pytest.approx(result.errors["dev"])
    # the refit model itself, which learned the dev rows, errs less on them
    own = orthotune.load(tmp_path / "run").predict(data)
    ids = pd.read_csv(tmp_path / "run" / "analysis" / "predictions.csv", dtype={"id": str})["id"]
    labels = pd.read_csv(data)["label"].to_numpy()
    rows = np.asarray(ids, dtype=int)[preds.split == "dev"]
    assert (own[rows] != labels[rows]).mean() < result.errors["dev"]
    # the other rows are the saved model's predictions
    train = np.asarray(ids, dtype=int)[preds.split == "train"]
    names = np.asarray(preds.class_names)
    assert (names[preds.y_pred[preds.split == "train"]] == own[train]).all()


def test_under_k_fold_only_the_dev_rows_take_their_out_of_fold_predictions(tmp_path):
    # the fold models' out-of-fold logits cover train + dev; the dev rows among them are
    # picked by id (a pair-by-pair np.isin on string ids took 295 s on 65,469 of them)
    import json

    data = _noisy_table(tmp_path / "noisy.csv", n=300)
    result = orthotune.tune(data, trials=1, seed=0, out=tmp_path / "run", refit=False)
    assert result.decisions.validation.startswith("5-fold")
    written = pd.read_csv(tmp_path / "run" / "analysis" / "predictions.csv", dtype={"id": str})
    dev = json.loads((tmp_path / "run" / "split.json").read_text())["ids"]["dev"]
    assert 0 < len(dev) < len(written)
    assert written["held_out"].to_numpy().tolist() == written["id"].isin(dev).tolist()
    assert set(written.loc[written["held_out"], "split"]) == {"dev"}


def test_held_out_logits_replace_only_their_rows(tmp_path):
    data = _noisy_table(tmp_path / "noisy.csv", n=300)
    orthotune.tune(data, trials=1, seed=0, out=tmp_path / "run", refit=False)
    run = tmp_path / "run"
    before = pd.read_csv(write_held_out_predictions(run, np.array([]), np.zeros((0, 2))))
    logits = np.array([[3.0, 0.0], [0.0, 1.0]])  # rows "4" and "7": certain "no", then "yes"
    after = pd.read_csv(write_held_out_predictions(tmp_path / "run", np.array(["4", "7"]), logits))
    t = orthotune.load(tmp_path / "run").manifest.temperature
    p = np.exp(logits / t) / np.exp(logits / t).sum(axis=1, keepdims=True)
    assert after.loc[[4, 7], ["p_no", "p_yes"]].to_numpy() == pytest.approx(p)
    assert list(after.loc[[4, 7], "y_pred"]) == ["no", "yes"]
    assert after.loc[[4, 7], "confidence"].to_numpy() == pytest.approx(p.max(axis=1))
    rest = ~after.index.isin([4, 7])
    assert after["held_out"].to_numpy().tolist() == (~rest).tolist()
    pd.testing.assert_frame_equal(after[rest], before[rest])


def test_a_dataset_in_memory_leaves_no_file_to_predict_again(tmp_path):
    from orthotune.data import load_dataset

    ds = load_dataset(_noisy_table(tmp_path / "noisy.csv", n=3500), None)
    result = orthotune.tune(ds, trials=1, seed=0, out=tmp_path / "run")
    assert result.decisions.refit.startswith("refit on")  # the model learned from dev
    assert not (tmp_path / "run" / "analysis" / "predictions.csv").exists()


def test_data_deleted_while_the_job_runs_leaves_a_finished_run_and_says_so(tmp_path):
    from orthotune._rundir import RunDir

    data = tmp_path / "noisy.csv"
    _noisy_table(data, n=300)  # k-fold: the dev rows' out-of-fold predictions are written

    def delete_data(step):  # the user cleans up the working folder while the run goes on
        data.unlink(missing_ok=True)

    result = orthotune.tune(str(data), trials=2, seed=0, out=tmp_path / "run", on_step=delete_data)
    # was: exit 2 after the whole budget, the run left unfinished (run.json finished null)
    assert RunDir(tmp_path / "run").read_run().finished
    assert result.test_metrics and (tmp_path / "run" / "models" / "best").is_file()
    said = " ".join(result.notes)
    assert "analysis/predictions.csv was not written" in said and "noisy.csv" in said
