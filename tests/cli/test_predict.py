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
