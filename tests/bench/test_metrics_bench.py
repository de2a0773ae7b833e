import subprocess
import sys
from pathlib import Path

from tests.conftest import SRC

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "metrics_vs_sklearn.py"


def test_quick_benchmark_runs_and_values_are_identical():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--repeats", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(SRC)},
    )
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-1]
    fields = dict(pair.split("=") for pair in last.split())
    assert last.startswith("speedup=") and fields["identical"] == "1"
    assert float(fields["speedup"]) > 0  # a ratio exists; speed is not asserted
