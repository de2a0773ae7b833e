import json
import pickle

ENV = {"OMP_NUM_THREADS": "1"}


def test_predict_refuses_a_pickle_model(run_cli, tmp_path):
    bad = tmp_path / "model.pkl"
    bad.write_bytes(pickle.dumps({"weights": [1, 2]}))
    done = run_cli("predict", bad, "builtin:digits", "--out", tmp_path / "p.csv", env=ENV)
    assert done.returncode == 2
    assert "model.pkl looks like a pickle file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_predict_refuses_an_unknown_output_format(run_cli, tmp_path):
    done = run_cli("predict", tmp_path, "builtin:digits", "--out", tmp_path / "p.xlsx", env=ENV)
    assert done.returncode == 2
    assert "accepted: .csv, .parquet" in done.stderr


def test_a_space_after_each_delimiter_is_no_part_of_names_or_values(run_cli, tmp_path):
    # "a, b, label": training and predict read the same names (predict once read 'b' where
    # training had ' b', and tune refused its own file)
    rows = "".join(f"{i % 5}, {(i * 3) % 7}, {'pq'[i % 2]}\n" for i in range(40))
    path = tmp_path / "spaced.csv"
    path.write_text("a, b, label\n" + rows)
    run = tmp_path / "run"
    trained = run_cli("train", path, "--out", run, "--epochs", "1", "--json", env=ENV)
    assert trained.returncode == 0, trained.stderr
    out = tmp_path / "p.csv"
    done = run_cli("predict", run, path, "--out", out, env=ENV)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,y_pred,") and "y_true" in lines[0] and len(lines) == 41
    manifest = json.loads((run / "models" / "mlp" / "manifest.json").read_text())
    assert manifest["feature_names"] == ["a", "b"]


def test_images_saved_channels_last_train_and_predict_in_their_own_layout(run_cli, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    x = rng.normal(size=(60, 6, 6, 3)).astype(np.float32)
    x[y == 1, :3] += 2.0  # class 1 is brighter in the top rows
    np.savez(tmp_path / "hwc.npz", x=x, y=y)
    run = tmp_path / "run"
    trained = run_cli("train", tmp_path / "hwc.npz", "--out", run, "--epochs", "2", env=ENV)
    assert trained.returncode == 0, trained.stderr
    assert trained.stderr.count("read as images saved channels last") == 1
    manifest = json.loads((run / "models" / "mlp" / "manifest.json").read_text())
    assert manifest["data_shape"] == [3, 6, 6] and manifest["encoding"]["channels_last"]
    # new rows in the same layout, one value missing where training had none: filled with the
    # training median (per feature), as training would have filled it
    new = x[:5].copy()
    new[0, 2, 2, 1] = np.nan
    np.savez(tmp_path / "new.npz", x=new, y=y[:5])
    out = tmp_path / "p.csv"
    done = run_cli("predict", run, tmp_path / "new.npz", "--out", out, env=ENV)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text().splitlines()) == 6
    # the same rows channels first: a layout training did not see, refused in one line
    np.savez(tmp_path / "chw.npz", x=np.moveaxis(x[:5], -1, 1), y=y[:5])
    done = run_cli("predict", run, tmp_path / "chw.npz", "--out", tmp_path / "q.csv", env=ENV)
    assert done.returncode == 2
    assert "examples have shape (3, 6, 6) but (6, 6, 3) was expected" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_predict_gives_the_runs_own_reason_for_an_uncalibrated_model(run_cli, tmp_path):
    """Too few dev examples to calibrate: predict said temperature scaling 'did not lower the
    dev ECE, or the checkpoint predates it'. Now the run's reason; a model that is not the
    run's chosen one gets the general line."""
    import numpy as np

    rng = np.random.default_rng(0)
    rows = "".join(f"{a:.3f},{'p' if a > 0 else 'q'}\n" for a in rng.normal(size=150))
    data = tmp_path / "small.csv"
    data.write_text("a,label\n" + rows)
    run = tmp_path / "run"
    assert run_cli("train", data, "--epochs", "2", "--out", run, env=ENV).returncode == 0
    done = run_cli("predict", run, data, "--out", tmp_path / "p.csv", env=ENV)
    assert done.returncode == 0, done.stderr
    assert "plain softmax (not calibrated: 30 dev examples, fewer than the 50" in done.stderr
    (run / "models" / "best").write_text("other\n")  # the file names another chosen model
    done = run_cli("predict", run / "models" / "mlp", data, "--out", tmp_path / "q.csv", env=ENV)
    assert "plain softmax (T = 1: temperature scaling was not applied" in done.stderr


def test_predict_on_the_runs_own_data_gives_each_parts_error(run_cli, tmp_path):
    # the labelled rows' error alone mixed the rows the model learned from with the others (a
    # new user's 327,346 rows: 22.16 % where its test rows erred 23.67 %)
    import numpy as np
    import pandas as pd

    g = np.random.default_rng(0)
    x = g.normal(size=(300, 3))
    y = np.where(x[:, 0] + g.normal(scale=0.8, size=300) > 0, "yes", "no")
    path = tmp_path / "t.csv"
    pd.DataFrame(x, columns=["a", "b", "c"]).assign(label=y).to_csv(path, index=False)
    run = tmp_path / "run"
    trained = run_cli("train", path, "--out", run, "--epochs", "2", env=ENV)
    assert trained.returncode == 0, trained.stderr
    done = run_cli("predict", run, path, "--out", tmp_path / "p.csv", "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    frame = pd.read_csv(tmp_path / "p.csv")
    parts = summary["split_errors"]
    assert set(parts) == set(frame["split"]) == {"train", "dev", "test"}
    for name, (rows, error) in parts.items():
        mine = frame[frame["split"] == name]
        assert rows == len(mine)
        assert error == (mine["y_pred"] != mine["y_true"]).mean()
    assert sum(rows * e for rows, e in parts.values()) / 300 == summary["error"]
    shown = run_cli("predict", run, path, "--out", tmp_path / "q.csv", env=ENV).stdout
    (train_n, train_e), (dev_n, dev_e) = parts["train"], parts["dev"]
    said = f"(train {train_e:.2%} on the {train_n} rows it learned from; dev {dev_e:.2%} on {dev_n}"
    assert f"{said}; test " in " ".join(shown.split()), shown
