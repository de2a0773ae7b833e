import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_compare_lecture_table_with_satisficing_constraint(run_cli):
    out = run_cli(
        "compare",
        EXAMPLES / "lecture_classifiers.csv",
        "--metric",
        "average",
        "--constraint",
        "latency_ms<100",
    )
    assert out.returncode == 0, out.stderr
    assert "Choice: B: highest average 95.00% among the 4 of 6 candidates" in out.stdout
    assert "94.39%" in out.stdout and "96.74%" in out.stdout  # harmonic means
    assert "Pareto front over average, latency_ms: B, C, D, E, F" in out.stdout


def test_compare_precision_recall_json(run_cli):
    out = run_cli("compare", EXAMPLES / "lecture_precision_recall.csv", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ranking"]["choice"] == "C" and data["derived"] == ["f1"]


def test_bad_constraint_shows_grammar_exit_2(run_cli):
    out = run_cli("compare", EXAMPLES / "lecture_classifiers.csv", "--constraint", "latency<<1")
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert "write NAME OP VALUE" in out.stderr


def test_unknown_metric_lists_accepted_exit_2(run_cli):
    out = run_cli("compare", EXAMPLES / "lecture_classifiers.csv", "--metric", "speed")
    assert out.returncode == 2
    assert "accepted are latency_ms, average, harmonic_mean, class_a" in out.stderr


def test_accuracy_subject_to_time_chooses_b(run_cli):
    out = run_cli(
        "compare",
        EXAMPLES / "lecture_accuracy_time.csv",
        "--constraint",
        "latency_ms<100",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    ranking = json.loads(out.stdout)["ranking"]
    assert ranking["metric"] == "accuracy" and ranking["choice"] == "B"
    assert ranking["satisfied"] == 4
