import json

MODEL_A = [
    "--human-error",
    "0.7%",
    "--bayes-error",
    "0.5%",
    "--train-error",
    "3.5%",
    "--dev-error",
    "7.8%",
]


def test_model_a_renders_the_verdict_and_knobs(run_cli):
    out = run_cli("diagnose", *MODEL_A)
    assert out.returncode == 0, out.stderr
    assert "High bias, High variance — first focus on bias" in out.stdout
    assert "1. bigger_network" in out.stdout
    assert "4.30%" in out.stdout  # variance


def test_json_is_the_diagnosis_only(run_cli):
    out = run_cli("diagnose", *MODEL_A, "--dev-size", "1000", "--train-size", "10000", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["problem"] == "avoidable_bias"
    assert data["is_high"] == {"avoidable_bias": True, "bias": True, "variance": True}
    assert data["decomposition"]["variance"]["low"] > 0


def test_bare_rate_above_one_is_exit_2_with_percent_hint(run_cli):
    out = run_cli("diagnose", "--human-error", "0.7", "--train-error", "3.5", "--dev-error", "7.8%")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert "write 3.5% if you meant percent" in out.stderr


def test_missing_required_option_is_exit_2(run_cli):
    out = run_cli("diagnose", "--human-error", "1%", "--train-error", "2%")
    assert out.returncode == 2 and "--dev-error" in out.stderr
