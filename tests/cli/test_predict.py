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
